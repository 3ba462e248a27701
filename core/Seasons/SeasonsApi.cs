using AiMoviez.Core.Data;
using AiMoviez.Core.Infrastructure;
using AiMoviez.ServiceDefaults;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AiMoviez.Core.Seasons;

/// <summary>Public season reads.</summary>
internal static class SeasonsApi
{
    public static RouteGroupBuilder MapSeasonsApi(this RouteGroupBuilder v1)
    {
        // Seasons change on admin actions and slot closes: a few seconds' reuse is within the catalog's own freshness.
        var seasons = v1.MapGroup("/seasons").WithTags("Seasons").RequirePublicReadLimit().WithCacheControl("public, max-age=5");
        seasons.MapGet("/", List).WithSummary("Every season, newest first, with its slots");
        seasons.MapGet("/{id:guid}", Get).WithSummary("One season with its slots");
        return v1;
    }

    private static async Task<Ok<SeasonList>> List(CatalogDatabase catalog, CancellationToken ct) =>
        TypedResults.Ok(new SeasonList(await SeasonReader.ListAsync(catalog, ct)));

    private static async Task<Results<Ok<SeasonResponse>, ProblemHttpResult>> Get(Guid id, CatalogDatabase catalog, CancellationToken ct) =>
        await SeasonReader.ReadAsync(catalog, id, ct) is { } season
            ? TypedResults.Ok(season)
            : Problems.NotFound($"Season {id} does not exist.");
}
