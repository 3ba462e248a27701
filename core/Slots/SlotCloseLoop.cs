using AiMoviez.Core.Data;
using AiMoviez.Core.Infrastructure;
using Microsoft.Extensions.Options;
using Npgsql;

namespace AiMoviez.Core.Slots;

/// <summary>
/// Every few seconds closes the voting slots whose time ran out. A PostgreSQL advisory lock lets only one core
/// instance run a pass at a time; the row checks in <see cref="SlotTransitions.LockAsync"/> keep even overlapping
/// closers from advancing a slot twice.
/// </summary>
public sealed class SlotCloseLoop(CatalogDatabase catalog, SlotCloser closer, IOptions<SlotOptions> options, ILogger<SlotCloseLoop> logger)
    : BackgroundService
{
    private const long LoopLockKey = 0x41694d6f7669_02;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(options.Value.CheckIntervalSeconds));
        do
        {
            try
            {
                await RunPassAsync(stoppingToken);
            }
            catch (Exception e) when (e is NpgsqlException or InvalidOperationException or TimeoutException)
            {
                logger.LogWarning("Slot close pass failed, retrying next tick: {Error}", e.Message);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    private async Task RunPassAsync(CancellationToken ct)
    {
        await using var connection = await catalog.DataSource.OpenConnectionAsync(ct);
        await using (var tryLock = new NpgsqlCommand("select pg_try_advisory_lock($1)", connection))
        {
            tryLock.Parameters.Add(new NpgsqlParameter { Value = LoopLockKey });
            if (!(bool)(await tryLock.ExecuteScalarAsync(ct))!)
            {
                return;
            }
        }

        try
        {
            foreach (var slot in await closer.FindDueAsync(ct))
            {
                await closer.TryCloseAsync(slot, ct);
            }
        }
        finally
        {
            await using var unlock = new NpgsqlCommand("select pg_advisory_unlock($1)", connection);
            unlock.Parameters.Add(new NpgsqlParameter { Value = LoopLockKey });
            await unlock.ExecuteScalarAsync(CancellationToken.None);
        }
    }
}
