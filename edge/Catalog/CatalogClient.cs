using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using AiMoviez.Contracts;

namespace AiMoviez.Edge.Catalog;

/// <summary>Fetches core's catalog snapshot, sending the last ETag so an unchanged catalog costs no body.</summary>
internal sealed class CatalogClient(HttpClient http)
{
    private EntityTagHeaderValue? _etag;

    /// <summary>The snapshot, or null when it has not changed since the last fetch.</summary>
    public async Task<CatalogSnapshot?> FetchAsync(CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, CatalogRoutes.Snapshot);
        if (_etag is not null)
        {
            request.Headers.IfNoneMatch.Add(_etag);
        }

        using var response = await http.SendAsync(request, cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotModified)
        {
            return null;
        }

        response.EnsureSuccessStatusCode();
        var snapshot = await response.Content.ReadFromJsonAsync(ContractsJson.Default.CatalogSnapshot, cancellationToken)
            ?? throw new InvalidDataException("Core answered an empty catalog.");
        _etag = response.Headers.ETag;
        return snapshot;
    }
}
