using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using AiMoviez.Perf.Stack;

namespace AiMoviez.Perf.Tests;

/// <summary>
/// A real stack for the load tool to run against: one region (nats-server, redis-server, edge), core, the aggregator,
/// a catalog PostgreSQL and two vote shards. The edge trusts 127.0.0.2 as a proxy, as the local stack does.
/// </summary>
public sealed class PerfStack : IAsyncLifetime
{
    public const string Region = "us-east";

    public TestStack Stack { get; private set; } = null!;

    public ServiceProcess Core { get; private set; } = null!;

    public ServiceProcess Aggregator { get; private set; } = null!;

    public ServiceProcess Edge { get; private set; } = null!;

    public HttpClient Admin { get; } = new() { Timeout = TimeSpan.FromSeconds(30) };

    public StackAddresses Addresses => StackAddresses.FromTopology(Stack.Topology, []);

    public async Task InitializeAsync()
    {
        Stack = await TestStack.StartAsync(regions: [Region], shardCount: 2);
        // Leaderboard passes a second apart, so a run's wait for them to fold its votes is short.
        Core = await Stack.StartCoreAsync(new Dictionary<string, string?> { ["Leaderboards__RollupInterval"] = "00:00:01" });
        Aggregator = await Stack.StartAggregatorAsync();
        Edge = await Stack.StartEdgeAsync(Region, new Dictionary<string, string?> { ["Proxies__Trusted__0"] = "127.0.0.2" });
        await Core.WaitReadyAsync(TimeSpan.FromSeconds(60));
        await Edge.WaitReadyAsync(TimeSpan.FromSeconds(60));
        Admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Stack.AdminToken());
    }

    /// <summary>Options as `./aimoviez bench` gives them, for this stack; the repo root has no `aimoviez` script, so tokens come only from here.</summary>
    public PerfOptions Options(string scenario = "sustained") => new()
    {
        Scenario = scenario,
        TopologyPath = Stack.TopologyPath,
        RepoRoot = Stack.Dir.Path,
        OutDirectory = Stack.Dir.Sub("results"),
        AdminToken = Stack.AdminToken(),
        CreatorToken = Stack.UserToken(StackTokens.CreatorSubject),
    };

    /// <summary>Someone else's season: created, stocked with approved clips and activated by an admin, as a person testing would.</summary>
    public async Task<Guid> CreateVotingSeasonAsync(int clips, int slotDurationSeconds)
    {
        var season = await SendAsync(HttpMethod.Post, "/v1/admin/seasons", Admin,
            new { label = "Someone's season", genre = "Comedy", totalSlots = 3, slotDurationSeconds });
        var seasonId = season["id"]!.GetValue<Guid>();
        using var creator = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        creator.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Stack.UserToken("someone"));
        var clipIds = new List<Guid>();
        for (var i = 0; i < clips; i++)
        {
            var clip = await SendAsync(HttpMethod.Post, "/v1/clips", creator,
                new { seasonId, title = $"Clip {i}", genre = "Comedy", videoUrl = "/media/c.mp4", thumbnailUrl = "/media/c.jpg", durationSeconds = 8 });
            clipIds.Add(clip["id"]!.GetValue<Guid>());
        }

        await SendAsync(HttpMethod.Post, "/v1/admin/clips/bulk", Admin, new { action = "approve", clipIds });
        await SendAsync(HttpMethod.Post, $"/v1/admin/seasons/{seasonId}/activate", Admin, null);
        return seasonId;
    }

    public async Task<(System.Net.HttpStatusCode Status, JsonObject? Body)> GetAsync(string path)
    {
        using var response = await Admin.GetAsync(Core.BaseUrl + path);
        return (response.StatusCode, response.IsSuccessStatusCode ? await response.Content.ReadFromJsonAsync<JsonObject>() : null);
    }

    public async Task<int> SeasonCountAsync()
    {
        var seasons = await Admin.GetFromJsonAsync<JsonNode>(Core.BaseUrl + "/v1/seasons");
        return (seasons as JsonArray ?? seasons!.AsObject().Select(p => p.Value).OfType<JsonArray>().Single()).Count;
    }

    private async Task<JsonObject> SendAsync(HttpMethod method, string path, HttpClient client, object? body)
    {
        using var request = new HttpRequestMessage(method, Core.BaseUrl + path) { Content = body is null ? null : JsonContent.Create(body) };
        using var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{method} {path}: {(int)response.StatusCode} {text}");
        return JsonNode.Parse(text)!.AsObject();
    }

    public async Task DisposeAsync()
    {
        Admin.Dispose();
        Npgsql.NpgsqlConnection.ClearAllPools();
        if (Stack is not null)
        {
            await Stack.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class PerfStackCollection : ICollectionFixture<PerfStack>
{
    public const string Name = "perf stack";
}
