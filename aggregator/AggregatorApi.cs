using AiMoviez.Aggregator.Barrier;
using AiMoviez.Aggregator.Ingest;
using AiMoviez.Aggregator.Republish;
using AiMoviez.Aggregator.Shards;
using AiMoviez.Contracts;
using AiMoviez.ServiceDefaults;
using Microsoft.AspNetCore.Http.HttpResults;
using NATS.Client.JetStream;

namespace AiMoviez.Aggregator;

/// <summary>Health and the internal endpoints core calls (loopback, no auth).</summary>
internal static class AggregatorApi
{
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(2);

    /// <summary>The internal endpoints core calls: the close barrier, the pipeline view, slot resets, shard leases and vote reviews.</summary>
    public static IEndpointRouteBuilder MapAggregatorApi(this IEndpointRouteBuilder app)
    {
        app.MapGet(BarrierRoutes.Barrier, GetBarrier);
        app.MapGet(BarrierRoutes.Pipeline, GetPipeline);
        app.MapPost("/internal/reset", ResetSlot);
        app.MapGet("/internal/leases", GetLeases);
        app.MapPost(VoteReviewRequest.Route, ReviewVotes);
        return app;
    }

    /// <summary>
    /// Drained when, in every region, the season's lane is applied through everything stored in it. The lane's consumer
    /// is read before the watermark: with nothing pending, everything the lane holds was delivered by its delivered
    /// sequence (otherwise the stream's last sequence stands in, which keeps the answer false), and a message stored
    /// after the question cannot make a false "drained". The consumer's acks bound it too: a message is acked only once
    /// applied or dead-lettered, so with nothing unacked the lane is applied through its delivered sequence, else through
    /// its ack floor (conservative); a process that does not hold the shard's lease answers from that alone.
    /// </summary>
    public static async Task<Results<Ok<BarrierStatus>, ProblemHttpResult>> GetBarrier(Guid seasonId, int seasonNumber,
        ShardMap shardMap, RegionLinks regions, AppliedWatermarks watermarks, ShardLeases leases, TimeProvider time,
        CancellationToken cancellationToken)
    {
        if (shardMap.ShardFor(seasonNumber) is not { } shard)
        {
            return Problems.NotFound($"No shard holds season number {seasonNumber}.");
        }

        var marks = new List<RegionWatermark>();
        foreach (var region in regions.All)
        {
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(ProbeTimeout);
                var stream = StreamNames.Votes(region.Name);
                var info = (await region.JetStream.GetConsumerAsync(stream, StreamNames.AggregatorConsumer(shard), timeout.Token)).Info;
                var last = info.NumPending == 0
                    ? info.Delivered.StreamSeq
                    : (await region.JetStream.GetStreamAsync(stream, cancellationToken: timeout.Token)).Info.State.LastSeq;
                // Acked means applied or dead-lettered, whichever process it was delivered to; the holder's own
                // watermark cannot see messages a previous holder pulled and still holds unacked after a lease moved.
                var acked = LaneAckFloor.Of(info);
                ulong? applied = leases.ByShard[shard].Held
                    ? watermarks.AppliedThrough(region.Name, shard, (info.Delivered.ConsumerSeq, info.Delivered.StreamSeq)) is { } own
                        ? Math.Min(own, acked) : null
                    : acked;
                marks.Add(new RegionWatermark(region.Name, last, applied ?? 0, applied is not null));
            }
            catch (Exception e) when (e is NatsJSException or NATS.Client.Core.NatsException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                marks.Add(new RegionWatermark(region.Name, 0, 0, false));
            }
        }

