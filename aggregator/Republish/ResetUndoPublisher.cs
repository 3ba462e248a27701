using System.Text.Json;
using AiMoviez.Aggregator.Ingest;
using AiMoviez.Aggregator.Shards;
using AiMoviez.Contracts;
using AiMoviez.ServiceDefaults;
using Microsoft.Extensions.Options;
using NATS.Client.Core;
using NATS.Client.JetStream;
using Npgsql;

namespace AiMoviez.Aggregator.Republish;

/// <summary>
/// Sends the votes slot resets removed (queued in each shard's reset_undos by the reset's transaction) to the region
/// that accepted each, into its resets stream, and deletes a region's rows once the stream stored them (PubAck). A
/// region whose NATS is down keeps its rows and gets them on a later round; the edges' undo is idempotent, so a row
/// sent twice (a crash between PubAck and delete) changes nothing more.
/// </summary>
internal sealed class ResetUndoPublisher(ShardWriters writers, RegionLinks regions, IOptions<AggregatorOptions> options,
    ILogger<ResetUndoPublisher> logger) : BackgroundService
{
    // About 150 bytes a vote: a message stays well under the NATS default max payload of 1 MB.
    private const int VotesPerMessage = 2_000;
    private const int RowsPerRound = 20_000;
    private static readonly TimeSpan RegionTimeout = TimeSpan.FromSeconds(5);

    private const string ReadSql = """
        select region, vote_id, season_id, slot_position, clip_id, voter_key, vote_type, weight, utc_day
        from reset_undos order by region, season_id, slot_position, vote_id limit $1
        """;

    private const string DeleteSql = "delete from reset_undos where region = $1 and vote_id = any($2)";

    private readonly SemaphoreSlim _wake = new(0, 1);

    /// <summary>A reset committed: send its votes now rather than at the next round.</summary>
    public void Wake()
    {
        try
        {
            _wake.Release();
        }
        catch (SemaphoreFullException)
        {
            // Already woken.
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            foreach (var writer in writers.ByShard.Values)
            {
                try
                {
                    while (await PublishPendingAsync(writer, stoppingToken) == RowsPerRound)
                    {
                    }
                }
                catch (Exception e) when (e is NpgsqlException or TimeoutException)
                {
                    logger.LogDebug(e, "Reset undos of {Shard} not read; retrying", writer.Shard);
                }
            }

            await _wake.WaitAsync(options.Value.ResetUndoRetryInterval, stoppingToken);
        }
    }

    /// <summary>One round over a shard's queued undos; returns how many rows it read.</summary>
    private async Task<int> PublishPendingAsync(ShardWriter writer, CancellationToken cancellationToken)
    {
        var pending = new List<(string Region, Guid SeasonId, int Slot, ResetVote Vote)>();
        await using (var command = writer.DataSource.CreateCommand(ReadSql))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = RowsPerRound });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                pending.Add((reader.Get<string>("region"), reader.Get<Guid>("season_id"), reader.Get<int>("slot_position"), new ResetVote(
                    reader.Get<Guid>("vote_id"), reader.Get<string>("voter_key"), reader.Get<Guid>("clip_id"), reader.Get<string>("vote_type"),
                    reader.Get<int>("weight"), reader.Get<DateOnly>("utc_day"))));
            }
        }

        if (pending.Count == 0)
        {
            return 0;
        }

        // Regions publish side by side: one whose NATS is down costs the others nothing.
        var sent = await Task.WhenAll(pending.GroupBy(p => p.Region).Select(region => PublishRegionAsync(writer, region, cancellationToken)));
        if (sent.All(s => !s) && pending.Count == RowsPerRound)
        {
            // Nothing went out: the next round, not a tight loop over the same rows.
            return 0;
        }

        return pending.Count;
    }

    private async Task<bool> PublishRegionAsync(ShardWriter writer, IGrouping<string, (string Region, Guid SeasonId, int Slot, ResetVote Vote)> region,
        CancellationToken cancellationToken)
    {
        if (regions.All.FirstOrDefault(r => r.Name == region.Key) is not { } link)
        {
            // No such region any more: nothing holds these votes to give back.
            logger.LogWarning("Dropping {Count} reset undos of unknown region {Region}", region.Count(), region.Key);
            await DeleteAsync(writer, region.Key, region.Select(p => p.Vote.VoteId).ToArray(), cancellationToken);
            return true;
        }

        try
        {
            foreach (var slot in region.GroupBy(p => (p.SeasonId, p.Slot)))
            {
                foreach (var chunk in slot.Select(p => p.Vote).Chunk(VotesPerMessage))
                {
                    using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                    timeout.CancelAfter(RegionTimeout);
                    var payload = JsonSerializer.SerializeToUtf8Bytes(
                        new SlotVotesReset { SeasonId = slot.Key.SeasonId, SlotPosition = slot.Key.Slot, Votes = chunk },
                        ContractsJson.Default.SlotVotesReset);
                    var ack = await link.JetStream.PublishAsync(Subjects.SlotResets(link.Name), payload,
                        opts: new NatsJSPubOpts { MsgId = $"reset-{chunk[0].VoteId:N}-{chunk[^1].VoteId:N}" },
                        cancellationToken: timeout.Token);
                    ack.EnsureStored();
                    await DeleteAsync(writer, link.Name, chunk.Select(v => v.VoteId).ToArray(), cancellationToken);
                }
            }

            return true;
        }
        catch (Exception e) when (e is NatsException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            logger.LogWarning("Reset undos for region {Region} not stored ({Error}); retrying", link.Name, e.Message);
            return false;
        }
    }

    private static async Task DeleteAsync(ShardWriter writer, string region, Guid[] voteIds, CancellationToken cancellationToken)
    {
        await using var command = writer.DataSource.CreateCommand(DeleteSql);
        command.Parameters.Add(new NpgsqlParameter { Value = region });
        command.Parameters.Add(new NpgsqlParameter { Value = voteIds });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
