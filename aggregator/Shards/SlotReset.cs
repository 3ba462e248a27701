using Npgsql;

namespace AiMoviez.Aggregator.Shards;

/// <summary>
/// Admin reset-votes: every vote and count of one slot goes, with its share of the day tables (recorded in day_changes
/// like a batch's). Every removed vote its voter did not revoke is queued in reset_undos for its region's edges, which
/// still hold it in Redis (<see cref="Republish.ResetUndoPublisher"/>); a revoked one was given back by its revoke.
/// Every removed vote leaves a tombstone, so a copy of it that comes later (an edge's replay) is stored revoked, never
/// counted again. The voters' allowance gets back the weight of the counted votes and of those a review discounted
/// (held against it, <see cref="VoteReview"/>), in voter_days as in the daily ledger.
/// </summary>
internal static class SlotReset
{
    private const string Sql = """
        with gone as (
            delete from votes where season_id = $1 and slot_position = $2
            returning vote_id, region, clip_id, creator_id, voter_key, vote_type, utc_day, weight, status, reason),
        counted as (select * from gone where status = 'counted'),
        -- what the voters' allowance gets back: the counted votes, and those a review discounted (held_weight)
        given_back as (select * from gone where status = 'counted' or (status = 'rejected' and reason = 'FRAUD_REVIEW')),
        tomb as (
            insert into vote_tombstones (vote_id, season_id, slot_position, revoked_at)
            select vote_id, $1, $2, now() from gone
            on conflict do nothing),
        undo as (
            insert into reset_undos (region, vote_id, season_id, slot_position, clip_id, voter_key, vote_type, weight, utc_day)
            select region, vote_id, $1, $2, clip_id, voter_key, vote_type, weight, utc_day from gone where status <> 'revoked'
            on conflict do nothing),
        t as (delete from tallies where season_id = $1 and slot_position = $2),
        vd as (
            update voter_days x set votes = x.votes - c.n, weight = x.weight - c.w, held_weight = x.held_weight - c.h, updated_at = now()
            from (
                select voter_key, utc_day, count(*) filter (where status = 'counted') n,
                       coalesce(sum(weight) filter (where status = 'counted'), 0) w,
                       coalesce(sum(weight) filter (where status = 'rejected'), 0) h
                from given_back group by 1, 2) c
            where x.voter_key = c.voter_key and x.season_id = $1 and x.utc_day = c.utc_day),
        cd as (
            update creator_days x set votes = x.votes - c.n, weight = x.weight - c.w, updated_at = now()
            from (select creator_id, utc_day, count(*) n, sum(weight) w from counted group by 1, 2) c
            where x.creator_id = c.creator_id and x.season_id = $1 and x.utc_day = c.utc_day),
        kd as (
            update clip_days x set votes = x.votes - c.n, weight = x.weight - c.w, updated_at = now()
            from (select clip_id, utc_day, count(*) n, sum(weight) w from counted group by 1, 2) c
            where x.clip_id = c.clip_id and x.season_id = $1 and x.utc_day = c.utc_day),
        dc as (
            insert into day_changes (day_table, changed_at, key_count, subjects, season_ids, days)
            select day_table, now(), count(*), array_agg(subject), array_agg($1::uuid), array_agg(utc_day)
            from (
                select distinct 'voter_days' as day_table, voter_key as subject, utc_day from counted
                union all select distinct 'creator_days', creator_id::text, utc_day from counted
                union all select distinct 'clip_days', clip_id::text, utc_day from counted) k
            group by day_table)
        select voter_key, utc_day, sum(weight)::bigint as weight from given_back group by 1, 2
        """;

    /// <summary>
    /// Returns the weight given back per (voter, day), for the daily ledger, and the shard's write count the reset took.
    /// </summary>
    public static async Task<(List<(string VoterKey, DateOnly Day, long Weight)> GivenBack, long Writes)> ExecuteAsync(
        NpgsqlDataSource dataSource, string shard, Guid seasonId, int slotPosition, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        // A write like a batch's: a batch that read the slot's votes before it must read them again.
        var writes = await ShardSchema.LockAndCountWriteAsync(connection, transaction, shard, cancellationToken);

        var removed = new List<(string, DateOnly, long)>();
        await using (var command = new NpgsqlCommand(Sql, connection, transaction))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = seasonId });
            command.Parameters.Add(new NpgsqlParameter { Value = slotPosition });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                removed.Add((reader.Get<string>("voter_key"), reader.Get<DateOnly>("utc_day"), reader.Get<long>("weight")));
            }
        }

        await transaction.CommitAsync(cancellationToken);
        return (removed, writes);
    }
}
