using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace AiMoviez.EndToEnd.Tests;

/// <summary>Seasons made through core's admin API, as an operator makes them.</summary>
internal static class Seasons
{
    /// <summary>Creates and activates a season with <paramref name="clipCount"/> approved clips voting in slot 1.</summary>
    public static async Task<(Guid SeasonId, int Number, IReadOnlyList<Guid> ClipIds)> CreateVotingAsync(HttpClient http, TestStack stack,
        string coreUrl, int clipCount, int slotDurationSeconds)
    {
        var admin = stack.AdminToken();
        var (seasonId, number, clipIds) = await CreateDraftAsync(http, stack, coreUrl, clipCount, slotDurationSeconds);
        await SendAsync<JsonObject>(http, HttpMethod.Post, $"{coreUrl}/v1/admin/seasons/{seasonId}/activate", admin);
        await SendAsync<JsonObject>(http, HttpMethod.Post, coreUrl + "/v1/admin/clips/bulk", admin, new { action = "approve", clipIds });
        return (seasonId, number, clipIds);
    }

    /// <summary>Creates a draft season with <paramref name="clipCount"/> clips awaiting moderation.</summary>
    public static async Task<(Guid SeasonId, int Number, IReadOnlyList<Guid> ClipIds)> CreateDraftAsync(HttpClient http, TestStack stack,
        string coreUrl, int clipCount, int slotDurationSeconds)
    {
        var creator = stack.UserToken("creator-" + Guid.NewGuid().ToString("N")[..8]);
        var season = await SendAsync<JsonObject>(http, HttpMethod.Post, coreUrl + "/v1/admin/seasons", stack.AdminToken(),
            new { label = "E2E season", genre = "Thriller", totalSlots = 3, slotDurationSeconds });
        var seasonId = Guid.Parse((string)season["id"]!);
        var clipIds = new List<Guid>();
        for (var i = 0; i < clipCount; i++)
        {
            var clip = await SendAsync<JsonObject>(http, HttpMethod.Post, coreUrl + "/v1/clips", creator, new
            {
                seasonId,
                title = $"Clip {i}",
                genre = "Thriller",
                videoUrl = $"/media/e2e-{i}.mp4",
                thumbnailUrl = $"/media/e2e-{i}.jpg",
                durationSeconds = 8,
            });
            clipIds.Add(Guid.Parse((string)clip["id"]!));
        }

        return (seasonId, (int)season["number"]!, clipIds);
    }

    private static async Task<T> SendAsync<T>(HttpClient http, HttpMethod method, string url, string token, object? body = null)
    {
        using var request = new HttpRequestMessage(method, url);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (body is not null)
        {
            request.Content = JsonContent.Create(body);
        }

        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException($"{method} {url} answered {(int)response.StatusCode}: {text}");
        }

        return string.IsNullOrEmpty(text) ? default! : JsonSerializer.Deserialize<T>(text)!;
    }
}
