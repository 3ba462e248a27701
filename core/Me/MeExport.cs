using AiMoviez.Core.Audit;
using AiMoviez.Core.Bans;
using AiMoviez.Core.Clips;
using AiMoviez.Core.Data;
using Npgsql;

namespace AiMoviez.Core.Me;

internal sealed record ExportedVote(
    Guid VoteId,
    Guid ClipId,
    Guid SeasonId,
    int SlotPosition,
    string VoteType,
    int Weight,
    string Status,
    string? Reason,
    string Region,
    DateTime AcceptedAt,
    DateTime AppliedAt);

/// <summary>A day row: the counted votes cast (voter) or received (creator) in one season on one UTC day.</summary>
internal sealed record ExportedDay(Guid SeasonId, DateOnly UtcDay, long Votes, long Weight);

/// <summary>The caller's genre vote between seasons, as the genre shard holds it.</summary>
internal sealed record ExportedGenreVote(string Genre, DateTime ChangedAt);

internal sealed record MyExport(
    DateTime ExportedAt,
    UserKeys Profile,
    IReadOnlyList<ClipResponse> Clips,
    IReadOnlyList<ExportedVote> Votes,
    IReadOnlyList<ExportedDay> VotingDays,
    IReadOnlyList<ExportedDay> CreatorDays,
    ExportedGenreVote? GenreVote,
    IReadOnlyList<Ban> Bans,
    IReadOnlyList<AuditLogItem> AuditEntries);

/// <summary>
/// GET /v1/me/export: everything stored about the caller, in the catalog and on every shard, as one document. Reads
/// through the same indexes as the other /me calls (the user's votes, day rows and clips), and the audit log by
/// resource and by actor.
/// </summary>
internal static class MeExport
{
    public static async Task<MyExport> ReadAsync(UserKeys keys, ShardDatabases shards, CatalogDatabase catalog, DateTime now, CancellationToken ct)
    {
        var perShard = await Task.WhenAll(shards.Names.Select(name => ShardPartAsync(shards.Shard(name), keys, ct)));
        var genreVote = shards.Map.GenreShard is { } genreShard ? await GenreVoteAsync(shards.Shard(genreShard), keys.VoterKey, ct) : null;

        await using var tx = await catalog.BeginAsync(ct);
        List<ClipResponse> clips;
        await using (var command = tx.Command($"select {ClipReader.Columns} from clips where creator_id = $1 order by created_at, id", keys.CreatorId))
        {
            clips = await ClipReader.ReadAllAsync(command, ct);
        }

        var bans = new List<Ban>();
        await using (var command = tx.Command("""
            select kind, subject, banned_at from bans where (kind = 'user' and subject = $1) or (kind = 'voter' and subject = $2)
            """, keys.UserId, keys.VoterKey))
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                bans.Add(BanStore.ReadBan(reader));
            }
        }

        var audit = new List<AuditLogItem>();
        await using (var command = tx.Command("""
            select id, action, resource_type, resource_id, actor, details::text, created_at from audit_logs
            where (resource_type = 'user' and resource_id = $1) or (resource_type = 'voter' and resource_id = $2)
               or (resource_type = 'clip' and resource_id = any($3)) or actor = $1
            order by seq
            """, keys.UserId, keys.VoterKey, clips.Select(c => c.Id.ToString("D")).ToArray()))
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                audit.Add(AuditLogItem.Read(reader));
            }
        }

        await tx.CommitAsync(audit: null, ct);
        return new MyExport(now, keys, clips,
            [.. perShard.SelectMany(s => s.Votes).OrderBy(v => v.AcceptedAt).ThenBy(v => v.VoteId.ToString("N"), StringComparer.Ordinal)],
            [.. perShard.SelectMany(s => s.VotingDays).OrderBy(d => d.UtcDay).ThenBy(d => d.SeasonId)],
            [.. perShard.SelectMany(s => s.CreatorDays).OrderBy(d => d.UtcDay).ThenBy(d => d.SeasonId)],
            genreVote, bans, audit);
    }

    private static async Task<ExportedGenreVote?> GenreVoteAsync(NpgsqlDataSource shard, string voterKey, CancellationToken ct)
    {
        await using var command = shard.CreateCommand("select genre, changed_at from genre_votes where voter_key = $1 and genre is not null");
        command.Parameters.Add(new NpgsqlParameter { Value = voterKey });
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? new ExportedGenreVote(reader.Get<string>("genre"), reader.Get<DateTime>("changed_at")) : null;
    }

    private sealed record ShardPart(List<ExportedVote> Votes, List<ExportedDay> VotingDays, List<ExportedDay> CreatorDays);

    private static async Task<ShardPart> ShardPartAsync(NpgsqlDataSource shard, UserKeys keys, CancellationToken ct)
    {
        await using var connection = await shard.OpenConnectionAsync(ct);
        // One snapshot of the shard, so the votes and the day rows agree.
        await using var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, ct);
        var votes = new List<ExportedVote>();
        await using (var command = new NpgsqlCommand($"""
            select vote_id, clip_id, season_id, slot_position, vote_type, weight, status, reason, region, accepted_at, applied_at
            from votes where {MeQueries.UserVotes} order by accepted_at, vote_id
            """, connection, transaction))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = keys.VoterKey });
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                votes.Add(new ExportedVote(reader.Get<Guid>("vote_id"), reader.Get<Guid>("clip_id"), reader.Get<Guid>("season_id"),
                    reader.Get<int>("slot_position"), reader.Get<string>("vote_type"), reader.Get<int>("weight"), reader.Get<string>("status"),
                    reader.GetOrNull<string>("reason"), reader.Get<string>("region"), reader.Get<DateTime>("accepted_at"), reader.Get<DateTime>("applied_at")));
            }
        }

        var voting = await DaysAsync(connection, transaction, "select season_id, utc_day, votes, weight from voter_days where voter_key = $1", keys.VoterKey, ct);
        var creating = await DaysAsync(connection, transaction, "select season_id, utc_day, votes, weight from creator_days where creator_id = $1", keys.CreatorId, ct);
        await transaction.CommitAsync(ct);
        return new ShardPart(votes, voting, creating);
    }

    private static async Task<List<ExportedDay>> DaysAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql, object key,
        CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        command.Parameters.Add(new NpgsqlParameter { Value = key });
        var days = new List<ExportedDay>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            days.Add(new ExportedDay(reader.Get<Guid>("season_id"), reader.Get<DateOnly>("utc_day"), reader.Get<long>("votes"), reader.Get<long>("weight")));
        }

        return days;
    }
}