        return TypedResults.Ok(new BarrierStatus
        {
            SeasonId = seasonId,
            Shard = shard,
            Drained = marks.All(m => m.Reachable && m.AppliedThrough >= m.StreamLastSequence),
            CheckedAt = time.GetUtcNow(),
            Regions = marks,
        });
    }

    public static async Task<Ok<PipelineStatus>> GetPipeline(RegionLinks regions, ShardWriters writers, AppliedWatermarks watermarks,
        ShardLeases leases, TimeProvider time, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var regionStates = new List<RegionPipeline>();
        foreach (var region in regions.All)
        {
            var oldest = watermarks.OldestUnapplied(region.Name);
            var age = oldest is { } at ? Math.Max(0, (now - at).TotalSeconds) : (double?)null;
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(ProbeTimeout);
                var stream = await region.JetStream.GetStreamAsync(StreamNames.Votes(region.Name), cancellationToken: timeout.Token);
                ulong lag = 0, ackPending = 0;
                foreach (var lane in writers.Lanes)
                {
                    var consumer = await region.JetStream.GetConsumerAsync(StreamNames.Votes(region.Name), StreamNames.AggregatorConsumer(lane), timeout.Token);
                    lag += consumer.Info.NumPending;
                    ackPending += (ulong)Math.Max(0, consumer.Info.NumAckPending);
                }

                var deadLetters = await region.JetStream.GetStreamAsync(StreamNames.DeadLetters(region.Name), cancellationToken: timeout.Token);
                regionStates.Add(new RegionPipeline(region.Name, true, (ulong)stream.Info.State.Messages, lag, ackPending, age,
                    (long)deadLetters.Info.State.Messages));
            }
            catch (Exception e) when (e is NatsJSException or NATS.Client.Core.NatsException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                regionStates.Add(new RegionPipeline(region.Name, false, 0, 0, 0, age, 0));
            }
        }

        return TypedResults.Ok(new PipelineStatus
        {
            CheckedAt = now,
            Regions = regionStates,
            Shards = [.. await Task.WhenAll(writers.ByShard.Values.Select(w => ShardStateAsync(w, leases.ByShard[w.Shard], cancellationToken)))],
        });
    }

    /// <summary>
    /// The holder's own view of a shard it holds; for one another process holds, what the shard itself says: healthy
    /// while it answers and some process holds its lease.
    /// </summary>
    private static async Task<ShardPipeline> ShardStateAsync(ShardWriter writer, ShardLease lease, CancellationToken cancellationToken)
    {
        if (lease.Held)
        {
            return new ShardPipeline(writer.Shard, writer.Healthy, writer.LastAppliedAt, writer.VotesApplied);
        }

        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(ProbeTimeout);
            var holder = await lease.ReadHolderAsync(writer.DataSource, timeout.Token);
            await using var command = writer.DataSource.CreateCommand("select last_applied_at, votes_applied from shard_status where shard = $1");
            command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = writer.Shard });
            await using var reader = await command.ExecuteReaderAsync(timeout.Token);
            return await reader.ReadAsync(timeout.Token)
                ? new ShardPipeline(writer.Shard, holder.Length > 0, reader.Get<DateTimeOffset?>("last_applied_at"), reader.Get<long>("votes_applied"))
                : new ShardPipeline(writer.Shard, holder.Length > 0, null, 0);
        }
        catch (Exception e) when (e is Npgsql.NpgsqlException or TimeoutException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return new ShardPipeline(writer.Shard, false, null, 0);
        }
    }

    /// <summary>Which process holds each shard's lease, as each shard says (the session's application name).</summary>
    public static async Task<Ok<List<ShardLeaseStatus>>> GetLeases(ShardLeases leases, ShardWriters writers, CancellationToken cancellationToken)
    {
        var states = new List<ShardLeaseStatus>();
        foreach (var lease in leases.ByShard.Values.OrderBy(l => l.Shard, StringComparer.Ordinal))
        {
            string? holder;
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(ProbeTimeout);
                holder = await lease.ReadHolderAsync(writers.ByShard[lease.Shard].DataSource, timeout.Token);
            }
            catch (Exception e) when (e is Npgsql.NpgsqlException or TimeoutException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                holder = null;
            }

            states.Add(new ShardLeaseStatus(lease.Shard, lease.Held, leases.Holder, holder is { Length: > 0 } ? holder : null));
        }

        return TypedResults.Ok(states);
    }

    /// <summary>
    /// Admin reset-votes: serialized with the shard's writer, then the zeroed tally is republished and the removed votes
    /// go to their regions' edges to be given back (durably: the reset's transaction queued them).
    /// </summary>
    public static async Task<Results<NoContent, ProblemHttpResult>> ResetSlot(Guid seasonId, int seasonNumber, int slotPosition,
        ShardMap shardMap, ShardWriters writers, ShardLeases leases, ResetUndoPublisher undos, CancellationToken cancellationToken)
    {
        if (shardMap.ShardFor(seasonNumber) is not { } shard)
        {
            return Problems.NotFound($"No shard holds season number {seasonNumber}.");
        }

        if (!leases.ByShard[shard].Held)
        {
            return Problems.Unavailable($"Another aggregator holds shard {shard}; ask it.");
        }

        try
        {
            await writers.ByShard[shard].ResetSlotAsync(seasonId, slotPosition, cancellationToken);
            undos.Wake();
            return TypedResults.NoContent();
        }
        catch (Npgsql.NpgsqlException)
        {
            return Problems.Unavailable($"Shard {shard} did not answer.");
        }
    }

    /// <summary>
    /// Admin review of flagged votes on one shard, serialized with its writer. 503 when this process does not hold the
    /// shard, or the shard or a region's receipts stream did not answer (the review is idempotent: core retries it).
    /// </summary>
    public static async Task<Results<Ok<VoteReviewResult>, ProblemHttpResult>> ReviewVotes(VoteReviewRequest request,
        ShardWriters writers, ShardLeases leases, CancellationToken cancellationToken)
    {
        if (request.Action is not (VoteReviewRequest.Keep or VoteReviewRequest.Discount) || request.VoteIds is not { Count: > 0 })
        {
            return Problems.Invalid("action must be keep or discount, with vote ids.");
        }

        if (!writers.ByShard.TryGetValue(request.Shard, out var writer))
        {
            return Problems.NotFound($"No shard is named {request.Shard}.");
        }

        if (!leases.ByShard[request.Shard].Held)
        {
            return Problems.Unavailable($"Another aggregator holds shard {request.Shard}; ask it.");
        }

        try
        {
            var (changed, receiptsStored) = await writer.ReviewVotesAsync(request.Action, [.. request.VoteIds], cancellationToken);
            return receiptsStored
                ? TypedResults.Ok(new VoteReviewResult { Changed = changed })
                : Problems.Unavailable("The votes are reviewed but some receipts were not updated; repeat the call.");
        }
        catch (Npgsql.NpgsqlException)
        {
            return Problems.Unavailable($"Shard {request.Shard} did not answer.");
        }
    }

}

/// <summary>A shard's lease: whether this process (<paramref name="Self"/>) holds it, and who does as the shard says.</summary>
internal sealed record ShardLeaseStatus(string Shard, bool Held, string Self, string? Holder);
