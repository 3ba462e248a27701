using AiMoviez.Contracts;
using Npgsql;

namespace AiMoviez.Aggregator.Shards;

/// <summary>
/// An admin's review of flagged votes, written like a batch (under the writer lock, day rows recorded in day_changes).
/// Both actions clear the flags, so a reviewed vote leaves the review list. Discount makes counted votes rejected with
/// reason FRAUD_REVIEW and takes their weight out of the tallies and the day tables the leaderboards are rolled up from.
/// A discounted vote does not give its voter's allowance back: its weight moves to voter_days.held_weight, which the
/// daily ledger loads with the counted weight, so the ledger, which the review leaves as it is, agrees with a reload.
/// </summary>
internal static class VoteReview
{
    private const string DiscountSql = """
        with changed as (
            update votes set status = 'rejected', reason = 'FRAUD_REVIEW', flags = 0, applied_at = now()
            where vote_id = any($1) and status = 'counted'
            returning vote_id, season_id, slot_position, clip_id, creator_id, voter_key, weight, utc_day),
        t as (
            update tallies x set votes = x.votes - c.n, weighted_score = x.weighted_score - c.w, updated_at = now()
            from (select season_id, slot_position, clip_id, count(*) n, sum(weight) w from changed group by 1, 2, 3) c
            where x.season_id = c.season_id and x.slot_position = c.slot_position and x.clip_id = c.clip_id),
        vd as (
            update voter_days x set votes = x.votes - c.n, weight = x.weight - c.w, held_weight = x.held_weight + c.w, updated_at = now()
            from (select voter_key, season_id, utc_day, count(*) n, sum(weight) w from changed group by 1, 2, 3) c
            where x.voter_key = c.voter_key and x.season_id = c.season_id and x.utc_day = c.utc_day),
        cd as (
            update creator_days x set votes = x.votes - c.n, weight = x.weight - c.w, updated_at = now()
            from (select creator_id, season_id, utc_day, count(*) n, sum(weight) w from changed group by 1, 2, 3) c
            where x.creator_id = c.creator_id and x.season_id = c.season_id and x.utc_day = c.utc_day),
        kd as (
            update clip_days x set votes = x.votes - c.n, weight = x.weight - c.w, updated_at = now()
            from (select clip_id, season_id, utc_day, count(*) n, sum(weight) w from changed group by 1, 2, 3) c
            where x.clip_id = c.clip_id and x.season_id = c.season_id and x.utc_day = c.utc_day),
        dc as (
            insert into day_changes (day_table, changed_at, key_count, subjects, season_ids, days)
            select day_table, now(), count(*), array_agg(subject), array_agg(season_id), array_agg(utc_day)
            from (
                select distinct 'voter_days' as day_table, voter_key as subject, season_id, utc_day from changed
                union all select distinct 'creator_days', creator_id::text, season_id, utc_day from changed
                union all select distinct 'clip_days', clip_id::text, season_id, utc_day from changed) k
            group by day_table)
        select vote_id, season_id, slot_position from changed
        """;

    private const string ClearFlagsSql = "update votes set flags = 0 where vote_id = any($1) and flags <> 0 returning vote_id";

    /// <summary>
    /// Every asked vote that a review discounted, now or before, with its region: their receipts are published again on
    /// every discount call, so a call retried after receipts failed to go out still updates them.
    /// </summary>
    private const string DiscountedSql = "select vote_id, region from votes where vote_id = any($1) and status = 'rejected' and reason = 'FRAUD_REVIEW'";

    public sealed record Outcome(
        long Writes,
        IReadOnlyList<Guid> Changed,
        IReadOnlyList<(Guid SeasonId, int SlotPosition)> Slots,
        IReadOnlyList<(Guid VoteId, string Region)> Discounted);

    public static async Task<Outcome> ExecuteAsync(NpgsqlDataSource dataSource, string shard, string action, Guid[] voteIds,
        CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var writes = await ShardSchema.LockAndCountWriteAsync(connection, transaction, shard, cancellationToken);

        var changed = new HashSet<Guid>();
        var slots = new HashSet<(Guid, int)>();
        var discounted = new List<(Guid, string)>();
        if (action == VoteReviewRequest.Discount)
        {
            await using var command = new NpgsqlCommand(DiscountSql, connection, transaction) { Parameters = { new() { Value = voteIds } } };
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                changed.Add(reader.Get<Guid>("vote_id"));
                slots.Add((reader.Get<Guid>("season_id"), reader.Get<int>("slot_position")));
            }
        }

        await using (var command = new NpgsqlCommand(ClearFlagsSql, connection, transaction) { Parameters = { new() { Value = voteIds } } })
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                changed.Add(reader.Get<Guid>("vote_id"));
            }
        }

        if (action == VoteReviewRequest.Discount)
        {
            await using var command = new NpgsqlCommand(DiscountedSql, connection, transaction) { Parameters = { new() { Value = voteIds } } };
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                discounted.Add((reader.Get<Guid>("vote_id"), reader.Get<string>("region")));
            }
        }

        await transaction.CommitAsync(cancellationToken);
        return new Outcome(writes, [.. changed], [.. slots], discounted);
    }
}
