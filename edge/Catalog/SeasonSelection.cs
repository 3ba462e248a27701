using AiMoviez.Contracts;
using AiMoviez.Edge.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AiMoviez.Edge.Catalog;

/// <summary>The season a read asks for: the given id, or the most recently activated active one.</summary>
internal static class SeasonSelection
{
    public static (SeasonSnapshot? Season, ProblemHttpResult? Problem) Resolve(CatalogView? view, string? seasonId)
    {
        if (view is null)
        {
            return (null, Problems.For(ErrorCodes.DependencyUnavailable, "The catalog has not been loaded yet."));
        }

        if (string.IsNullOrEmpty(seasonId))
        {
            return view.DefaultSeason is { } latest
                ? (latest, null)
                : (null, Problems.For(ErrorCodes.NotFound, "No season is active."));
        }

        if (!Guid.TryParse(seasonId, out var id))
        {
            return (null, Problems.For(ErrorCodes.InvalidRequest, "seasonId must be a UUID."));
        }

        return view.Season(id) is { } season
            ? (season, null)
            : (null, Problems.For(ErrorCodes.NotFound, "No active season has this id."));
    }
}
