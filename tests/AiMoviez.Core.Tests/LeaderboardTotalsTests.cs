using AiMoviez.Core.Leaderboards;
using CsCheck;

namespace AiMoviez.Core.Tests;

public sealed class LeaderboardTotalsTests
{
    // A Wednesday, so Monday 2026-12-07 starts its week.
    private static readonly DateOnly Today = new(2026, 12, 9);

    [Fact]
    public void A_season_row_holds_its_latest_day_that_day_s_week_and_all_time()
    {
        var builder = default(LeaderboardTotals.Builder);
        builder.Add(Today, 2, 3);
        builder.Add(Today.AddDays(-1), 5, 5);
        builder.Add(Today.AddDays(-3), 7, 14);
        builder.Add(Today.AddDays(1), 0, 0);

        Assert.Equal(new LeaderboardTotals(Today, 2, 3, new DateOnly(2026, 12, 7), 7, 8, 14, 22), builder.Build());
        Assert.Null(default(LeaderboardTotals.Builder).Build());
    }

    [Fact]
    public void The_all_seasons_row_sums_the_seasons_at_the_latest_day_and_week()
    {
        // Season 1: 4 votes yesterday, 6 in an earlier week. Season 2: 1 vote yesterday, 3 today.
        var s1 = Row(Today.AddDays(-1), 4, all: 10, week: 4);
        var s2 = Row(Today, 3, all: 4, week: 4);
        var all = LeaderboardTotals.Merge(null, [(null, s1)]);
        all = LeaderboardTotals.Merge(all, [(null, s2)]);
        Assert.Equal((Today, 3L, 8L, 14L), (all!.DayStart, all.DayVotes, all.WeekVotes, all.AllVotes));

        // Season 1 gets 2 votes today: its yesterday leaves the day, today's adds to season 2's.
        var s1Today = Row(Today, 2, all: 12, week: 6);
        all = LeaderboardTotals.Merge(all, [(s1, s1Today)]);
        Assert.Equal((Today, 5L, 10L, 16L), (all!.DayStart, all.DayVotes, all.WeekVotes, all.AllVotes));

        // Both change in one batch: season 2 moves back to yesterday (today's votes taken away), season 1 gets 2 more.
        var s2Back = Row(Today.AddDays(-1), 1, all: 1, week: 1);
        var s1More = Row(Today, 4, all: 14, week: 8);
        all = LeaderboardTotals.Merge(all, [(s2, s2Back), (s1Today, s1More)]);
        Assert.Equal((Today, 4L, 9L, 15L), (all!.DayStart, all.DayVotes, all.WeekVotes, all.AllVotes));
    }

    [Fact]
    public void The_all_seasons_row_goes_when_every_season_row_is_gone()
    {
        var s1 = Row(Today, 4, all: 4);
        var all = LeaderboardTotals.Merge(null, [(null, s1)]);
        Assert.Null(LeaderboardTotals.Merge(all, [(s1, null)]));
    }

    /// <summary>
    /// One change of a subject's day rows: <see cref="Kind"/> 0-5 votes counted today (the clock first moves on by
    /// <see cref="Advance"/> days), 6-7 votes of an earlier day taken away (revoked, or a slot reset), 8-9 a whole day
    /// taken away; in <see cref="Season"/>, <see cref="DaysAgo"/> before today for the last two. <see cref="Rollup"/> 0
    /// ends a rollup pass after the change, which merges the season rows it changed since the last one.
    /// </summary>
    private readonly record struct DayChange(int Kind, int Season, int Advance, int DaysAgo, int Votes, int Rollup);

    private static readonly Gen<DayChange> DayChanges = Gen.Select(
        Gen.Select(Gen.Int[0, 9], Gen.Int[0, 2], Gen.Int[0, 3]),
        Gen.Select(Gen.Int[0, 9], Gen.Int[1, 4], Gen.Int[0, 2]),
        (a, b) => new DayChange(a.Item1, a.Item2, a.Item3 == 3 ? 8 : a.Item3 == 2 ? 1 : 0, b.Item1, b.Item2, b.Item3));

    /// <summary>
    /// Whatever the subject's season rows go through, in rollup passes of any size, the all-seasons row kept by
    /// <see cref="LeaderboardTotals.Merge"/> is exact for every period a page can ask for: all time always; its day
    /// (week) is at least every season row's latest day (week), and its counts there are the season rows' counts there.
    /// </summary>
    [Fact]
    public void The_all_seasons_row_kept_by_merges_is_exact_for_the_current_day_week_and_all_time()
    {
        DayChanges.Array[1, 60].Sample(changes =>
        {
            var days = new Dictionary<DateOnly, (long Votes, long Weight)>[] { [], [], [] };
            var merged = new LeaderboardTotals?[3];
            LeaderboardTotals? all = null;
            var today = new DateOnly(2026, 11, 30);
            foreach (var change in changes)
            {
                var season = days[change.Season];
                if (change.Kind < 6)
                {
                    today = today.AddDays(change.Advance);
                    var (votes, weight) = season.GetValueOrDefault(today);
                    season[today] = (votes + change.Votes, weight + change.Votes * 3);
                }
                else if (season.Keys.Where(d => d <= today.AddDays(-change.DaysAgo)).DefaultIfEmpty().Max() is var day && season.ContainsKey(day))
                {
                    var (votes, weight) = season[day];
                    season[day] = change.Kind < 8 ? (Math.Max(0, votes - change.Votes), Math.Max(0, weight - change.Votes * 3)) : (0, 0);
                }

                if (change.Rollup != 0)
                {
                    continue;
                }

                var rows = days.Select(Build).ToArray();
                all = LeaderboardTotals.Merge(all, [.. Enumerable.Range(0, 3).Where(i => rows[i] != merged[i]).Select(i => (merged[i], rows[i]))]);
                merged = rows;
                var present = rows.OfType<LeaderboardTotals>().ToList();
                Assert.Equal(present.Count == 0, all is null);
                if (all is null)
                {
                    continue;
                }

                Assert.Equal((present.Sum(r => r.AllVotes), present.Sum(r => r.AllWeight)), (all.AllVotes, all.AllWeight));
                Assert.True(all.DayStart >= present.Max(r => r.DayStart));
                Assert.Equal((present.Where(r => r.DayStart == all.DayStart).Sum(r => r.DayVotes), present.Where(r => r.DayStart == all.DayStart).Sum(r => r.DayWeight)),
                    (all.DayVotes, all.DayWeight));
                Assert.True(all.WeekStart >= present.Max(r => r.WeekStart));
                Assert.Equal((present.Where(r => r.WeekStart == all.WeekStart).Sum(r => r.WeekVotes), present.Where(r => r.WeekStart == all.WeekStart).Sum(r => r.WeekWeight)),
                    (all.WeekVotes, all.WeekWeight));
            }
        }, iter: 5000, print: changes => string.Join(", ", changes));

        static LeaderboardTotals? Build(Dictionary<DateOnly, (long Votes, long Weight)> season)
        {
            var builder = default(LeaderboardTotals.Builder);
            foreach (var (day, (votes, weight)) in season)
            {
                builder.Add(day, votes, weight);
            }

            return builder.Build();
        }
    }

    private static LeaderboardTotals Row(DateOnly day, long dayVotes, long all, long? week = null) =>
        new(day, dayVotes, dayVotes, LeaderboardPeriods.WeekOf(day), week ?? all, week ?? all, all, all);
}
