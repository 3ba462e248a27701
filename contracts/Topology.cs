namespace AiMoviez.Contracts;

/// <summary>The region and shard topology from regions/ (the single source of truth for every service).</summary>
public sealed record Topology
{
    public required ServiceEndpoint Core { get; init; }
    public required ServiceEndpoint Aggregator { get; init; }

    /// <summary>
    /// Every aggregator instance, where several share the shards (the HA layout); null where <see cref="Aggregator"/> is
    /// the only one. Each answers the close barrier for every shard; a slot's reset only the holder of its shard's lease.
    /// </summary>
    public IReadOnlyList<string>? AggregatorUrls { get; init; }
    public required string CatalogDatabase { get; init; }
    public required IReadOnlyList<RegionTopology> Regions { get; init; }
    public required IReadOnlyList<ShardTopology> Shards { get; init; }
    public required IReadOnlyList<SeasonShardRange> SeasonShards { get; init; }

    public RegionTopology Region(string name) =>
        Regions.FirstOrDefault(r => r.Name == name)
        ?? throw new KeyNotFoundException($"Region '{name}' is not defined in the topology.");

    public ShardTopology Shard(string name) =>
        Shards.FirstOrDefault(s => s.Name == name)
        ?? throw new KeyNotFoundException($"Shard '{name}' is not defined in the topology.");
}

public sealed record ServiceEndpoint
{
    public required string Url { get; init; }
}

public sealed record RegionTopology
{
    public required string Name { get; init; }
    public required string EdgeUrl { get; init; }

    /// <summary>Every edge of the region where several serve it behind one address (the HA layout); null where <see cref="EdgeUrl"/> is the only one.</summary>
    public IReadOnlyList<string>? EdgeUrls { get; init; }

    public required string Nats { get; init; }
    public required string Redis { get; init; }

    /// <summary>
    /// Replicas of each of the region's streams: 1 on a single NATS server, the cluster's size (3) where <see cref="Nats"/>
    /// lists a JetStream cluster. A replicated stream acknowledges a message once a quorum of its servers stored it.
    /// </summary>
    public int StreamReplicas { get; init; } = 1;

    /// <summary>The region's JetStream stream of votes, revokes and views.</summary>
    public string VoteStream => StreamNames.Votes(Name);

    /// <summary>The region's JetStream stream of aggregator decisions for its edges' receipts.</summary>
    public string ReceiptStream => StreamNames.Receipts(Name);

    /// <summary>The region's JetStream stream of votes removed by slot resets, for its edges to give back.</summary>
    public string ResetStream => StreamNames.Resets(Name);
}

public sealed record ShardTopology
{
    public required string Name { get; init; }
    public required string ConnectionString { get; init; }
}

/// <summary>
/// Seasons <see cref="FromSeason"/>..<see cref="ToSeason"/> (season numbers, inclusive) are spread over
/// <see cref="Shards"/> round-robin. Ranges are append-only, so an existing season never moves shard.
/// </summary>
public sealed record SeasonShardRange
{
    public required int FromSeason { get; init; }
    public required int ToSeason { get; init; }
    public required IReadOnlyList<string> Shards { get; init; }
}
