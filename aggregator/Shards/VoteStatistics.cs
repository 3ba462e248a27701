using Npgsql;

namespace AiMoviez.Aggregator.Shards;

/// <summary>
/// Keeps the planner's statistics of a shard's votes table fresh while it grows. A slot about to close can take
/// millions of votes within autovacuum's one-minute nap, and on statistics from when the table was small the planner
/// reads a whole slot to find a batch's voters (measured: state reads grew from 90 to 520 ms per batch of 10,000 over
/// 1,000,000 votes). ANALYZE runs beside the writer, never inside its transaction, at most one at a time, each time the
/// table has grown by a fifth since the last one (and by at least <see cref="MinRowsBetween"/>).
/// </summary>
public sealed class VoteStatistics(string shard, NpgsqlDataSource dataSource, ILogger logger)
{
    private const long MinRowsBetween = 50_000;
    private long _rowsAtLastAnalyze;
    private long _rowsSinceLastAnalyze;
    private int _analyzing;

    /// <summary>Called by the shard's writer after each commit.</summary>
    public void Inserted(int rows)
    {
        _rowsSinceLastAnalyze += rows;
        if (_rowsSinceLastAnalyze < Math.Max(MinRowsBetween, Interlocked.Read(ref _rowsAtLastAnalyze) / 5)
            || Interlocked.CompareExchange(ref _analyzing, 1, 0) != 0)
        {
            return;
        }

        _rowsSinceLastAnalyze = 0;
        _ = Task.Run(AnalyzeAsync);
    }

    private async Task AnalyzeAsync()
    {
        try
        {
            await using (var analyze = dataSource.CreateCommand("analyze votes"))
            {
                await analyze.ExecuteNonQueryAsync();
            }

            await using var count = dataSource.CreateCommand("select reltuples::bigint from pg_class where oid = 'votes'::regclass");
            var rows = (long)(await count.ExecuteScalarAsync())!;
            Interlocked.Exchange(ref _rowsAtLastAnalyze, rows);
            logger.LogDebug("Shard {Shard} votes analyzed at {Rows} rows", shard, rows);
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException)
        {
            // The shard is down or busy: the writer notices on its own; the next growth step tries again.
            logger.LogDebug(e, "Shard {Shard} votes not analyzed", shard);
        }
        finally
        {
            Volatile.Write(ref _analyzing, 0);
        }
    }
}
