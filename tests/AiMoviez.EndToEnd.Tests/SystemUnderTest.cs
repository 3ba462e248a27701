using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using AiMoviez.Testing;

namespace AiMoviez.EndToEnd.Tests;

/// <summary>
/// The whole system as real processes: three regions (nats-server, redis-server, edge each), core, aggregator,
/// a catalog PostgreSQL and two vote shards. Edges trust 127.0.0.1 as a proxy here so one test process can play
/// thousands of voters with X-Forwarded-For, as the load generator does from 127.0.0.2 on the local stack.
/// </summary>
public sealed class SystemUnderTest : IAsyncLifetime
{
    public TestStack Stack { get; private set; } = null!;

    public ServiceProcess Core { get; private set; } = null!;

    public ServiceProcess Aggregator { get; private set; } = null!;

    public Dictionary<string, ServiceProcess> Edges { get; } = [];

    public HttpClient Http { get; } = new() { Timeout = TimeSpan.FromSeconds(30) };

    /// <summary>Extra environment for core, the aggregator and the edges (e.g. an OTLP endpoint).</summary>
    public IReadOnlyDictionary<string, string?> ServiceEnvironment { get; init; } = new Dictionary<string, string?>();

    public async Task InitializeAsync()
    {
        Stack = await TestStack.StartAsync();
        Core = await Stack.StartCoreAsync(ServiceEnvironment);
        Aggregator = await Stack.StartAggregatorAsync(ServiceEnvironment);
        foreach (var region in TestStack.DefaultRegions)
        {
            Edges[region] = await Stack.StartEdgeAsync(region, new Dictionary<string, string?>(ServiceEnvironment)
            {
                ["Proxies__Trusted__0"] = "127.0.0.1",
            });
        }

        foreach (var edge in Edges.Values)
        {
            await edge.WaitReadyAsync(TimeSpan.FromSeconds(30));
        }
    }

    /// <summary>Creates and activates a season with <paramref name="clipCount"/> approved clips voting in slot 1.</summary>
    public async Task<(Guid SeasonId, IReadOnlyList<Guid> ClipIds)> CreateVotingSeasonAsync(int clipCount, int slotDurationSeconds = 86_400)
    {
        var admin = Stack.AdminToken();
        var creator = Stack.UserToken("creator-" + Guid.NewGuid().ToString("N")[..8]);
        var season = await SendAsync<JsonObject>(HttpMethod.Post, Core.BaseUrl + "/v1/admin/seasons", admin,
            new { label = "E2E season", genre = "Thriller", totalSlots = 3, slotDurationSeconds });
        var seasonId = Guid.Parse((string)season["id"]!);
        await SendAsync<JsonObject>(HttpMethod.Post, $"{Core.BaseUrl}/v1/admin/seasons/{seasonId}/activate", admin);
        var clipIds = new List<Guid>();
        for (var i = 0; i < clipCount; i++)
        {
            var clip = await SendAsync<JsonObject>(HttpMethod.Post, Core.BaseUrl + "/v1/clips", creator, new
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

        await SendAsync<JsonObject>(HttpMethod.Post, Core.BaseUrl + "/v1/admin/clips/bulk", admin, new { action = "approve", clipIds });
        return (seasonId, clipIds);
    }

    /// <summary>Waits until every edge's catalog lets it take votes for the clip.</summary>
    public async Task WaitUntilEdgesServeAsync(Guid seasonId, int clipCount)
    {
        foreach (var edge in Edges.Values)
        {
            await Eventually.UntilAsync(async () =>
            {
                var tallies = await Http.GetFromJsonAsync<JsonObject>($"{edge.BaseUrl}/v1/tallies?seasonId={seasonId}");
                return tallies!["clips"]!.AsArray().Count == clipCount;
            }, TimeSpan.FromSeconds(15), $"{edge.Name} to know season {seasonId}");
        }
    }

    public static HttpRequestMessage Vote(string edgeUrl, Guid clipId, int voter, string voteType = "standard")
    {
        var request = new HttpRequestMessage(HttpMethod.Post, edgeUrl + "/v1/votes")
        {
            Content = JsonContent.Create(new { clipId, voteType }),
        };
        request.Headers.TryAddWithoutValidation("X-Forwarded-For", $"10.{(voter >> 16) & 255}.{(voter >> 8) & 255}.{voter & 255}");
        request.Headers.TryAddWithoutValidation("User-Agent", $"Mozilla/5.0 (E2E voter {voter})");
        request.Headers.TryAddWithoutValidation("Accept-Language", "en-US");
        return request;
    }

    public async Task<Dictionary<Guid, long>> TalliesAsync(string edgeUrl, Guid seasonId)
    {
        var tallies = await Http.GetFromJsonAsync<JsonObject>($"{edgeUrl}/v1/tallies?seasonId={seasonId}");
        return tallies!["clips"]!.AsArray().ToDictionary(c => Guid.Parse((string)c!["clipId"]!), c => (long)c!["votes"]!);
    }

    private async Task<T> SendAsync<T>(HttpMethod method, string url, string token, object? body = null)
    {
        using var request = new HttpRequestMessage(method, url);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (body is not null)
        {
            request.Content = JsonContent.Create(body);
        }

        using var response = await Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException($"{method} {url} answered {(int)response.StatusCode}: {text}");
        }

        return string.IsNullOrEmpty(text) ? default! : JsonSerializer.Deserialize<T>(text)!;
    }

    public async Task DisposeAsync()
    {
        Http.Dispose();
        await Stack.DisposeAsync();
    }
}
