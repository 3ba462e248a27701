namespace AiMoviez.Core.Leaderboards;

/// <summary>
/// A leaderboard and the shard table its day rows come from: the table's subject column, and how a subject given as text
/// (day_changes, leaderboards) matches that column so the lookup stays on the table's primary key.
/// </summary>
internal sealed record LeaderboardBoard(string Name, string ShardTable, string SubjectColumn, string SubjectExpression, string SubjectFromText)
{
    public static readonly LeaderboardBoard Clips = new("clips", "clip_days", "clip_id", "clip_id::text", "{0}::uuid");
    // Voter keys compare bytewise on the shards (their column's collation is "C").
    public static readonly LeaderboardBoard Voters = new("voters", "voter_days", "voter_key", "voter_key", "{0} collate \"C\"");
    public static readonly LeaderboardBoard Creators = new("creators", "creator_days", "creator_id", "creator_id::text", "{0}::uuid");

    public static readonly IReadOnlyList<LeaderboardBoard> All = [Clips, Voters, Creators];
}

internal static class LeaderboardPeriods
{
    public const string Day = "day";
    public const string Week = "week";
    public const string All = "all";

    /// <summary>All-time totals are kept under this period start.</summary>
    public static readonly DateOnly AllTimeStart = new(2000, 1, 1);

    /// <summary>day: the current UTC day; week: the current ISO week (Monday, UTC); all: everything.</summary>
    public static DateOnly? StartOf(string period, DateTimeOffset now)
    {
        var today = DateOnly.FromDateTime(now.UtcDateTime);
        return period switch
        {
            Day => today,
            Week => WeekOf(today),
            All => AllTimeStart,
            _ => null,
        };
    }

    /// <summary>The Monday of the ISO week of <paramref name="day"/>.</summary>
    public static DateOnly WeekOf(DateOnly day) => day.AddDays(-(((int)day.DayOfWeek + 6) % 7));
}

/// <summary>
/// One leaderboard row's counts: its latest day with counts and that day's, the ISO week of that day and its counts, and
/// all time. A page of period day (week) ranks the rows whose day (week) is the period asked, so older days and weeks
/// cost no rows. For one season they come from the subject's day rows in that season; for all seasons they are kept
/// from the changes of its season rows by <see cref="Merge"/>.
/// </summary>
internal sealed record LeaderboardTotals(DateOnly DayStart, long DayVotes, long DayWeight, DateOnly WeekStart, long WeekVotes, long WeekWeight,
    long AllVotes, long AllWeight)
{
    /// <summary>Collects one subject's day rows in one season.</summary>
    public struct Builder
    {
        private List<(DateOnly Day, long Votes, long Weight)>? _rows;

        /// <summary>Adds a day row; a zero row counts as none (it is no subject's latest day).</summary>
        public void Add(DateOnly day, long votes, long weight)
        {
            if (votes != 0 || weight != 0)
            {
                (_rows ??= []).Add((day, votes, weight));
            }
        }

        /// <summary>The totals of the rows added; null without any.</summary>
        public readonly LeaderboardTotals? Build()
        {
            if (_rows is null or [])
            {
                return null;
            }

            var last = _rows.Max(r => r.Day);
            var week = LeaderboardPeriods.WeekOf(last);
            long dayVotes = 0, dayWeight = 0, weekVotes = 0, weekWeight = 0, allVotes = 0, allWeight = 0;
            foreach (var (day, votes, weight) in _rows)
            {
                (allVotes, allWeight) = (allVotes + votes, allWeight + weight);
                if (day >= week)
                {
                    (weekVotes, weekWeight) = (weekVotes + votes, weekWeight + weight);
                }

                if (day == last)
                {
                    (dayVotes, dayWeight) = (dayVotes + votes, dayWeight + weight);
                }
            }

            return new(last, dayVotes, dayWeight, week, weekVotes, weekWeight, allVotes, allWeight);
        }
    }

    /// <summary>
    /// A subject's all-seasons row after some of its season rows changed from Old to New (null: no row). It keeps, per
    /// period, the latest start any season row had and the sum of the season rows at that start: a change takes out the
    /// old row's counts where its start is the row's, then a later start replaces the row's period and an equal one adds.
    /// A season row moving back to an earlier start (its latest day's counts all taken away) leaves the row's period
    /// where it was, holding the other seasons' counts for it: that period is not earlier than the new start, so the
    /// periods a page can ask for (the current ones) stay exact. Null when the all-time counts are zero.
    /// </summary>
    public static LeaderboardTotals? Merge(LeaderboardTotals? current, IReadOnlyCollection<(LeaderboardTotals? Old, LeaderboardTotals? New)> changes)
    {
        var allVotes = (current?.AllVotes ?? 0) + changes.Sum(c => (c.New?.AllVotes ?? 0) - (c.Old?.AllVotes ?? 0));
        var allWeight = (current?.AllWeight ?? 0) + changes.Sum(c => (c.New?.AllWeight ?? 0) - (c.Old?.AllWeight ?? 0));
        if (allVotes == 0 && allWeight == 0)
        {
            return null;
        }

        var day = MergePeriod(current, changes, t => new PeriodCounts(t.DayStart, t.DayVotes, t.DayWeight));
        var week = MergePeriod(current, changes, t => new PeriodCounts(t.WeekStart, t.WeekVotes, t.WeekWeight));
        return new(day.Start, day.Votes, day.Weight, week.Start, week.Votes, week.Weight, allVotes, allWeight);
    }

    private readonly record struct PeriodCounts(DateOnly Start, long Votes, long Weight);

    private static PeriodCounts MergePeriod(LeaderboardTotals? current, IReadOnlyCollection<(LeaderboardTotals? Old, LeaderboardTotals? New)> changes,
        Func<LeaderboardTotals, PeriodCounts> period)
    {
        var (start, votes, weight) = current is null ? new PeriodCounts(DateOnly.MinValue, 0, 0) : period(current);
        foreach (var old in changes.Where(c => c.Old is not null).Select(c => period(c.Old!)).Where(o => o.Start == start))
        {
            (votes, weight) = (votes - old.Votes, weight - old.Weight);
        }

        var news = changes.Where(c => c.New is not null).Select(c => period(c.New!)).ToList();
        if (news.Count > 0 && news.Max(n => n.Start) is var latest && latest >= start)
        {
            if (latest > start)
            {
                (start, votes, weight) = (latest, 0, 0);
            }

            foreach (var n in news.Where(n => n.Start == start))
            {
                (votes, weight) = (votes + n.Votes, weight + n.Weight);
            }
        }

        return new(start, votes, weight);
    }
}
