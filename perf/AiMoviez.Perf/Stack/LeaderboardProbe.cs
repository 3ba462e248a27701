using Npgsql;

namespace AiMoviez.Perf.Stack;

/// <summary>
/// Whether the catalog's leaderboards hold every change of one shard's day tables. Core's rollup folds them in passes
/// (`Leaderboards:RollupInterval` apart, core/README.md), so much of the catalog's and core's work for a load's votes
/// comes after the load: the rollup's position per board (catalog `leaderboard_positions`) is compared with the
/// shard's last change per day table (`day_changes`).
/// </summary>
public sealed class LeaderboardProbe(string catalogConnectionString, string shardConnectionString, string shardName) : IAsyncDisposable
{
    /// <summary>Each board and the shard table it rolls up, as core's LeaderboardBoard names them.</summary>
    private static readonly IReadOnlyDictionary<string, string> TableOfBoard = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["clips"] = "clip_days",
        ["voters"] = "voter_days",
        ["creators"] = "creator_days",
    };

    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(250);

    private readonly NpgsqlDataSource _catalog = ReadOnlyDatabase.Create(catalogConnectionString, maxPoolSize: 2);
    private readonly NpgsqlDataSource _shard = ReadOnlyDatabase.Create(shardConnectionString, maxPoolSize: 2);

    /// <summary>The last change of each day table on the shard; a table without changes is absent.</summary>
    public async Task<IReadOnlyDictionary<string, long>> LastChangesAsync(CancellationToken cancellationToken)
    {
        await using var command = _shard.CreateCommand("select day_table, max(seq) from day_changes group by day_table");
        var last = new Dictionary<string, long>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            last[reader.GetString(0)] = reader.GetInt64(1);
        }

        return last;
    }

    /// <summary>True once the rollup's position on every board has reached <paramref name="changes"/>; false if not within <paramref name="limit"/>.</summary>
    public async Task<bool> WaitUntilFoldedAsync(IReadOnlyDictionary<string, long> changes, TimeSpan limit, CancellationToken cancellationToken)
    {
        var deadline = DateTimeOffset.UtcNow + limit;
        while (!await FoldedAsync(changes, cancellationToken))
        {
            if (DateTimeOffset.UtcNow >= deadline)
            {
                return false;
            }

            await Task.Delay(PollInterval, cancellationToken);
        }

        return true;
    }

    private async Task<bool> FoldedAsync(IReadOnlyDictionary<string, long> changes, CancellationToken cancellationToken)
    {
        await using var command = _catalog.CreateCommand("select board, change_seq from leaderboard_positions where shard = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = shardName });
        var positions = new Dictionary<string, long>(StringComparer.Ordinal);
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                positions[reader.GetString(0)] = reader.GetInt64(1);
            }
        }

        return TableOfBoard.All(board => !changes.TryGetValue(board.Value, out var last)
            || (positions.TryGetValue(board.Key, out var position) && position >= last));
    }

    public async ValueTask DisposeAsync()
    {
        await _catalog.DisposeAsync();
        await _shard.DisposeAsync();
    }
}
