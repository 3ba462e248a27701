using AiMoviez.Contracts;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Net.Http.Headers;

namespace AiMoviez.Core.Catalog;

/// <summary>GET /internal/catalog: the snapshot edges poll (ETag = version) and refetch on catalog.changed.</summary>
internal static class CatalogApi
{
    public static IEndpointRouteBuilder MapCatalogApi(this IEndpointRouteBuilder app)
    {
        app.MapGet(CatalogRoutes.Snapshot, GetSnapshot).WithTags("Internal").WithSummary("Catalog snapshot for edges");
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

    private static string ETagOf(long version) => $"\"{version}\"";
}
