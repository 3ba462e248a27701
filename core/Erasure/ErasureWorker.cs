using AiMoviez.Core.Data;
using AiMoviez.Core.Infrastructure;
using Microsoft.Extensions.Options;
using Npgsql;
using StackExchange.Redis;

namespace AiMoviez.Core.Erasure;

/// <summary>
/// Runs the pending steps of every erasure, on one core instance at a time, every <c>Erasure:RetryInterval</c>: a step
/// whose shard or region does not answer stays pending and is tried again next pass, so an erasure completes once
/// everything it needs is back. Shard steps first; a region's step runs once every shard is done, because the shards
/// name the receipts to delete. With every step done the erasure is complete and forgets the keys that linked the user
/// to the anonymised rows.
/// </summary>
internal sealed class ErasureWorker(CatalogDatabase catalog, ShardDatabases shards, RegionRedis regions, IOptions<ErasureOptions> options,
    ILogger<ErasureWorker> logger) : ExclusivePeriodicService(catalog, logger)
{
    protected override long LockKey => 0x41694d6f7669_04;

    protected override TimeSpan Interval => options.Value.RetryInterval;

    protected override async Task RunPassAsync(NpgsqlConnection connection, CancellationToken ct)
    {
        foreach (var (work, steps) in await PendingAsync(connection, ct))
        {
            var shardsDone = true;
            foreach (var step in steps.Where(s => s.StartsWith(ErasureRequests.ShardStep, StringComparison.Ordinal)))
            {
                var name = step[ErasureRequests.ShardStep.Length..];
                shardsDone &= await RunStepAsync(connection, work, step, () => ShardErasure.EraseAsync(shards.Shard(name), name, work, ct), ct);
            }

            if (!shardsDone)
            {
                continue;
            }

            var receiptVoteIds = await ReceiptVoteIdsAsync(connection, work.Id, ct);
            foreach (var step in steps.Where(s => s.StartsWith(ErasureRequests.RegionStep, StringComparison.Ordinal)))
            {
                await RunStepAsync(connection, work, step, async () =>
                {
                    await regions.EraseAsync(step[ErasureRequests.RegionStep.Length..], work.VoterKey, receiptVoteIds);
                    return [];
                }, ct);
            }

            await using var complete = new NpgsqlCommand("""
                update erasures set completed_at = now(), voter_key = null, creator_id = null, erased_voter_key = null,
                       erased_creator_id = null, clip_ids = null, clip_season_ids = null, receipt_vote_ids = null
                where id = $1 and not exists (select from erasure_steps where erasure_id = $1 and done_at is null)
                """, connection);
            complete.Parameters.Add(new NpgsqlParameter { Value = work.Id });
            if (await complete.ExecuteNonQueryAsync(ct) == 1)
            {
                logger.LogInformation("Erasure {ErasureId} is complete", work.Id);
            }
        }
    }

    /// <summary>
    /// Runs one step; true when it is done (now), false when it failed and stays pending. A shard step's receipts are
    /// recorded with its completion: a crash between the shard's commit and this one loses those ids, and those receipts
    /// expire at the edges instead.
    /// </summary>
    private async Task<bool> RunStepAsync(NpgsqlConnection connection, ErasureWork work, string step, Func<Task<List<Guid>>> run, CancellationToken ct)
    {
        List<Guid> receipts;
        try
        {
            receipts = await run();
        }
        catch (Exception e) when ((e is NpgsqlException or RedisException or TimeoutException or InvalidOperationException) && !ct.IsCancellationRequested)
        {
            logger.LogWarning("Erasure {ErasureId} step {Step} failed, retrying next pass: {Error}", work.Id, step, e.Message);
            await using var failed = new NpgsqlCommand(
                "update erasure_steps set attempts = attempts + 1, last_error = $3 where erasure_id = $1 and target = $2", connection);
            failed.Parameters.Add(new NpgsqlParameter { Value = work.Id });
            failed.Parameters.Add(new NpgsqlParameter { Value = step });
            failed.Parameters.Add(new NpgsqlParameter { Value = e.GetType().Name + ": " + e.Message });
            await failed.ExecuteNonQueryAsync(ct);
            return false;
        }

        await using var done = new NpgsqlCommand("""
            with step as (
                update erasure_steps set done_at = now(), attempts = attempts + 1, last_error = null where erasure_id = $1 and target = $2)
            update erasures set receipt_vote_ids = receipt_vote_ids || $3 where id = $1
            """, connection);
        done.Parameters.Add(new NpgsqlParameter { Value = work.Id });
        done.Parameters.Add(new NpgsqlParameter { Value = step });
        done.Parameters.Add(new NpgsqlParameter { Value = receipts.ToArray() });
        await done.ExecuteNonQueryAsync(ct);
        return true;
    }

    private static async Task<List<(ErasureWork Work, List<string> Steps)>> PendingAsync(NpgsqlConnection connection, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand("""
            select e.id, e.voter_key, e.creator_id, e.erased_voter_key, e.erased_creator_id, e.clip_ids, e.clip_season_ids,
                   array_agg(s.target order by s.target) as steps
            from erasures e join erasure_steps s on s.erasure_id = e.id and s.done_at is null
            where e.completed_at is null
            group by e.id order by e.requested_at
            """, connection);
        var pending = new List<(ErasureWork, List<string>)>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            pending.Add((new ErasureWork(reader.Get<Guid>("id"), reader.Get<string>("voter_key"), reader.Get<Guid>("creator_id"),
                reader.Get<string>("erased_voter_key"), reader.Get<Guid>("erased_creator_id"), reader.Get<Guid[]>("clip_ids"),
                reader.Get<Guid[]>("clip_season_ids")), [.. reader.Get<string[]>("steps")]));
        }

        return pending;
    }

    private static async Task<Guid[]> ReceiptVoteIdsAsync(NpgsqlConnection connection, Guid erasureId, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand("select receipt_vote_ids from erasures where id = $1", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = erasureId });
        return (Guid[])(await command.ExecuteScalarAsync(ct))!;
    }
}
