using AiMoviez.Contracts;
using AiMoviez.Edge.Infrastructure;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace AiMoviez.Edge.Votes;

/// <summary>
/// Writes the aggregator's decisions into Redis receipts. The region's edges share the durable consumer, so each
/// decision is written once; a message is acked only after Redis took it.
/// </summary>
internal sealed partial class ReceiptWriter(
    INatsJSContext jetStream,
    JetStreamSetup streams,
    VoteLedger ledger,
    RegionTopology region,
    ILogger<ReceiptWriter> logger) : BackgroundService
{
    public const string ConsumerName = "edge-receipts";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await streams.Ready.WaitAsync(stoppingToken);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var consumer = await jetStream.CreateOrUpdateConsumerAsync(region.ReceiptStream,
                    new ConsumerConfig(ConsumerName) { AckPolicy = ConsumerConfigAckPolicy.Explicit, AckWait = TimeSpan.FromSeconds(30) },
                    stoppingToken);
                await foreach (var message in consumer.ConsumeAsync<VoteDecisions>(cancellationToken: stoppingToken))
                {
                    if (message.Data is null)
                    {
                        await message.AckTerminateAsync(cancellationToken: stoppingToken);
                        continue;
                    }

                    try
                    {
                        await ledger.RecordDecisionsAsync(message.Data.Decisions);
                        await message.AckAsync(cancellationToken: stoppingToken);
                    }
                    catch (Exception e) when (e is StackExchange.Redis.RedisException or TimeoutException)
                    {
                        LogRedisFailed(logger, e.Message);
                        await message.NakAsync(delay: TimeSpan.FromSeconds(1), cancellationToken: stoppingToken);
                    }
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogConsumeFailed(logger, e.Message);
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken);
            }
        }
    }

    [LoggerMessage(LogLevel.Warning, "Receipts not written, Redis failed: {Reason}")]
    private static partial void LogRedisFailed(ILogger logger, string reason);

    [LoggerMessage(LogLevel.Warning, "Receipt consumer failed: {Reason}")]
    private static partial void LogConsumeFailed(ILogger logger, string reason);
}
