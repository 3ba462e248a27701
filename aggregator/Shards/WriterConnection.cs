using Npgsql;

namespace AiMoviez.Aggregator.Shards;

/// <summary>
/// A batch applier's own connection to its shard, opened with the writer's session settings and kept across batches;
/// dropped after a failed batch, so the next opens a fresh session.
/// </summary>
internal sealed class WriterConnection(NpgsqlDataSource dataSource, TimeSpan lockTimeout) : IAsyncDisposable
{
    /// <summary>
    /// The writer's session. Every statement of the writer looks rows up, or writes them, by key lists of up to a batch,
    /// passed as array parameters. Planned for their values (a custom plan, PostgreSQL's choice for a statement run once),
    /// the planner folded each 10,000-element array into the plan and estimated every element against the statistics:
    /// about 15 % of the shard's CPU in the ingest benchmark, and the plans followed the statistics, which lag behind a
    /// table that grows by millions within autovacuum's nap (a whole slot read to find a batch's voters, or a parallel
    /// scan of the table). A generic plan prices a key list as a few probes, so every lookup is an index probe whatever
    /// the statistics say, and no statement is planned against its arrays. The costs stay those of a shard in memory or on
    /// SSD, without parallel workers, for the generic plans' choices. No bitmap scans: a generic plan ANDed the voters'
    /// index with the slot's BRIN, which is lossy, so each row of the slot's pages was tested against the whole key list,
    /// element by element: seconds per batch once a batch's voters are counted in its slot already (a redelivery, a
    /// multi-vote slot), where probing the index for the keys takes milliseconds (perf/RESULTS.md).
    /// </summary>
    public const string SessionSettings =
        "set plan_cache_mode = force_generic_plan; set random_page_cost = 1.1; set max_parallel_workers_per_gather = 0; set enable_bitmapscan = off";

    private NpgsqlConnection? _connection;

    /// <summary>The open connection, opening a new one when there is none.</summary>
    public async Task<NpgsqlConnection> OpenAsync(CancellationToken cancellationToken)
    {
        if (_connection is { State: System.Data.ConnectionState.Open })
        {
            return _connection;
        }

        await DropAsync();
        var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using (var command = new NpgsqlCommand(
            $"{SessionSettings}; set lock_timeout = {(long)lockTimeout.TotalMilliseconds}", connection))
        {
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        _connection = connection;
        return connection;
    }

    public async Task DropAsync()
    {
        if (_connection is not null)
        {
            await _connection.DisposeAsync();
            _connection = null;
        }
    }

    public ValueTask DisposeAsync() => _connection?.DisposeAsync() ?? ValueTask.CompletedTask;
}
