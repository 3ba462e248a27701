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
            Week => today.AddDays(-(((int)today.DayOfWeek + 6) % 7)),
            All => AllTimeStart,
            _ => null,
        };
    }
}
