using AiMoviez.Core.Me;
using Npgsql;

namespace AiMoviez.Core.Erasure;

/// <summary>What one erasure step needs to know; read from the erasure's row.</summary>
internal sealed record ErasureWork(
    Guid Id,
    string VoterKey,
    Guid CreatorId,
    string ErasedVoterKey,
    Guid ErasedCreatorId,
    Guid[] ClipIds,
    Guid[] ClipSeasonIds);

/// <summary>
/// One shard's part of an erasure, in one transaction: the user's votes, day rows and reset undos take the erasure's
/// anonymous voter key, the votes on their clips and their creator day rows its anonymous creator id. Rows are re-keyed,
/// never deleted, so tallies, winners and every total stay as they were; the day rows' changes are recorded in
/// day_changes like a batch's, so the leaderboards move the counts from the user to the anonymous key.
/// </summary>
internal static class ShardErasure
{
    // The aggregator's writer lock and write count (aggregator/Shards/ShardSchema.cs): core writes a shard only here, and
    // like a batch, so a batch that read the user's votes before this transaction reads them again before it commits.
    private const string WriterLockSql = "select pg_advisory_xact_lock(7340033)";

    private const string CountWriteSql = """
        insert into shard_status as x (shard, votes_applied, writes) values ($1, 0, 1)
        on conflict (shard) do update set writes = x.writes + 1
        """;

    // Receipts live at most the edges' Edge:ReceiptLifetime (at most 30 days): older votes have none left to delete.
    private const string VotesSql = $"""
        update votes set voter_key = $2 where {MeQueries.UserVotes}
        returning vote_id, accepted_at > now() - interval '30 days' as recent
        """;

    private const string DaysSql = """
        with vd as (
            update voter_days set voter_key = $2, updated_at = now() where voter_key = $1 returning season_id, utc_day),
        cd as (
            update creator_days set creator_id = $4, updated_at = now() where creator_id = $3 returning season_id, utc_day),
        changed as (
            select 'voter_days' as day_table, k.subject, vd.season_id, vd.utc_day from vd cross join (values ($1::text), ($2::text)) k(subject)
            union all
            select 'creator_days', k.subject, cd.season_id, cd.utc_day from cd cross join (values ($3::uuid::text), ($4::uuid::text)) k(subject))
        insert into day_changes (day_table, changed_at, key_count, subjects, season_ids, days)
        select day_table, now(), count(*), array_agg(subject), array_agg(season_id), array_agg(utc_day) from changed group by day_table
        """;

    // The votes on the user's clips: their seasons' block ranges (the votes_by_slot_range index), not the whole table.
    private const string CreatorSql = """
        update votes set creator_id = $2 where season_id = any($3) and clip_id = any($4) and creator_id = $1
        """;

    private const string UndosSql = "update reset_undos set voter_key = $2 where voter_key = $1";

    // The genre vote (only the genre shard has rows): re-keyed like the votes, so the genre counts stay as they are.
    private const string GenreSql = "update genre_votes set voter_key = $2 where voter_key = $1";

    /// <summary>Returns the ids of the user's votes recent enough to have receipts at the edges.</summary>
    public static async Task<List<Guid>> EraseAsync(NpgsqlDataSource shard, string shardName, ErasureWork work, CancellationToken ct)
    {
        await using var connection = await shard.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        await ExecuteAsync(connection, transaction, WriterLockSql, ct);
        await ExecuteAsync(connection, transaction, CountWriteSql, ct, shardName);

        var recent = new List<Guid>();
        await using (var command = new NpgsqlCommand(VotesSql, connection, transaction))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = work.VoterKey });
            command.Parameters.Add(new NpgsqlParameter { Value = work.ErasedVoterKey });
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                if (reader.Get<bool>("recent"))
                {
                    recent.Add(reader.Get<Guid>("vote_id"));
                }
            }
        }

        await ExecuteAsync(connection, transaction, DaysSql, ct, work.VoterKey, work.ErasedVoterKey, work.CreatorId, work.ErasedCreatorId);
        if (work.ClipIds.Length > 0)
        {
            await ExecuteAsync(connection, transaction, CreatorSql, ct, work.CreatorId, work.ErasedCreatorId, work.ClipSeasonIds, work.ClipIds);
        }

        await ExecuteAsync(connection, transaction, UndosSql, ct, work.VoterKey, work.ErasedVoterKey);
        await ExecuteAsync(connection, transaction, GenreSql, ct, work.VoterKey, work.ErasedVoterKey);
        await transaction.CommitAsync(ct);
        return recent;
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql, CancellationToken ct,
        params object[] parameters)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = parameter });
        }

        await command.ExecuteNonQueryAsync(ct);
    }
}
