using AiMoviez.Contracts;
using AiMoviez.Core.Data;
using Npgsql;

namespace AiMoviez.Core.FlaggedVotes;

/// <summary>A flagged vote as the admin API shows it (CONTRACT.md section 5).</summary>
internal sealed record FlaggedVote(
    Guid VoteId, string VoterKey, Guid ClipId, Guid SeasonId, int SlotPosition, IReadOnlyList<string> Flags, string Status,
    DateTime AcceptedAt, string Region);

/// <summary>Reads votes from every shard (read only: the aggregator writes them).</summary>
internal sealed class FlaggedVoteStore(ShardDatabases shards)
{
    public sealed record Position(DateTime AcceptedAt, Guid VoteId);

    private const string Columns = "vote_id, voter_key, clip_id, season_id, slot_position, flags, status, accepted_at, region";

    // The partial index votes_flagged (accepted_at desc, vote_id desc) where flags <> 0 serves it.
    private const string ListSql = $"""
        select {Columns} from votes
        where flags <> 0 and ($1::uuid is null or season_id = $1)
          and ($2::timestamptz is null or (accepted_at, vote_id) < ($2, $3))
        order by accepted_at desc, vote_id desc
        limit $4
        """;

    private const string FindSql = $"select {Columns} from votes where vote_id = any($1)";

    /// <summary>The newest flagged votes after <paramref name="after"/> across every shard, newest first.</summary>
    public async Task<List<FlaggedVote>> ListAsync(Guid? seasonId, Position? after, int take, CancellationToken ct)
    {
        var perShard = await Task.WhenAll(shards.Names.Select(async name =>
        {
            await using var command = shards.Shard(name).CreateCommand(ListSql);
            command.Parameters.Add(new NpgsqlParameter<Guid?> { TypedValue = seasonId, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Uuid });
            command.Parameters.Add(new NpgsqlParameter<DateTime?> { TypedValue = after?.AcceptedAt, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.TimestampTz });
            command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = after?.VoteId ?? Guid.Empty });
            command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = take });
            return await ReadAsync(command, ct);
        }));
        return [.. perShard.SelectMany(v => v).OrderByDescending(v => v.AcceptedAt).ThenByDescending(v => v.VoteId.ToString("N"), StringComparer.Ordinal).Take(take)];
    }

    /// <summary>The asked votes found, each with the shard that holds it.</summary>
    public async Task<List<(string Shard, FlaggedVote Vote)>> FindAsync(Guid[] voteIds, CancellationToken ct)
    {
        var perShard = await Task.WhenAll(shards.Names.Select(async name =>
        {
            await using var command = shards.Shard(name).CreateCommand(FindSql);
            command.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = voteIds });
            return (await ReadAsync(command, ct)).Select(v => (name, v));
        }));
        return [.. perShard.SelectMany(v => v)];
    }

    private static async Task<List<FlaggedVote>> ReadAsync(NpgsqlCommand command, CancellationToken ct)
    {
        var votes = new List<FlaggedVote>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            votes.Add(new FlaggedVote(reader.Get<Guid>("vote_id"), reader.Get<string>("voter_key"), reader.Get<Guid>("clip_id"),
                reader.Get<Guid>("season_id"), reader.Get<int>("slot_position"), VoteFlagNames.Of((VoteFlags)reader.Get<int>("flags")),
                reader.Get<string>("status"), reader.Get<DateTime>("accepted_at"), reader.Get<string>("region")));
        }

        return votes;
    }
}
