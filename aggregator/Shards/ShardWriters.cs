using AiMoviez.Contracts;
using AiMoviez.Aggregator.Republish;
using AiMoviez.Aggregator.Rules;
using Microsoft.Extensions.Options;

namespace AiMoviez.Aggregator.Shards;

/// <summary>Starts one writer per shard once every shard has given its share of the daily ledger.</summary>
public sealed class ShardWriters : BackgroundService
{
    private readonly DailyLedger _ledger;

    public ShardWriters(ShardDataSources shards, DailyLedger ledger, LedgerDays ledgerDays, KnownSlots knownSlots,
        OutcomePublisher publisher, AggregatorMetrics metrics, ShardLeases leases, IOptions<AggregatorOptions> options,
        ILoggerFactory loggerFactory)
    {
        _ledger = ledger;
        var settings = options.Value;
        ByShard = shards.ByShard.ToDictionary(s => s.Key, s =>
        {
            var logger = loggerFactory.CreateLogger("AiMoviez.Aggregator.Shards." + s.Key);
            return new ShardWriter(s.Key, s.Value, (Applier(), Applier()), ledger, knownSlots, publisher, metrics, settings, logger);

            ShardBatchApplier Applier() =>
                new(s.Key, s.Value, ledger, ledgerDays, settings.DailyWeightLimit, settings.DayChangesRetention,
                    settings.WriterLockTimeout, logger, leases.ByShard[s.Key]);
        });
    }

    public IReadOnlyDictionary<string, ShardWriter> ByShard { get; }

    /// <summary>The lanes of every region's vote stream: one per shard, and one for seasons no shard holds.</summary>
    public IReadOnlyList<string> Lanes => [.. ByShard.Keys.Order(StringComparer.Ordinal), Subjects.UnroutedLane];

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Yesterday and today are loaded now (a late vote may still count for yesterday); later days start empty because
        // no vote for them was applied before this process started; older days load on first use.
        var today = DateOnly.FromDateTime(DateTime.UtcNow);
        _ledger.StartFresh(today.AddDays(1));
        await Task.WhenAll(ByShard.Values.Select(w => w.InitializeAsync(today.AddDays(-1), today, stoppingToken)));
        _ledger.MarkLoaded(today.AddDays(-1));
        _ledger.MarkLoaded(today);
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
