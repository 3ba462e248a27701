using Npgsql;

namespace AiMoviez.Core.Data;

/// <summary>
/// Runs a pass every <see cref="Interval"/> on one core instance at a time: the pass holds a PostgreSQL session
/// advisory lock on the catalog, so cores can run side by side. A failed pass is logged and retried next tick.
/// </summary>
internal abstract class ExclusivePeriodicService(CatalogDatabase catalog, ILogger logger) : BackgroundService
{
    /// <summary>The advisory lock key; unique per kind of pass.</summary>
    protected abstract long LockKey { get; }

    protected abstract TimeSpan Interval { get; }

    /// <summary>Runs on the connection that holds the lock.</summary>
    protected abstract Task RunPassAsync(NpgsqlConnection connection, CancellationToken ct);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval);
        do
        {
            try
            {
                await RunExclusivelyAsync(stoppingToken);
            }
            catch (Exception e) when (e is NpgsqlException or InvalidOperationException or TimeoutException)
            {
                logger.LogWarning("{Service} pass failed, retrying next tick: {Error}", GetType().Name, e.Message);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    private async Task RunExclusivelyAsync(CancellationToken ct)
    {
        await using var connection = await catalog.DataSource.OpenConnectionAsync(ct);
        await using (var tryLock = new NpgsqlCommand("select pg_try_advisory_lock($1)", connection))
        {
            tryLock.Parameters.Add(new NpgsqlParameter { Value = LockKey });
            if (!(bool)(await tryLock.ExecuteScalarAsync(ct))!)
            {
                return;
            }
        }

        try
        {
            await RunPassAsync(connection, ct);
        }
        finally
        {
            await using var unlock = new NpgsqlCommand("select pg_advisory_unlock($1)", connection);
            unlock.Parameters.Add(new NpgsqlParameter { Value = LockKey });
            await unlock.ExecuteScalarAsync(CancellationToken.None);
        }
    }
}
