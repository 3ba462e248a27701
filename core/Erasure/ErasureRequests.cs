using System.Security.Cryptography;
using AiMoviez.Core.Audit;
using AiMoviez.Core.Data;
using AiMoviez.Core.Me;

namespace AiMoviez.Core.Erasure;

/// <summary>What an erasure request answers (202): the steps the worker still has to do.</summary>
internal sealed record ErasureAccepted(Guid ErasureId, string UserId, DateTime RequestedAt, IReadOnlyList<string> PendingSteps);

/// <summary>
/// Starts an account erasure in one catalog transaction: the catalog's part at once (clips not yet locked deleted,
/// locked winners given an anonymous creator, bans deleted), and a durable request with one step per shard and region
/// for <see cref="ErasureWorker"/>. A user with an erasure still running gets that one again.
/// </summary>
internal sealed class ErasureRequests(CatalogDatabase catalog, ShardDatabases shards, RegionRedis regions)
{
    public const string ShardStep = "shard:";
    public const string RegionStep = "region:";

    /// <summary>The prefix of the voter key erased votes carry instead of their voter's.</summary>
    public const string ErasedVoterPrefix = "erased_";

    public async Task<ErasureAccepted> RequestAsync(UserKeys keys, AuditEntry audit, CancellationToken ct)
    {
        await using var tx = await catalog.BeginAsync(ct);
        // One request at a time per user: concurrent requests queue here instead of starting two erasures.
        await tx.ExecuteAsync("select pg_advisory_xact_lock(hashtextextended($1, 7340034))", ct, keys.UserId);

        Guid? pendingId = null;
        DateTime requestedAt = default;
        await using (var command = tx.Command("select id, requested_at from erasures where user_id = $1 and completed_at is null", keys.UserId))
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            if (await reader.ReadAsync(ct))
            {
                (pendingId, requestedAt) = (reader.Get<Guid>("id"), reader.Get<DateTime>("requested_at"));
            }
        }

        var clipIds = new List<Guid>();
        var clipSeasons = new List<Guid>();
        await using (var command = tx.Command("select id, season_id from clips where creator_id = $1 for update", keys.CreatorId))
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                clipIds.Add(reader.Get<Guid>("id"));
                clipSeasons.Add(reader.Get<Guid>("season_id"));
            }
        }

        var erasureId = pendingId ?? Guid.CreateVersion7();
        if (pendingId is null)
        {
            await using var command = tx.Command("""
                insert into erasures (id, user_id, requested_by, requested_at, voter_key, creator_id, erased_voter_key, erased_creator_id,
                                      clip_ids, clip_season_ids, receipt_vote_ids)
                values ($1, $2, $3, now(), $4, $5, $6, $7, $8, $9, '{}') returning requested_at
                """, erasureId, keys.UserId, audit.Actor, keys.VoterKey, keys.CreatorId,
                ErasedVoterPrefix + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)), Guid.NewGuid(), clipIds.ToArray(), clipSeasons.ToArray());
            requestedAt = (DateTime)(await command.ExecuteScalarAsync(ct))!;
            var targets = shards.Names.Select(n => ShardStep + n).Concat(regions.Names.Select(n => RegionStep + n)).ToArray();
            await tx.ExecuteAsync("insert into erasure_steps (erasure_id, target) select $1, unnest($2::text[])", ct, erasureId, targets);
        }
        else
        {
            // Clips registered since the first request are erased with it.
            await tx.ExecuteAsync("""
                update erasures set clip_ids = (select array_agg(distinct c) from unnest(clip_ids || $2) c),
                                    clip_season_ids = (select array_agg(distinct s) from unnest(clip_season_ids || $3) s)
                where id = $1
                """, ct, erasureId, clipIds.ToArray(), clipSeasons.ToArray());
        }

        var removed = await tx.ExecuteAsync("delete from clips where creator_id = $1 and status <> 'locked'", ct, keys.CreatorId);
        var kept = await tx.ExecuteAsync("""
            update clips set creator_id = (select erased_creator_id from erasures where id = $2) where creator_id = $1
            """, ct, keys.CreatorId, erasureId);
        var bans = await tx.ExecuteAsync("""
            delete from bans where (kind = 'user' and subject = $1) or (kind = 'voter' and subject = $2)
            """, ct, keys.UserId, keys.VoterKey);
        if (removed + kept + bans > 0)
        {
            tx.CatalogChanged();
        }

        var pending = new List<string>();
        await using (var command = tx.Command("select target from erasure_steps where erasure_id = $1 and done_at is null order by target", erasureId))
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                pending.Add(reader.Get<string>("target"));
            }
        }

        await tx.CommitAsync(audit with
        {
            Details = new Dictionary<string, object?>
            {
                ["erasureId"] = erasureId, ["clipsRemoved"] = removed, ["lockedClipsAnonymised"] = kept, ["bansRemoved"] = bans,
            },
        }, ct);
        return new ErasureAccepted(erasureId, keys.UserId, requestedAt, pending);
    }
}
