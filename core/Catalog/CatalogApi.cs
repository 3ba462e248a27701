using AiMoviez.Contracts;
using AiMoviez.ServiceDefaults;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Net.Http.Headers;

namespace AiMoviez.Core.Catalog;

/// <summary>
/// GET /internal/catalog: the snapshot edges poll (ETag = version) and refetch on catalog.changed; GET /internal/clips/{id}:
/// where a clip the snapshot does not list belongs, which edges ask about a vote on a clip they do not know.
/// </summary>
internal static class CatalogApi
{
    public static IEndpointRouteBuilder MapCatalogApi(this IEndpointRouteBuilder app)
    {
        app.MapGet(CatalogRoutes.Snapshot, GetSnapshot).WithTags("Internal").WithSummary("Catalog snapshot for edges");
        app.MapGet(CatalogRoutes.Clip, GetClip).WithTags("Internal").WithSummary("A clip's season, for edges");
        return app;
    }

    private static async Task<Results<JsonHttpResult<CatalogSnapshot>, StatusCodeHttpResult>> GetSnapshot(
        HttpContext http, CatalogSnapshotReader reader, CancellationToken ct)
    {
        var ifNoneMatch = http.Request.Headers.IfNoneMatch.ToString();
        if (ifNoneMatch.Length > 0 && ifNoneMatch == ETagOf(await reader.VersionAsync(ct)))
        {
            http.Response.Headers.ETag = ifNoneMatch;
            return TypedResults.StatusCode(StatusCodes.Status304NotModified);
        }

        var snapshot = await reader.ReadAsync(ct);
        http.Response.Headers.ETag = ETagOf(snapshot.Version);
        http.Response.Headers[HeaderNames.CacheControl] = "no-cache";
        return TypedResults.Json(snapshot, ContractsJson.Default.CatalogSnapshot);
    }

    private static async Task<Results<Ok<ClipPlacement>, ProblemHttpResult>> GetClip(
        Guid id, CatalogSnapshotReader reader, CancellationToken ct) =>
        await reader.PlaceClipAsync(id, ct) is { } placement
            ? TypedResults.Ok(placement)
            : Problems.NotFound($"Clip {id} does not exist.", ErrorCodes.ClipNotFound);

    private static string ETagOf(long version) => $"\"{version}\"";
}
