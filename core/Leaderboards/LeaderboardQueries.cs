using AiMoviez.Core.Data;
using AiMoviez.ServiceDefaults;

namespace AiMoviez.Core.Leaderboards;

/// <summary>The leaderboard reads, from the catalog's rolled-up totals (<see cref="LeaderboardRollup"/>).</summary>
internal static class LeaderboardQueries
{
    /// <summary>Generation, period start, last votes, last row's generation, last subject, last rank.</summary>
    public sealed record Position(long G, DateOnly P, long V, long F, string S, int R);

    /// <summary>The newest and oldest generations kept, and when the asked one (or the newest) was made.</summary>
    public sealed record Generations(long? Newest, long? Oldest, DateTime? CreatedAt);

    public static async Task<bool> SeasonExistsAsync(CatalogTransaction tx, Guid season, CancellationToken ct)
    {
        await using var command = tx.Command("select 1 from seasons where id = $1", season);
        return await command.ExecuteScalarAsync(ct) is not null;
    }

    public static async Task<Generations> GenerationsAsync(CatalogTransaction tx, long? generation, CancellationToken ct)
    {
        await using var command = tx.Command("""
            select (select max(generation) from leaderboard_generations) as newest, (select min(generation) from leaderboard_generations) as oldest,
                   (select created_at from leaderboard_generations where generation = coalesce($1, (select max(generation) from leaderboard_generations))) as created_at
            """, generation);
        await using var reader = await command.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        return new Generations(reader.Get<long?>("newest"), reader.Get<long?>("oldest"), reader.Get<DateTime?>("created_at"));
    }

    /// <summary>
    /// Up to <paramref name="take"/> + 1 items of the board in <paramref name="generation"/> after <paramref name="after"/>
    /// (one more tells whether a next page exists), and the generation that reached the <paramref name="take"/>th.
    /// </summary>
    public static async Task<(List<LeaderboardItem> Items, long LastGeneration)> PageAsync(CatalogTransaction tx, LeaderboardBoard board,
        string period, DateOnly periodStart, Guid? seasonId, long generation, Position? after, int take, CancellationToken ct)
    {
        // One index per period (board, season key, period start, votes desc, valid_from, subject); names are constants, never input.
        var (start, votes, weight) = period switch
        {
            LeaderboardPeriods.Day => ("t.day_start = $2 and ", "t.day_votes", "t.day_weight"),
            LeaderboardPeriods.Week => ("t.week_start = $2 and ", "t.week_votes", "t.week_weight"),
            _ => ("", "t.all_votes", "t.all_weight"),
        };
        await using var command = tx.Command($"""
            select t.subject, {votes} as votes, {weight} as weight, t.valid_from, c.season_id, c.title
            from leaderboard_totals t
            left join clips c on $1 = 'clips' and c.id::text = t.subject
            where t.board = $1::leaderboard_board and t.season_key = $3 and {start}
              t.valid_from <= $4 and (t.valid_to is null or t.valid_to > $4)
              and {votes} > 0 and {votes} <= $5
              and ({votes} < $5 or (t.valid_from, t.subject) > ($6, $7))
            order by {votes} desc, t.valid_from, t.subject
            limit $8
            """, board.Name, periodStart, seasonId ?? Guid.Empty, generation, after?.V ?? long.MaxValue, after?.F ?? 0L, after?.S ?? "",
            take + 1);
        var items = new List<LeaderboardItem>();
        var lastGeneration = 0L;
        await using var reader = await command.ExecuteReaderAsync(ct);
        var rank = after?.R ?? 0;
        while (await reader.ReadAsync(ct))
        {
            items.Add(LeaderboardItem.For(board.Name, ++rank, reader.Get<string>("subject"), reader.Get<long>("votes"),
                reader.Get<long>("weight"), reader.Get<Guid?>("season_id"), reader.GetOrNull<string>("title")));
            if (items.Count == take)
            {
                lastGeneration = reader.Get<long>("valid_from");
            }
        }

        return (items, lastGeneration);
    }
}
