using System.Diagnostics;
using AiMoviez.Contracts;
using AiMoviez.Aggregator.Republish;
using AiMoviez.Aggregator.Rules;
using Microsoft.Extensions.Options;
using Npgsql;

namespace AiMoviez.Aggregator.Shards;

/// <summary>Starts one writer per shard once every shard has given its share of the daily ledger.</summary>
internal sealed class ShardWriters : BackgroundService
{
    private readonly DailyLedger _ledger;
    private readonly LedgerDays _ledgerDays;
    private readonly ShardDataSources _shards;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly TaskCompletionSource _initialized = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _readySync = new();
    private readonly Dictionary<string, (CancellationToken Held, Task Ready)> _ready = [];
    /// <summary>Taken by a lease's check of the ledger, and its reload: a lease waits for the reload before it.</summary>
    private readonly SemaphoreSlim _ledgerChecks = new(1, 1);

    public ShardWriters(ShardDataSources shards, DailyLedger ledger, LedgerDays ledgerDays, KnownSlots knownSlots,
        OutcomePublisher publisher, AggregatorMetrics metrics, ShardLeases leases, IOptions<AggregatorOptions> options,
        TimeProvider time, ILoggerFactory loggerFactory)
    {
        _time = time;
        _ledger = ledger;
        _ledgerDays = ledgerDays;
        _shards = shards;
        _logger = loggerFactory.CreateLogger<ShardWriters>();
        var settings = options.Value;
        ByShard = shards.ByShard.ToDictionary(s => s.Key, s =>
        {
            var logger = loggerFactory.CreateLogger("AiMoviez.Aggregator.Shards." + s.Key);
            return new ShardWriter(s.Key, s.Value, (Applier(), Applier()), ledger, knownSlots, publisher, metrics, settings, time, logger);

            ShardBatchApplier Applier() =>
                new(s.Key, s.Value, ledger, ledgerDays, settings.DailyWeightLimit, settings.DayChangesRetention,
                    settings.WriterLockTimeout, logger, time, leases.ByShard[s.Key]);
        });
    }

    public IReadOnlyDictionary<string, ShardWriter> ByShard { get; }

    /// <summary>The lanes of every region's vote stream: one per shard, and one for seasons no shard holds.</summary>
    public IReadOnlyList<string> Lanes => [.. ByShard.Keys.Order(StringComparer.Ordinal), Subjects.UnroutedLane];

    /// <summary>
    /// Completes once this process may apply the shard's messages under the lease it holds now (<paramref name="held"/>):
    /// at once if the lease was taken before this process loaded the daily ledger; otherwise once the ledger has every
    /// shard's votes: loaded again, unless no shard's write count moved but by this process since the ledger saw it. A
    /// process taking over every shard of one that died so reloads once, on its first lease, not once per shard.
    /// </summary>
    public Task ReadyAsync(ShardLease lease, CancellationToken held)
    {
        lock (_readySync)
        {
            if (_ready.TryGetValue(lease.Shard, out var ready) && ready.Held == held)
            {
                return ready.Ready;
            }

            var task = _initialized.Task.IsCompleted ? CheckLedgerAsync(lease.Shard, held) : _initialized.Task.WaitAsync(held);
            _ready[lease.Shard] = (held, task);
            return task;
        }
    }

    private async Task CheckLedgerAsync(string shard, CancellationToken held)
    {
        await _ledgerChecks.WaitAsync(held);
        try
        {
            if (await WritesAsync(held) is { } writes && _ledger.HasSeen(writes))
            {
                _logger.LogInformation("Daily ledger kept for the lease of shard {Shard}: no shard was written elsewhere since it was loaded", shard);
                return;
            }

            await ReloadLedgerAsync(shard, held);
        }
        finally
        {
            _ledgerChecks.Release();
        }
    }

    /// <summary>Every shard's write count, or null when a shard does not answer (the reload then retries until it does).</summary>
    private async Task<Dictionary<string, long>?> WritesAsync(CancellationToken held)
    {
        try
        {
            var counts = await Task.WhenAll(_shards.ByShard.Select(async s =>
            {
                await using var command = s.Value.CreateCommand(ShardSchema.ReadWritesSql);
                command.Parameters.Add(new NpgsqlParameter { Value = s.Key });
                return (Shard: s.Key, Writes: (long)(await command.ExecuteScalarAsync(held))!);
            }));
            return counts.ToDictionary(c => c.Shard, c => c.Writes);
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException && !held.IsCancellationRequested)
        {
            return null;
        }
    }

    private async Task ReloadLedgerAsync(string shard, CancellationToken held)
    {
        while (true)
        {
            var paused = new List<ShardWriter>();
            try
            {
                // Every writer between batches: no reservation is open.
                foreach (var writer in ByShard.Values.OrderBy(w => w.Shard, StringComparer.Ordinal))
                {
                    await writer.PauseAsync(held);
                    paused.Add(writer);
                }

                var started = Stopwatch.GetTimestamp();
                var today = DateOnly.FromDateTime(_time.GetUtcNow().UtcDateTime);
                var rows = await Task.WhenAll(_shards.ByShard.Select(async s =>
                    (Shard: s.Key, Rows: await LedgerDays.ReadAsync(s.Value, s.Key, today.AddDays(-1), today, held))));
                _ledger.Reset(today.AddDays(1));
                _ledgerDays.Forget();
                foreach (var (shardName, shardRows) in rows)
                {
                    _ledger.Load(shardRows);
                    _ledger.Saw(shardName, shardRows.Writes);
                }

                _ledger.MarkLoaded(today.AddDays(-1));
                _ledger.MarkLoaded(today);
                _logger.LogInformation("Daily ledger loaded again for the lease of shard {Shard}: {Rows} day rows, every writer paused {Seconds:F1} s",
                    shard, rows.Sum(r => r.Rows.Count), Stopwatch.GetElapsedTime(started).TotalSeconds);
                return;
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException && !held.IsCancellationRequested)
            {
                _logger.LogWarning("Daily ledger not loaded for the lease of shard {Shard} ({Error}); retrying", shard, e.Message);
            }
            finally
            {
                paused.ForEach(w => w.Resume());
            }

            await Task.Delay(TimeSpan.FromSeconds(1), held);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Yesterday and today are loaded now (a late vote may still count for yesterday); later days start empty because
        // no vote for them was applied before this process started; older days load on first use.
        var today = DateOnly.FromDateTime(_time.GetUtcNow().UtcDateTime);
        _ledger.StartFresh(today.AddDays(1));
        await Task.WhenAll(ByShard.Values.Select(w => w.InitializeAsync(today.AddDays(-1), today, stoppingToken)));
        _ledger.MarkLoaded(today.AddDays(-1));
        _ledger.MarkLoaded(today);
        _initialized.TrySetResult();
        try
        {
            await await Task.WhenAny(ByShard.Values.Select(w => w.RunAsync(stoppingToken)));
        }
        catch (Exception) when (!stoppingToken.IsCancellationRequested)
        {
            // The first writer to fail stops the host, whatever the others do; a non-zero exit code tells the process's
            // supervisor to restart it.
            Environment.ExitCode = 1;
            throw;
        }
    }
}
