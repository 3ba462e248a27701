using Npgsql;
using AiMoviez.Perf.Stack;

namespace AiMoviez.Perf.Verification;

public sealed record ShardVote(Guid VoteId, Guid ClipId, string Status, string? Reason, int Weight);

/// <summary>
/// Read-only access to the season's vote shard (tables of aggregator/README.md).
/// </summary>
public sealed class ShardReader : IAsyncDisposable
{
    private const int IdsPerQuery = 20_000;

    private const string TalliesSql =
        "select clip_id, votes, weighted_score from tallies where season_id = $1 and slot_position = $2";

    private const string CountedRowsSql =
        "select clip_id, count(*), coalesce(sum(weight), 0)::bigint from votes where season_id = $1 and slot_position = $2 and status = 'counted' group by clip_id";

    private readonly NpgsqlDataSource _dataSource;

    public ShardReader(string connectionString) => _dataSource = ReadOnlyDatabase.Create(connectionString, maxPoolSize: 4);

    public async Task<TallyCounts> ReadTalliesAsync(Guid seasonId, int slotPosition, CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        return await ReadCountsAsync(connection, null, TalliesSql, seasonId, slotPosition, cancellationToken);
    }

    /// <summary>
    /// The slot's tallies and, from the same snapshot (so votes arriving meanwhile cannot make them differ), the
    /// counted votes and weights per clip from the vote rows themselves: what the tallies must say.
    /// </summary>
    public async Task<(TallyCounts Tallies, TallyCounts CountedRows)> ReadTalliesWithCountedRowsAsync(
        Guid seasonId, int slotPosition, CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var snapshot = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken);
        var tallies = await ReadCountsAsync(connection, snapshot, TalliesSql, seasonId, slotPosition, cancellationToken);
        var countedRows = await ReadCountsAsync(connection, snapshot, CountedRowsSql, seasonId, slotPosition, cancellationToken);
        return (tallies, countedRows);
    }

    private static async Task<TallyCounts> ReadCountsAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql,
        Guid seasonId, int slotPosition, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        command.Parameters.Add(new NpgsqlParameter { Value = seasonId });
        command.Parameters.Add(new NpgsqlParameter { Value = slotPosition });
        var clips = new List<KeyValuePair<Guid, ClipCount>>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            clips.Add(KeyValuePair.Create(reader.GetGuid(0), new ClipCount(reader.GetInt64(1), reader.GetInt64(2))));
        }

        return new TallyCounts(clips);
    }

    /// <summary>The shard rows of the given votes, in chunks; ids the shard does not have are simply absent.</summary>
    public async Task<IReadOnlyDictionary<Guid, ShardVote>> ReadVotesAsync(IReadOnlyList<Guid> voteIds, CancellationToken cancellationToken)
    {
        var found = new Dictionary<Guid, ShardVote>(voteIds.Count);
        foreach (var chunk in voteIds.Chunk(IdsPerQuery))
        {
            await using var command = _dataSource.CreateCommand(
                "select vote_id, clip_id, status, reason, weight from votes where vote_id = any($1)");
            command.Parameters.Add(new NpgsqlParameter { Value = chunk });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var vote = new ShardVote(reader.GetGuid(0), reader.GetGuid(1), reader.GetString(2),
                    reader.IsDBNull(3) ? null : reader.GetString(3), reader.GetInt32(4));
                found[vote.VoteId] = vote;
            }
        }

        return found;
    }

    public ValueTask DisposeAsync() => _dataSource.DisposeAsync();
}
