using System.Net.Http.Json;
using System.Text.Json.Nodes;

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
        var (seasonId, _, clipIds) = await Seasons.CreateVotingAsync(Http, Stack, Core.BaseUrl, clipCount, slotDurationSeconds);
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

    public async Task DisposeAsync()
    {
        Http.Dispose();
        await Stack.DisposeAsync();
    }
}
