using System.Net.Http.Headers;
using System.Text.Json;
using AiMoviez.Contracts;

namespace AiMoviez.Perf.Stack;

/// <summary>Reads core's GET /v1/admin/pipeline (admin token) to show how far behind the aggregator is at load end.</summary>
public sealed class PipelineProbe(HttpClient http, Uri coreUri, string? adminToken)
{
    public async Task<PipelineStatus?> ReadAsync(CancellationToken cancellationToken)
    {
        if (adminToken is null)
        {
            return null;
        }

        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(coreUri, "/v1/admin/pipeline"));
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", adminToken);
            using var response = await http.SendAsync(request, cancellationToken);
            return response.IsSuccessStatusCode
                ? JsonSerializer.Deserialize(await response.Content.ReadAsStreamAsync(cancellationToken), ContractsJson.Default.PipelineStatus)
                : null;
        }
        catch (Exception exception) when (exception is HttpRequestException or JsonException or TaskCanceledException)
        {
            // The pipeline view is extra information; the verification does not depend on it.
            return null;
        }
    }
}
