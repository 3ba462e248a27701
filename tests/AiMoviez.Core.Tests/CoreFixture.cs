using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace AiMoviez.Core.Tests;

/// <summary>One real stack (PostgreSQL catalog + 2 shards, NATS for us-east), a fake aggregator and core as a real process, shared by the tests.</summary>
public sealed class CoreFixture : IAsyncLifetime
{
    public static readonly Dictionary<string, string?> FastLoops = new()
    {
        ["Slots__CheckInterval"] = "00:00:00.250",
        ["Slots__BarrierGrace"] = "00:00:00.500",
        ["Slots__AdvanceWait"] = "00:00:05",
        ["Leaderboards__RollupInterval"] = "00:00:00.300",
        ["Leaderboards__RollupBatchSize"] = "10",
        ["Erasure__RetryInterval"] = "00:00:00.25",
    };

    public TestStack Stack { get; private set; } = null!;

    public FakeAggregator Aggregator { get; private set; } = null!;

    public ServiceProcess Core { get; private set; } = null!;

    public HttpClient Anonymous { get; private set; } = null!;

    public HttpClient Admin { get; private set; } = null!;

    public HttpClient User { get; private set; } = null!;

    public string CatalogConnectionString => Stack.Catalog.ConnectionString("catalog");

    public async Task InitializeAsync()
    {
        Stack = await TestStack.StartAsync(regions: ["us-east"], shardCount: 2);
        foreach (var shard in Stack.Shards.Values)
        {
            await ShardSchema.CreateAsync(shard.ConnectionString("votes"));
        }

        Aggregator = await FakeAggregator.StartAsync(Stack.Topology.Aggregator.Url);
        Core = await Stack.StartCoreAsync(FastLoops);
        await Core.WaitReadyAsync(TimeSpan.FromSeconds(30));
        Anonymous = Client(null);
        Admin = Client(Stack.AdminToken());
        User = Client(Stack.UserToken("creator-1"));
    }

    public HttpClient Client(string? token, string? baseUrl = null)
    {
        var client = new HttpClient { BaseAddress = new Uri(baseUrl ?? Core.BaseUrl), Timeout = TimeSpan.FromSeconds(30) };
        if (token is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return client;
    }

    /// <summary>Another core process on a free port; retried on a fresh port if another process on the machine took it first.</summary>
    public async Task<(ServiceProcess Core, string Url)> StartExtraCoreAsync(string name, IReadOnlyDictionary<string, string?> environment)
    {
        for (var attempt = 1; ; attempt++)
        {
            var url = $"http://127.0.0.1:{FreePort.Next()}";
            try
            {
                return (await Stack.StartCoreAsync(environment, name: $"{name}-{attempt}", url: url), url);
            }
            catch (InvalidOperationException e) when (attempt < 3 && e.Message.Contains("address already in use", StringComparison.OrdinalIgnoreCase))
            {
            }
        }
    }

    /// <summary>The shard connection string of a season number (same round-robin as the topology).</summary>
    public string ShardOf(int seasonNumber) =>
        Stack.Shards[new Contracts.ShardMap(Stack.Topology).ShardFor(seasonNumber)!].ConnectionString("votes");

    public async Task<JsonObject> CreateSeasonAsync(int totalSlots = 3, int slotDurationSeconds = 3600, string genre = "Comedy")
    {
        using var response = await Admin.PostAsJsonAsync("/v1/admin/seasons",
            new { label = "Season " + Guid.NewGuid().ToString("N")[..6], genre, totalSlots, slotDurationSeconds });
        Assert.Equal(System.Net.HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!;
    }

    public async Task<JsonObject> CreateClipAsync(Guid seasonId, HttpClient? creator = null, string title = "A clip")
    {
        using var response = await (creator ?? User).PostAsJsonAsync("/v1/clips", new
        {
            seasonId, title, genre = "Comedy", videoUrl = "https://cdn.example.com/v.mp4", thumbnailUrl = "/thumbs/t.jpg", durationSeconds = 8.0,
        });
        Assert.Equal(System.Net.HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!;
    }

    public async Task<JsonObject> ApproveAsync(Guid clipId)
    {
        using var response = await Admin.PostAsync($"/v1/admin/clips/{clipId}/approve", null);
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!;
    }

    public async Task<JsonObject> ActivateAsync(Guid seasonId)
    {
        using var response = await Admin.PostAsync($"/v1/admin/seasons/{seasonId}/activate", null);
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!;
    }

    public async Task<JsonObject> GetSeasonAsync(Guid seasonId) =>
        (await Anonymous.GetFromJsonAsync<JsonObject>($"/v1/seasons/{seasonId}"))!;

    public async Task<long> AuditCountAsync() =>
        await ShardSchema.ScalarAsync<long>(CatalogConnectionString, "select count(*) from audit_logs");

    public async Task DisposeAsync()
    {
        Anonymous?.Dispose();
        Admin?.Dispose();
        User?.Dispose();
        if (Aggregator is not null)
        {
            await Aggregator.DisposeAsync();
        }

        if (Stack is not null)
        {
            await Stack.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class CoreCollection : ICollectionFixture<CoreFixture>
{
    public const string Name = "core";
}

public static class JsonNodeExtensions
{
    public static Guid Id(this JsonNode node) => node["id"]!.GetValue<Guid>();

    public static async Task<JsonObject> ProblemAsync(this HttpResponseMessage response)
    {
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return JsonSerializer.Deserialize<JsonObject>(await response.Content.ReadAsStringAsync())!;
    }

    public static async Task AssertProblemAsync(this HttpResponseMessage response, System.Net.HttpStatusCode status, string code)
    {
        Assert.Equal(status, response.StatusCode);
        var problem = await response.ProblemAsync();
        Assert.Equal(code, problem["code"]!.GetValue<string>());
        Assert.Equal((int)status, problem["status"]!.GetValue<int>());
        Assert.NotNull(problem["title"]);
    }

    /// <summary>A 400 <c>INVALID_REQUEST</c> with <paramref name="detail"/> and one field error, on <paramref name="field"/>, that starts with <paramref name="message"/>.</summary>
    public static async Task AssertFieldProblemAsync(this HttpResponseMessage response, string detail, string field, string message)
    {
        await response.AssertProblemAsync(System.Net.HttpStatusCode.BadRequest, "INVALID_REQUEST");
        var problem = await response.ProblemAsync();
        Assert.Equal(detail, problem["detail"]!.GetValue<string>());
        var error = Assert.Single(problem["errors"]!.AsObject());
        Assert.Equal(field, error.Key);
        Assert.StartsWith(message, Assert.Single(error.Value!.AsArray())!.GetValue<string>(), StringComparison.Ordinal);
    }
}
