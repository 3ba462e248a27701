using AiMoviez.Core.Leaderboards;

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

    private static LeaderboardTotals Row(DateOnly day, long dayVotes, long all, long? week = null) =>
        new(day, dayVotes, dayVotes, LeaderboardPeriods.WeekOf(day), week ?? all, week ?? all, all, all);
}
