using AiMoviez.Contracts;
using AiMoviez.Core.Catalog;
using AiMoviez.Core.Data;
using AiMoviez.ServiceDefaults;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using Npgsql;

namespace AiMoviez.Core.Pipeline;

/// <summary>
/// The vote pipeline as operators watch it: per region the vote stream and the aggregator's consumers on its lanes
/// (read from JetStream itself, so it works while the aggregator is down), per shard its last applied batch
/// (shard_status).
/// </summary>
internal sealed class PipelineReader(RegionNats nats, ShardDatabases shards, TimeProvider time, ILogger<PipelineReader> logger)
{
    public async Task<PipelineStatus> ReadAsync(CancellationToken ct)
    {
        var regions = nats.Connections.Select(pair => ReadRegionAsync(pair.Key, pair.Value, ct));
        var shardReads = shards.Names.Order(StringComparer.Ordinal).Select(name => ReadShardAsync(name, ct));
        return new PipelineStatus
        {
            CheckedAt = time.GetUtcNow(),
            Regions = (await Task.WhenAll(regions)).OrderBy(r => r.Region, StringComparer.Ordinal).ToList(),
            Shards = await Task.WhenAll(shardReads),
        };
    }

    private async Task<RegionPipeline> ReadRegionAsync(string region, NatsConnection connection, CancellationToken ct)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(3));
            var js = new NatsJSContext(connection);
            INatsJSStream stream;
            try
            {
                stream = await js.GetStreamAsync(StreamNames.Votes(region), cancellationToken: timeout.Token);
            }
            catch (NatsJSApiException e) when (e.Error.Code == 404)
            {
                // No edge has created the region's stream yet: reachable, nothing in flight.
                return new RegionPipeline(region, true, 0, 0, 0, null, await DeadLettersAsync(js, region, timeout.Token));
            }

            var state = stream.Info.State;
            ulong lag = 0, ackPending = 0, consumers = 0;
            ulong? oldestUnacked = null;
            foreach (var lane in shards.Names.Order(StringComparer.Ordinal).Append(Subjects.UnroutedLane))
            {
                try
                {
                    var consumer = await js.GetConsumerAsync(stream.Info.Config.Name!, StreamNames.AggregatorConsumer(lane), timeout.Token);
                    consumers++;
                    lag += consumer.Info.NumPending;
                    ackPending += (ulong)Math.Max(0, consumer.Info.NumAckPending);
                    if (consumer.Info.NumPending + (ulong)Math.Max(0, consumer.Info.NumAckPending) > 0)
                    {
                        // The lane's oldest unacked message is at or after its ack floor + 1: that message is at least as old.
                        var first = LaneAckFloor.Of(consumer.Info) + 1;
                        oldestUnacked = oldestUnacked is { } known ? Math.Min(known, first) : first;
                    }
                }
                catch (NatsJSApiException e) when (e.Error.Code == 404)
                {
                    // This lane has no aggregator consumer yet.
                }
            }

            if (consumers == 0)
            {
                // No aggregator consumer yet: everything in the stream is unprocessed.
                lag = (ulong)state.Messages;
                oldestUnacked = state.Messages > 0 ? state.FirstSeq : null;
            }

            double? oldestAge = null;
            if (oldestUnacked is { } sequence)
            {
                var message = await stream.GetAsync(new StreamMsgGetRequest { Seq = Math.Max(sequence, state.FirstSeq) }, timeout.Token);
                oldestAge = Math.Max(0, (time.GetUtcNow() - message.Message.Time).TotalSeconds);
            }

            return new RegionPipeline(region, true, (ulong)state.Messages, lag, ackPending, oldestAge, await DeadLettersAsync(js, region, timeout.Token));
        }
        catch (Exception e) when (e is NatsException or OperationCanceledException && !ct.IsCancellationRequested)
        {
            logger.LogWarning("Pipeline state of region {Region} not available: {Error}", region, e.Message);
            return new RegionPipeline(region, false, 0, 0, 0, null, 0);
        }
    }

    private static async Task<long> DeadLettersAsync(NatsJSContext js, string region, CancellationToken ct)
    {
        try
        {
            var stream = await js.GetStreamAsync(StreamNames.DeadLetters(region), cancellationToken: ct);
            return (long)stream.Info.State.Messages;
        }
        catch (NatsJSApiException e) when (e.Error.Code == 404)
        {
            return 0;
        }
    }

    private async Task<ShardPipeline> ReadShardAsync(string name, CancellationToken ct)
    {
        try
        {
            await using var command = shards.Shard(name).CreateCommand(
                "select max(last_applied_at) as last_applied_at, coalesce(sum(votes_applied), 0)::bigint as votes_applied from shard_status");
            await using var reader = await command.ExecuteReaderAsync(ct);
            await reader.ReadAsync(ct);
            return new ShardPipeline(name, true, reader.Get<DateTimeOffset?>("last_applied_at"), reader.Get<long>("votes_applied"));
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UndefinedTable)
        {
            // The aggregator has not created the shard schema yet.
            return new ShardPipeline(name, true, null, 0);
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException)
        {
            logger.LogWarning("Shard {Shard} not available: {Error}", name, e.Message);
            return new ShardPipeline(name, false, null, 0);
        }
    }
}
