using AiMoviez.Core.Data;
using AiMoviez.Core.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AiMoviez.Core.Seasons;

/// <summary>Public season reads.</summary>
public static class SeasonsApi
{
    public static RouteGroupBuilder MapSeasonsApi(this RouteGroupBuilder v1)
    {
        var seasons = v1.MapGroup("/seasons").WithTags("Seasons");
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
