using AiMoviez.Aggregator.Rules;
using AiMoviez.Contracts;
using Npgsql;

namespace AiMoviez.Aggregator.Shards;

/// <summary>
/// Reads what the rules need to decide a batch (its stored votes, tombstones and its voters' counted votes) with the
/// shard's write count, the fence's reference, read first.
/// </summary>
internal static class BatchState
{
    private const string LoadVotesById = """
        select vote_id, season_id, slot_position, clip_id, creator_id, voter_key, vote_type, weight, utc_day, status, reason
        from votes where vote_id = any($1)
        """;

    private const string LoadTombstones = "select vote_id from vote_tombstones where vote_id = any($1)";

    // Key lists rather than a join with the batch's keys: each is an index condition whatever the statistics say. A join
    // planned on stale statistics (the table grows faster than autovacuum analyzes it) hashed the whole index instead:
    // 120 ms against 18 ms per 10,000 voters at 300,000 votes, and worse as the table grows. The lists may admit a
    // voter's votes in another of the batch's slots; the rules look up exact (voter, season, slot) keys.
    internal const string LoadCountedVotesOfVoters = """
        select vote_id, season_id, slot_position, clip_id, creator_id, voter_key, vote_type, weight, utc_day, status, reason
        from votes
        where voter_key = any($1) and season_id = any($2) and slot_position = any($3) and status = 'counted'
        """;

    /// <param name="unseenVotes">Votes not looked up by id; null to look up every vote.</param>
    /// <param name="lockFirst">Takes the writer lock before reading.</param>
    /// <returns>The rules' state, and the shard's write count read before it.</returns>
    public static async Task<(ShardState Shard, long Writes)> LoadAsync(NpgsqlConnection connection, string shard,
        IReadOnlyList<(string Region, VoteStreamEvent Event)> batch, IReadOnlySet<Guid>? unseenVotes, bool lockFirst, CancellationToken cancellationToken)
    {
        var casts = batch.Select(m => m.Event).OfType<VoteCast>().ToList();
        var ids = casts.Select(c => c.VoteId).Concat(batch.Select(m => m.Event).OfType<VoteRevoked>().Select(r => r.VoteId)).Distinct().ToArray();
        var storedIds = unseenVotes is not { Count: > 0 } ? ids : ids.Where(id => !unseenVotes.Contains(id)).ToArray();
        await using var command = new NpgsqlBatch(connection)
        {
            BatchCommands =
            {
                // First, so a write by another writer after it, even during the reads that follow, is found by the fence.
                new NpgsqlBatchCommand(ShardSchema.ReadWritesSql) { Parameters = { new() { Value = shard } } },
                new NpgsqlBatchCommand(LoadVotesById) { Parameters = { new() { Value = storedIds } } },
                // Every id: a revoke may have come before its vote, even before the vote's first delivery.
                new NpgsqlBatchCommand(LoadTombstones) { Parameters = { new() { Value = ids } } },
                new NpgsqlBatchCommand(LoadCountedVotesOfVoters)
                {
                    Parameters =
                    {
                        new() { Value = casts.Select(c => c.VoterKey).Distinct().ToArray() },
                        new() { Value = casts.Select(c => c.SeasonId).Distinct().ToArray() },
                        new() { Value = casts.Select(c => c.SlotPosition).Distinct().ToArray() },
                    },
                },
            },
        };
        if (lockFirst)
        {
            command.BatchCommands.Insert(0, new NpgsqlBatchCommand(ShardSchema.WriterLockSql));
        }

        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (lockFirst)
        {
            await reader.NextResultAsync(cancellationToken);
        }

        await reader.ReadAsync(cancellationToken);
        var writes = reader.Get<long>("writes");
        await reader.NextResultAsync(cancellationToken);
        var byId = new Dictionary<Guid, StoredVote>();
        var columns = VoteColumns.Of(reader);
        while (await reader.ReadAsync(cancellationToken))
        {
            var vote = columns.Read(reader);
            byId[vote.VoteId] = vote;
        }

        await reader.NextResultAsync(cancellationToken);
        var tombstones = new HashSet<Guid>();
        while (await reader.ReadAsync(cancellationToken))
        {
            tombstones.Add(reader.Get<Guid>("vote_id"));
        }

        await reader.NextResultAsync(cancellationToken);
        var counted = new List<StoredVote>();
        columns = VoteColumns.Of(reader);
        while (await reader.ReadAsync(cancellationToken))
        {
            counted.Add(columns.Read(reader));
        }

        return (new ShardState(byId, tombstones, counted), writes);
    }

    /// <summary>A stored vote's columns by name, looked up once per result rather than for each of a batch's rows.</summary>
    private readonly record struct VoteColumns(int VoteId, int SeasonId, int SlotPosition, int ClipId, int CreatorId, int VoterKey,
        int VoteType, int Weight, int UtcDay, int Status, int Reason)
    {
        public static VoteColumns Of(NpgsqlDataReader reader) => new(reader.GetOrdinal("vote_id"), reader.GetOrdinal("season_id"),
            reader.GetOrdinal("slot_position"), reader.GetOrdinal("clip_id"), reader.GetOrdinal("creator_id"), reader.GetOrdinal("voter_key"),
            reader.GetOrdinal("vote_type"), reader.GetOrdinal("weight"), reader.GetOrdinal("utc_day"), reader.GetOrdinal("status"),
            reader.GetOrdinal("reason"));

        public StoredVote Read(NpgsqlDataReader reader) => new(
            reader.GetGuid(VoteId), reader.GetGuid(SeasonId), reader.GetInt32(SlotPosition), reader.GetGuid(ClipId), reader.GetGuid(CreatorId),
            reader.GetString(VoterKey), reader.GetString(VoteType), reader.GetInt32(Weight), reader.GetFieldValue<DateOnly>(UtcDay),
            reader.GetString(Status), reader.IsDBNull(Reason) ? null : reader.GetString(Reason));
    }
}
