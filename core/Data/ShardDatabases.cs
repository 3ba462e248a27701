using AiMoviez.Contracts;
using Npgsql;

namespace AiMoviez.Core.Data;

/// <summary>The vote shards (read only: tallies, leaderboard day rows, shard status) and the season-to-shard map.</summary>
internal sealed class ShardDatabases : IAsyncDisposable
{
    private readonly Dictionary<string, NpgsqlDataSource> _sources;

    public ShardDatabases(Topology topology)
    {
        Map = new ShardMap(topology);
        _sources = topology.Shards.ToDictionary(s => s.Name, s => CoreDataSources.Create(s.ConnectionString));
    }

    public ShardMap Map { get; }

    public IReadOnlyCollection<string> Names => _sources.Keys;

    public NpgsqlDataSource Shard(string name) => _sources[name];

    /// <summary>The shard of a season number; every created season has one (creation checks it).</summary>
    public NpgsqlDataSource ForSeason(int seasonNumber) =>
        _sources[Map.ShardFor(seasonNumber) ?? throw new InvalidOperationException($"No shard holds season {seasonNumber}.")];

    public async ValueTask DisposeAsync()
    {
        foreach (var source in _sources.Values)
        {
            await source.DisposeAsync();
        }
    }
}
