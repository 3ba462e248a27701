using AiMoviez.Contracts;
using AiMoviez.Aggregator.Rules;
using AiMoviez.Aggregator.Shards;
using Microsoft.Extensions.Options;
using Npgsql;

namespace AiMoviez.Aggregator.Republish;

/// <summary>
/// Every few seconds republishes the latest slot of every known season from its shard, and the genre vote's counts from
/// the genre shard, so an edge that missed a per-commit tally (core NATS does not store) or just started converges anyway.
/// </summary>
internal sealed class TallyRepublisher(ShardWriters writers, KnownSlots knownSlots, OutcomePublisher publisher, DailyLedger ledger,
    ShardMap shardMap, IOptions<AggregatorOptions> options, TimeProvider time, ILogger<TallyRepublisher> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.RepublishInterval);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            ledger.Prune(DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime).AddDays(-2));
            foreach (var writer in writers.ByShard.Values.Where(w => w.Healthy))
            {
                try
                {
                    await RepublishAsync(writer, stoppingToken);
                }
                catch (Exception e) when (e is NpgsqlException or TimeoutException)
                {
                    logger.LogDebug(e, "Republish from {Shard} skipped", writer.Shard);
                }
            }
        }
    }

    private async Task RepublishAsync(ShardWriter writer, CancellationToken cancellationToken)
    {
        if (writer.Shard == shardMap.GenreShard)
        {
            await RepublishGenresAsync(writer, cancellationToken);
        }

        var slots = knownSlots.OfShard(writer.Shard).ToList();
        if (slots.Count == 0)
        {
            return;
        }

        var asOf = time.GetUtcNow();
        await using var command = writer.DataSource.CreateCommand(TallyReads.ReadTallies);
        command.Parameters.Add(new NpgsqlParameter { Value = slots.Select(s => s.SeasonId).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = slots.Select(s => s.SlotPosition).ToArray() });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var tallies = await TallyReads.ReadSlotTalliesAsync(reader, slots, asOf, cancellationToken);
        await publisher.PublishTalliesAsync(tallies, cancellationToken);
    }

    private async Task RepublishGenresAsync(ShardWriter writer, CancellationToken cancellationToken)
    {
        var asOf = time.GetUtcNow();
        await using var command = writer.DataSource.CreateCommand(TallyReads.ReadGenreCounts);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var counts = await TallyReads.ReadGenreCountsAsync(reader, cancellationToken);
        await publisher.PublishGenresAsync(new GenreTally { AsOf = asOf, Counts = counts }, cancellationToken);
    }
}
