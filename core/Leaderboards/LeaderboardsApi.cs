using AiMoviez.Core.Data;
using AiMoviez.Core.Infrastructure;
using AiMoviez.ServiceDefaults;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AiMoviez.Core.Leaderboards;

/// <summary>One ranked clip, voter or creator (the other boards' id fields are null) with the votes it received or cast.</summary>
internal sealed record LeaderboardItem(int Rank, Guid? ClipId, string? VoterKey, Guid? CreatorId, Guid? SeasonId, string? Title, long Votes, long WeightedScore)
{
    public static LeaderboardItem For(string board, int rank, string subject, long votes, long weightedScore, Guid? seasonId, string? title) => board switch
    {
        "clips" => new(rank, Guid.Parse(subject), null, null, seasonId, title, votes, weightedScore),
        "voters" => new(rank, null, subject, null, null, null, votes, weightedScore),
        _ => new(rank, null, null, Guid.Parse(subject), null, null, votes, weightedScore),
    };

    /// <summary>The keyset subject, as the totals table stores it.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public string Subject => VoterKey ?? (ClipId ?? CreatorId)!.Value.ToString("D");
}

internal sealed record LeaderboardPage(
    string Board,
    string Period,
    DateOnly PeriodStart,
    Guid? SeasonId,
    DateTime AsOf,
    IReadOnlyList<LeaderboardItem> Items,
    string? NextCursor);

/// <summary>
/// GET /v1/leaderboards/{clips|voters|creators}: one generation of the rolled-up totals, keyset by (votes desc, the
/// generation that reached them, subject): of equal counts, the one reached first ranks first.
/// </summary>
internal static class LeaderboardsApi
{
    /// <summary>Generation, period start, last votes, last row's generation, last subject, last rank.</summary>
    private sealed record Position(long G, DateOnly P, long V, long F, string S, int R);

    public static RouteGroupBuilder MapLeaderboardsApi(this RouteGroupBuilder v1)
    {
        v1.MapGet("/leaderboards/{board}", Get).WithTags("Leaderboards")
            .WithSummary("Top clips (votes received), voters (votes cast) or creators (votes received) for day, ISO week or all time")
            // The rollup refreshes boards every Leaderboards:RollupInterval (30 s); a page reused 5 s adds little to that.
            .RequirePublicReadLimit().WithCacheControl("public, max-age=5");
        return v1;
    }

    private static async Task<Results<Ok<LeaderboardPage>, ProblemHttpResult>> Get(
        string board, Guid? seasonId, string? period, int? limit, string? cursor, CatalogDatabase catalog, TimeProvider time, CancellationToken ct)
    {
        var definition = LeaderboardBoard.All.FirstOrDefault(b => b.Name == board);
        if (definition is null)
        {
            return Problems.NotFound($"There is no leaderboard '{board}'; use clips, voters or creators.");
        }

        period ??= LeaderboardPeriods.All;
        if (LeaderboardPeriods.StartOf(period, time.GetUtcNow()) is not { } currentStart)
        {
            return Problems.Invalid("period must be day, week or all.");
        }

        if (!PageRequest<Position>.TryParse(cursor, limit, defaultLimit: 20, out var page, out var problem))
        {
            return problem;
        }

        var (after, take) = page;
        if (after is { F: < 1 })
        {
            // A cursor from before ties ranked by generation (generations start at 1) would page by subject alone.
            return Problems.Invalid("cursor is not valid.");
        }

        await using var tx = await catalog.BeginAsync(ct);
        if (seasonId is { } season)
        {
            await using var exists = tx.Command("select 1 from seasons where id = $1", season);
            if (await exists.ExecuteScalarAsync(ct) is null)
            {
                return Problems.NotFound($"Season {season} does not exist.");
            }
        }

        await using var generationCommand = tx.Command("""
            select (select max(generation) from leaderboard_generations) as newest, (select min(generation) from leaderboard_generations) as oldest,
                   (select created_at from leaderboard_generations where generation = coalesce($1, (select max(generation) from leaderboard_generations))) as created_at
            """, after?.G);
        long generation;
        DateTime? asOf;
        await using (var reader = await generationCommand.ExecuteReaderAsync(ct))
        {
            await reader.ReadAsync(ct);
            if (after is not null && (reader.Get<long?>("oldest") is not { } oldest || after.G < oldest))
            {
                return Problems.Invalid("cursor expired; start again from the first page.");
            }

            // No generation yet: the catalog's leaderboard tables are new or were emptied by a crash (they are unlogged).
            generation = after?.G ?? reader.Get<long?>("newest") ?? 0;
            asOf = reader.Get<DateTime?>("created_at");
        }

        // A cursor keeps its generation and period start, so its pages are one consistent ranking.
        var periodStart = after?.P ?? currentStart;
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
            """, definition.Name, periodStart, seasonId ?? Guid.Empty, generation, after?.V ?? long.MaxValue, after?.F ?? 0L, after?.S ?? "",
            take + 1);
        var items = new List<LeaderboardItem>();
        var lastGeneration = 0L;
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            var rank = after?.R ?? 0;
            while (await reader.ReadAsync(ct))
            {
                items.Add(LeaderboardItem.For(definition.Name, ++rank, reader.Get<string>("subject"), reader.Get<long>("votes"),
                    reader.Get<long>("weight"), reader.Get<Guid?>("season_id"), reader.GetOrNull<string>("title")));
                if (items.Count == take)
                {
                    lastGeneration = reader.Get<long>("valid_from");
                }
            }
        }

        var next = items.Count > take
            ? Cursor.Encode(new Position(generation, periodStart, items[take - 1].Votes, lastGeneration, items[take - 1].Subject, items[take - 1].Rank))
            : null;
        return TypedResults.Ok(new LeaderboardPage(definition.Name, period, periodStart, seasonId, asOf ?? time.GetUtcNow().UtcDateTime,
            items.Take(take).ToList(), next));
    }
}
