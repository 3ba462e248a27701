namespace AiMoviez.Contracts;

/// <summary>
/// The close barrier, served by the aggregator at <see cref="BarrierRoutes.Barrier"/>: has every vote any edge accepted
/// so far for the season's shard been applied? Core asks after votingEndsAt plus the edge publish timeout; since edges
/// refuse votes after votingEndsAt and answer 202 only after the stream stored the vote, "applied through each stream's
/// last sequence now" covers every vote accepted before the close.
/// </summary>
public sealed record BarrierStatus
{
    public required Guid SeasonId { get; init; }
    public required string Shard { get; init; }
    public required bool Drained { get; init; }
    public required DateTimeOffset CheckedAt { get; init; }
    public required IReadOnlyList<RegionWatermark> Regions { get; init; }
}

/// <summary>Per region: the stream's last sequence when asked, and how far the shard has applied it.</summary>
public sealed record RegionWatermark(string Region, ulong StreamLastSequence, ulong AppliedThrough, bool Reachable);

/// <summary>The aggregator's view of the pipeline, for core's GET /v1/admin/pipeline.</summary>
public sealed record PipelineStatus
{
    public required DateTimeOffset CheckedAt { get; init; }
    public required IReadOnlyList<RegionPipeline> Regions { get; init; }
    public required IReadOnlyList<ShardPipeline> Shards { get; init; }
}

public sealed record RegionPipeline(string Region, bool Reachable, ulong StreamDepth, ulong ConsumerLag, ulong AckPending, double? OldestUnprocessedAgeSeconds, long DeadLetters);

public sealed record ShardPipeline(string Shard, bool Healthy, DateTimeOffset? LastAppliedBatchAt, long VotesApplied);

public static class BarrierRoutes
{
    /// <summary>GET with ?seasonId=&amp;seasonNumber=.</summary>
    public const string Barrier = "/internal/barrier";
    public const string Pipeline = "/internal/pipeline";
}
