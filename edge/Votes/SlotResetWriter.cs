using AiMoviez.Contracts;
using AiMoviez.Edge.Infrastructure;
using Microsoft.Extensions.Options;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using StackExchange.Redis;

namespace AiMoviez.Edge.Votes;

/// <summary>
/// Gives voters back the votes an admin's slot reset removed: the aggregator sends them to the region that accepted
/// them, and this frees each in the region's Redis (<see cref="VoteResetScript"/>). The region's edges share the durable
/// consumer, so a message waits in JetStream while every edge is down; it is acked only after Redis applied all of it.
/// </summary>
internal sealed partial class SlotResetWriter(
    INatsJSContext jetStream,
    JetStreamSetup streams,
    IDatabase redis,
    VoteLedger ledger,
    IOptions<EdgeOptions> options,
    RegionTopology region,
    ILogger<SlotResetWriter> logger) : BackgroundService
{
    // A pull the region's NATS lost when it restarted is only renewed after a missed heartbeat or when it expires: short
    // pulls keep a reset waiting in the stream from reaching Redis only half a minute after NATS is back (the defaults).
    private static readonly NatsJSConsumeOpts PullOptions = new()
    {
        MaxMsgs = 10, Expires = TimeSpan.FromSeconds(5), IdleHeartbeat = TimeSpan.FromSeconds(2),
    };

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await streams.Ready.WaitAsync(stoppingToken);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var consumer = await jetStream.CreateOrUpdateConsumerAsync(region.ResetStream,
                    new ConsumerConfig(StreamNames.EdgeResetsConsumer) { AckPolicy = ConsumerConfigAckPolicy.Explicit, AckWait = TimeSpan.FromSeconds(30) },
                    stoppingToken);
                await foreach (var message in consumer.ConsumeAsync<SlotVotesReset>(opts: PullOptions, cancellationToken: stoppingToken))
                {
                    if (message.Data is null)
                    {
                        await message.AckTerminateAsync(cancellationToken: stoppingToken);
                        continue;
                    }

                    try
                    {
                        await GiveBackAsync(message.Data);
                        await message.AckAsync(cancellationToken: stoppingToken);
                    }
                    catch (Exception e) when (e is RedisException or TimeoutException)
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

    /// <summary>One script call per vote, all pipelined.</summary>
    private Task GiveBackAsync(SlotVotesReset reset)
    {
        var season = reset.SeasonId.ToString();
        var calls = reset.Votes.Select(vote => VoteLedger.EvaluateByHashAsync(redis, VoteResetScript.GiveBack,
        [
            VoteLedger.SlotVotesKey(vote.VoterKey, season, reset.SlotPosition),
            VoteLedger.DayKey(vote.VoterKey, new DateTimeOffset(vote.UtcDay.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero)),
            ledger.VoterReceiptKey(vote.VoterKey, vote.VoteId),
        ], [vote.VoteId.ToString(), vote.ClipId.ToString(), vote.Weight, VoteStatuses.SlotResetReason, vote.VoteType]));
        return Task.WhenAll(calls).WaitAsync(options.Value.RedisTimeout * 4 + TimeSpan.FromMilliseconds(reset.Votes.Count));
    }

    [LoggerMessage(LogLevel.Warning, "Slot reset not given back, Redis failed: {Reason}")]
    private static partial void LogRedisFailed(ILogger logger, string reason);

    [LoggerMessage(LogLevel.Warning, "Slot reset consumer failed: {Reason}")]
    private static partial void LogConsumeFailed(ILogger logger, string reason);
}
