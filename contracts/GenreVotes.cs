namespace AiMoviez.Contracts;

/// <summary>
/// The genre vote between seasons (CONTRACT.md section 4): one per voter, changeable and withdrawable. It belongs to no
/// season, so it is held by one shard, <see cref="ShardMap.GenreShard"/>, and travels on that shard's lane.
/// </summary>
public static class GenreVoting
{
    /// <summary>DOMAIN.md's genres, in its order and spelling.</summary>
    public static readonly IReadOnlyList<string> Genres = ["Thriller", "Comedy", "Action", "Sci-Fi", "Romance", "Animation", "Horror"];

    /// <summary>The genre in its canonical spelling (matched case-insensitively), or null when it is none of them.</summary>
    public static string? Canonical(string? genre) =>
        Genres.FirstOrDefault(g => string.Equals(g, genre?.Trim(), StringComparison.OrdinalIgnoreCase));

    /// <summary>Each genre's share of <paramref name="counts"/> in percent (one decimal), every genre present; all 0 without votes.</summary>
    public static Dictionary<string, double> Percentages(IReadOnlyDictionary<string, long> counts)
    {
        var total = counts.Values.Sum();
        return Genres.ToDictionary(g => g,
            g => total == 0 ? 0 : Math.Round(counts.GetValueOrDefault(g) * 100.0 / total, 1, MidpointRounding.AwayFromZero));
    }
}

/// <summary>
/// A voter's genre vote set (<see cref="Genre"/>) or withdrawn (null), published by an edge (subject
/// <see cref="Subjects.GenreVote"/>); Nats-Msg-Id is <c>genre-</c> and <see cref="ChangeId"/>. The shard keeps the
/// change with the highest (<see cref="Sequence"/>, <see cref="ChangeId"/>) per voter, so a redelivered or late change
/// never undoes a newer one.
/// </summary>
public sealed record GenreVoteChanged : VoteStreamEvent
{
    public int SchemaVersion { get; init; } = EventSchema.Version;
    public required Guid ChangeId { get; init; }
    public required string VoterKey { get; init; }
    public string? Genre { get; init; }

    /// <summary>Grows with each change of the voter: the edge's clock in ms, above the voter's last change in the region.</summary>
    public required long Sequence { get; init; }
    public required string Region { get; init; }
    public required DateTimeOffset ChangedAt { get; init; }
}

/// <summary>The genre vote's counts, republished by the aggregator to every region (subject <see cref="Subjects.GenreTally"/>).</summary>
public sealed record GenreTally
{
    public required DateTimeOffset AsOf { get; init; }

    /// <summary>Votes per genre; a genre without votes may be missing.</summary>
    public required IReadOnlyDictionary<string, long> Counts { get; init; }
}
