using System.Text.Json;
using AiMoviez.Aggregator.Ingest;
using AiMoviez.Contracts;
using NATS.Client.Core;
using NATS.Client.JetStream;

namespace AiMoviez.Aggregator.Republish;

/// <summary>Tells the regions what a commit decided: decisions to the origin region's receipts, tallies to every region.</summary>
internal sealed class OutcomePublisher(RegionLinks regions, ILogger<OutcomePublisher> logger)
{
    // Keeps a receipts message well under the NATS default max payload of 1 MB.
    private const int DecisionsPerMessage = 2_000;

    /// <summary>Publishes each region's decisions to its RECEIPTS stream; returns the regions that did not store them.</summary>
    public async Task<IReadOnlySet<string>> PublishDecisionsAsync(IEnumerable<(string Region, VoteDecision Decision)> decisions,
        CancellationToken cancellationToken)
    {
        var failed = new HashSet<string>();
        foreach (var group in decisions.GroupBy(d => d.Region))
        {
            try
            {
                foreach (var chunk in group.Select(d => d.Decision).Chunk(DecisionsPerMessage))
                {
                    var payload = JsonSerializer.SerializeToUtf8Bytes(new VoteDecisions { Decisions = chunk }, ContractsJson.Default.VoteDecisions);
                    var ack = await regions[group.Key].JetStream.PublishAsync(Subjects.Receipts(group.Key), payload, cancellationToken: cancellationToken);
                    ack.EnsureSuccess();
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning("Decisions for region {Region} not published ({Error})", group.Key, e.Message);
                failed.Add(group.Key);
            }
        }

        return failed;
    }

    /// <summary>Core NATS, like tallies: the periodic republish catches up a region that missed it.</summary>
    public async Task PublishGenresAsync(GenreTally genres, CancellationToken cancellationToken)
    {
        var payload = JsonSerializer.SerializeToUtf8Bytes(genres, ContractsJson.Default.GenreTally);
        foreach (var region in regions.All.Where(r => r.Connected))
        {
            try
            {
                await region.Connection.PublishAsync(Subjects.GenreTally, payload, cancellationToken: cancellationToken);
            }
            catch (NatsException e)
            {
                logger.LogDebug(e, "Genre counts not published to {Region}", region.Name);
            }
        }
    }

    /// <summary>Core NATS, so a region that is down just misses it; the periodic republish catches it up.</summary>
    public async Task PublishTalliesAsync(IEnumerable<SlotTally> tallies, CancellationToken cancellationToken)
    {
        foreach (var tally in tallies)
        {
            var payload = JsonSerializer.SerializeToUtf8Bytes(tally, ContractsJson.Default.SlotTally);
            foreach (var region in regions.All.Where(r => r.Connected))
            {
                try
                {
                    await region.Connection.PublishAsync(Subjects.Tally(tally.SeasonId), payload, cancellationToken: cancellationToken);
                }
                catch (NatsException e)
                {
                    logger.LogDebug(e, "Tally not published to {Region}", region.Name);
                }
            }
        }
    }
}
