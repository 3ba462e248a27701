using AiMoviez.Aggregator.Barrier;
using AiMoviez.Aggregator.Republish;
using AiMoviez.Aggregator.Shards;
using AiMoviez.Contracts;
using AiMoviez.ServiceDefaults;
using Microsoft.Extensions.Options;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace AiMoviez.Aggregator.Ingest;

/// <summary>
/// Pulls every lane of every region's vote stream concurrently, each through its own durable consumer
/// (<see cref="StreamNames.AggregatorConsumer"/>), decodes and routes each message to its shard's writer, and moves
/// poison to the region's dead-letter stream. A lane per shard means a shard that is down holds back only its own
/// lane: the messages it cannot take fill its lane's MaxAckPending, never another shard's.
/// </summary>
internal sealed class RegionConsumers(
    RegionLinks regions,
    ShardMap shardMap,
    ShardWriters writers,
    ShardLeases leases,
    AppliedWatermarks watermarks,
    DeadLetters deadLetters,
    OutcomePublisher outcomes,
    IOptions<AggregatorOptions> options,
    TimeProvider time,
    ILogger<RegionConsumers> logger) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(regions.All.SelectMany(r => writers.Lanes.Select(lane => Task.Run(() => ConsumeWhileHeldAsync(r, lane, stoppingToken), stoppingToken))));

    /// <summary>
    /// A lane is consumed only by the process holding its shard's lease, so aggregators sharing the shards never share a
    /// lane's durable consumer; a lost lease stops the lane at once, and what it left unacked goes to the next holder,
    /// which restarts the consumer from its ack floor.
    /// </summary>
    private async Task ConsumeWhileHeldAsync(RegionLink region, string lane, CancellationToken stoppingToken)
    {
        var lease = leases.ForLane(lane);
        while (!stoppingToken.IsCancellationRequested)
        {
            var held = await lease.WaitHeldAsync(stoppingToken);
            using var whileHeld = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, held);
            try
            {
                await writers.ReadyAsync(lease, held).WaitAsync(whileHeld.Token);
                await ConsumeAsync(region, lane, whileHeld.Token);
            }
            catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
            {
            }
            finally
            {
                watermarks.Stop(region.Name, lane);
            }

            if (!stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning("Lane {Lane} of region {Region} stopped: lease of shard {Shard} lost", lane, region.Name, lease.Shard);
            }
        }
    }

    private async Task ConsumeAsync(RegionLink region, string lane, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            // Ends with this consumer: its acks and NAKs must not reach the next one, which has the same name.
            using var incarnation = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            try
            {
                await region.EnsureStreamsAsync(cancellationToken);
                var (consumer, ackFloor) = await RestartConsumerAsync(region, lane, cancellationToken);
                watermarks.Start(region.Name, lane, ackFloor);
                var acks = new LaneAcks(region.Connection, time, incarnation.Token);
                // A pull lost with a NATS node (or a replicated consumer's leader) is renewed only after a missed
                // heartbeat or when it expires: short pulls resume the lane within seconds rather than half a minute.
                var pull = new NatsJSConsumeOpts
                {
                    MaxMsgs = options.Value.PullBatchSize, Expires = TimeSpan.FromSeconds(5), IdleHeartbeat = TimeSpan.FromSeconds(2),
                };
                using var watch = new LaneDeliveryWatch(consumer, acks, incarnation.Token);
                _ = watch.RunAsync(logger, region.Name, lane);
                await foreach (var message in consumer.ConsumeAsync<byte[]>(opts: pull, cancellationToken: watch.Consuming))
                {
                    watch.Busy = true;
                    await HandleAsync(region, lane, acks, message, cancellationToken);
                    watch.Busy = false;
                }
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested)
            {
                logger.LogWarning("Consumer of region {Region} lane {Lane} stopped ({Error}); restarting", region.Name, lane, e.Message);
                await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
            }
            finally
            {
                await incarnation.CancelAsync();
            }
        }
    }

    /// <summary>
    /// Recreates the durable consumer from its ack floor, so what the last process left unacked is redelivered now rather
    /// than after AckWait. Acked messages beyond the floor come again too; applying them is idempotent.
    /// </summary>
    private async Task<(INatsJSConsumer Consumer, ulong AckFloor)> RestartConsumerAsync(RegionLink region, string lane,
        CancellationToken cancellationToken)
    {
        var stream = StreamNames.Votes(region.Name);
        var name = StreamNames.AggregatorConsumer(lane);
        ulong ackFloor = 0;
        try
        {
            var existing = await region.JetStream.GetConsumerAsync(stream, name, cancellationToken);
            ackFloor = LaneAckFloor.Of(existing.Info);
            await region.JetStream.DeleteConsumerAsync(stream, name, cancellationToken);
        }
        catch (NatsJSApiException e) when (e.Error.Code == 404)
        {
            // First start.
        }

        var settings = options.Value;
        var config = new ConsumerConfig(name)
        {
            FilterSubject = Subjects.VoteLane(region.Name, lane),
            // One ack per settled prefix of the lane (LaneAcks), not one per message.
            AckPolicy = ConsumerConfigAckPolicy.All,
            AckWait = settings.AckWait,
            MaxAckPending = settings.MaxAckPending,
            MaxDeliver = -1,
            DeliverPolicy = ackFloor == 0 ? ConsumerConfigDeliverPolicy.All : ConsumerConfigDeliverPolicy.ByStartSequence,
        };
        if (ackFloor > 0)
        {
            config.OptStartSeq = ackFloor + 1;
        }

        var consumer = await region.JetStream.CreateOrUpdateConsumerAsync(stream, config, cancellationToken);
        return (consumer, ackFloor);
    }

    private async Task HandleAsync(RegionLink region, string lane, LaneAcks acks, INatsJSMsg<byte[]> message, CancellationToken cancellationToken)
    {
        var metadata = message.Metadata!.Value;
        var sequence = metadata.Sequence.Stream;
        if (!acks.Delivered(sequence, metadata.Sequence.Consumer))
        {
            throw new InvalidOperationException(
                $"delivery {metadata.Sequence.Consumer} of the consumer skipped one, which never reached this lane (another process took it, or the client dropped it); restarting it from its ack floor");
        }

        var data = message.Data ?? [];
        var events = MessageDecoder.Decode(message.Subject, data, shardMap);
        var routed = events.Count(e => e.PoisonReason is null);
        if (routed < events.Count)
        {
            // An accepted vote that can never count still ends with a final word; unpublished, the message comes again.
            var rejected = events.Where(e => e.PoisonReason is not null).Select(e => e.Event).OfType<VoteCast>()
                .Select(c => (region.Name, new VoteDecision(c.VoteId, VoteStatuses.Rejected, ErrorCodes.InvalidRequest))).ToList();
            if (rejected.Count > 0 && (await outcomes.PublishDecisionsAsync(rejected, cancellationToken)).Count > 0)
            {
                throw new InvalidOperationException($"Decisions for {rejected.Count} dead-lettered votes of seq {sequence} not published");
            }
        }

        watermarks.Delivered(region.Name, lane, sequence, metadata.Sequence.Consumer, metadata.Timestamp, awaitsApply: routed > 0);
        // Only the reply subject outlives this method: the received message is garbage once decoded.
        var delivered = new LaneMessage(message.ReplyTo!, sequence, lane, routed > 0 ? events.Count : 1, region, deadLetters, acks, watermarks);
        if (routed == 0)
        {
            // Poison never blocks its stream; a message with nothing to apply goes whole, as it came.
            await new EventDelivery(delivered).DeadLetterAsync((message.Subject, data),
                string.Join("; ", events.Select(e => e.PoisonReason).Distinct()), cancellationToken);
            return;
        }

        var group = MessageDecoder.IsGroup(message.Subject);
        for (var part = 0; part < events.Count; part++)
        {
            var (evt, shard, poisonReason) = events[part];
            var delivery = group ? new EventDelivery(delivered, part, (VoteCast)evt!) : new EventDelivery(delivered);
            if (poisonReason is not null)
            {
                await delivery.DeadLetterAsync(poisonReason, cancellationToken);
                continue;
            }

            if (!leases.ByShard[shard!].Held)
            {
                // Routed to a shard another process holds (from the unrouted lane): its holder takes it on redelivery.
                await delivery.NakAsync(TimeSpan.FromSeconds(2), cancellationToken);
                continue;
            }

            // Routed by season, not by lane: after a season moved shards, its older messages still reach the right one.
            await writers.ByShard[shard!].EnqueueAsync(
                new InboundMessage(region.Name, lane, sequence, evt!, delivery, FirstDelivery: metadata.NumDelivered == 1)
                {
                    Trace = AggregatorTracing.ContextOf(message.Headers, part, events.Count),
                }, cancellationToken);
        }
    }
}
