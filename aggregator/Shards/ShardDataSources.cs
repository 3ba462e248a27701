using AiMoviez.Contracts;
using Npgsql;

namespace AiMoviez.Aggregator.Shards;

/// <summary>A PostgreSQL data source per vote shard of the topology.</summary>
internal sealed class ShardDataSources(Topology topology) : IAsyncDisposable
{
    public IReadOnlyDictionary<string, NpgsqlDataSource> ByShard { get; } =
        topology.Shards.ToDictionary(s => s.Name, s => NpgsqlDataSource.Create(s.ConnectionString));

    public async ValueTask DisposeAsync()
    {
        foreach (var dataSource in ByShard.Values)
        {
            await dataSource.DisposeAsync();
        }
    }
}
