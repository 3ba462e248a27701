using AiMoviez.Aggregator.Shards;
using AiMoviez.Contracts;
using NATS.Client.JetStream;

namespace AiMoviez.Aggregator.Ingest;

/// <summary>
/// Reads each region's vote stream and lane consumers every few seconds for the stream-depth and consumer-lag gauges:
/// JetStream API calls cannot run inside a metrics callback, which must not wait.
/// </summary>
internal sealed class StreamMonitor(RegionLinks regions, ShardWriters writers, AggregatorMetrics metrics, ILogger<StreamMonitor> logger)
    : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval);
        do
        {
            foreach (var region in regions.All)
            {
                await ObserveAsync(region, stoppingToken);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    private async Task ObserveAsync(RegionLink region, CancellationToken cancellationToken)
    {
        var stream = StreamNames.Votes(region.Name);
        try
        {
            var info = await region.JetStream.GetStreamAsync(stream, cancellationToken: cancellationToken);
            metrics.StreamObserved(region.Name, (long)info.Info.State.Messages);
            foreach (var lane in writers.Lanes)
            {
                var consumer = await region.JetStream.GetConsumerAsync(stream, StreamNames.AggregatorConsumer(lane), cancellationToken);
                metrics.ConsumerObserved(region.Name, lane, (long)consumer.Info.NumPending);
            }
        }
        catch (Exception e) when (e is NatsJSException or NATS.Client.Core.NatsException or TimeoutException)
        {
            // A region that is down keeps its last values; its consumers say so in their own logs.
            logger.LogDebug("Stream state of region {Region} not read: {Error}", region.Name, e.Message);
        }
    }
}
