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

        if (!PageRequest<LeaderboardQueries.Position>.TryParse(cursor, limit, defaultLimit: 20, out var page, out var problem))
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
        if (seasonId is { } season && !await LeaderboardQueries.SeasonExistsAsync(tx, season, ct))
        {
            return Problems.NotFound($"Season {season} does not exist.");
        }

        var generations = await LeaderboardQueries.GenerationsAsync(tx, after?.G, ct);
        if (after is not null && (generations.Oldest is not { } oldest || after.G < oldest))
        {
            return Problems.Invalid("cursor expired; start again from the first page.");
        }

        // No generation yet: the catalog's leaderboard tables are new or were emptied by a crash (they are unlogged).
        var generation = after?.G ?? generations.Newest ?? 0;
        // A cursor keeps its generation and period start, so its pages are one consistent ranking.
        var periodStart = after?.P ?? currentStart;
        var (items, lastGeneration) = await LeaderboardQueries.PageAsync(tx, definition, period, periodStart, seasonId, generation, after, take, ct);
        var next = items.Count > take
            ? Cursor.Encode(new LeaderboardQueries.Position(generation, periodStart, items[take - 1].Votes, lastGeneration, items[take - 1].Subject,
                items[take - 1].Rank))
            : null;
        return TypedResults.Ok(new LeaderboardPage(definition.Name, period, periodStart, seasonId, generations.CreatedAt ?? time.GetUtcNow().UtcDateTime,
            items.Take(take).ToList(), next));
    }
}
