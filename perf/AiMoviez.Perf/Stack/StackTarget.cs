using AiMoviez.Contracts;

namespace AiMoviez.Perf.Stack;

/// <param name="Name">The edge's process name in `./aimoviez status`.</param>
public sealed record EdgeEndpoint(string Region, Uri BaseUri, string Name);

/// <summary>The addresses of the local stack from the topology, checked to be loopback.</summary>
public sealed record StackAddresses
{
    public required Topology Topology { get; init; }
    public required Uri CoreUri { get; init; }
    public required IReadOnlyList<EdgeEndpoint> Edges { get; init; }
    public required string CatalogConnectionString { get; init; }

    public static StackAddresses FromTopology(Topology topology, IReadOnlyList<string> regionFilter)
    {
        var regions = regionFilter.Count == 0
            ? topology.Regions
            : regionFilter.Select(topology.Region).ToList();
        return new StackAddresses
        {
            Topology = topology,
            CoreUri = LoopbackGuard.Check(new Uri(topology.Core.Url)),
            Edges = regions.SelectMany(r => StackProcesses.Edges(r).Select(e => new EdgeEndpoint(r.Name, LoopbackGuard.Check(e.Url), e.Name))).ToList(),
            CatalogConnectionString = LoopbackGuard.CheckConnectionString(topology.CatalogDatabase),
        };
    }
}

/// <summary>The season the vote scenarios vote in: its current voting slot, its votable clips and its shard.</summary>
public sealed record SeasonTarget
{
    public required Guid SeasonId { get; init; }
    public required int SeasonNumber { get; init; }
    public required string SeasonLabel { get; init; }
    public required int SlotPosition { get; init; }
    public DateTimeOffset? VotingEndsAt { get; init; }
    /// <summary>Votable clips sorted by id, so the hot clip (the first) is the same on every run.</summary>
    public required IReadOnlyList<Guid> Clips { get; init; }
    public required string ShardName { get; init; }
    public required string ShardConnectionString { get; init; }
}
