using AiMoviez.Contracts;
using AiMoviez.Edge.Catalog;
using AiMoviez.Edge.Infrastructure;
using AiMoviez.ServiceDefaults;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AiMoviez.Edge.Tallies;

internal static class TalliesApi
{
    public static IEndpointRouteBuilder MapTalliesApi(this IEndpointRouteBuilder app)
    {
        var tallies = app.MapGroup("/v1/tallies").RequirePublicReadLimit();
        // Counts change at most once a second per season (the SSE pace), so a second's reuse loses nothing.
        tallies.MapGet("", GetTallies).WithCacheControl("public, max-age=1");
        tallies.MapGet("/stream", Stream);
        return app;
    }

    public static Results<Ok<TalliesResponse>, ProblemHttpResult> GetTallies(string? seasonId, CatalogStore catalog, TallyBoard board)
    {
        var (season, problem) = SeasonSelection.Resolve(catalog.Current, seasonId);
        if (problem is not null)
        {
            return problem;
        }

        return board.Current(season!, catalog.Current!.Snapshot.GeneratedAt) is { } tallies
            ? TypedResults.Ok(tallies)
            : Problems.For(ErrorCodes.NotFound, "The season has no voting slot now.");
    }

    /// <summary>A reconnecting client (its <c>Last-Event-ID</c>) may have missed a slot change, so it gets the slot state first.</summary>
    public static Results<TallyStream, ProblemHttpResult> Stream(string? seasonId, HttpRequest request, CatalogStore catalog, TallyBoard board,
        TallyFeeds feeds)
    {
        var (season, problem) = SeasonSelection.Resolve(catalog.Current, seasonId);
        if (problem is not null)
        {
            return problem;
        }

        // Taken before the initial counts are read so no event published meanwhile is missed.
        var feed = feeds.For(season!.Id);
        var next = feed.Next;
        var view = catalog.Current!;
        var slot = request.Headers.ContainsKey("Last-Event-ID") ? SlotChanged.Of(view, season.Id) : null;
        return new TallyStream(next, feed.LastEventId, slot, board.Current(season, view.Snapshot.GeneratedAt));
    }
}
