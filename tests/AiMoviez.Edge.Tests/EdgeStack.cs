using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using AiMoviez.Contracts;
using NATS.Client.Core;
using NATS.Client.JetStream;

namespace AiMoviez.Edge.Tests;

[CollectionDefinition(Name)]
public sealed class EdgeCollection : ICollectionFixture<EdgeStack>
{
    public const string Name = "edge";
}

/// <summary>
/// A real nats-server and redis-server, <see cref="FakeCore"/> serving the catalog, and the built edge as a process.
/// Listens to the region's subjects the way the aggregator would, so tests see what the edge published.
/// Limits are lowered so each rule is quick to reach.
/// </summary>
public class EdgeStack : IAsyncLifetime
{
    public const string Region = "us-east";
    public const string TrustedProxy = "127.0.0.2";
    public const int VoterLimit = 5;
    public const int IpLimit = 8;
    public const int VoterKeysPerIpFlag = 3;
    public const int DailyLimit = 20;
    private static int _nextIp;
    private CancellationTokenSource _listening = new();

    public TempDirectory Dir { get; } = new("edge");
    public string SigningKey { get; } = DevTokens.NewSigningKey();
    public NatsServer Nats { get; private set; } = null!;
    /// <summary>The region's single Redis (null in <see cref="ClusterEdgeStack"/>).</summary>
    public RedisServer Redis { get; private set; } = null!;
    public NatsConnection Bus { get; private set; } = null!;
    public NatsJSContext JetStream { get; private set; } = null!;
    public FakeCore Core { get; private set; } = null!;
    public ServiceProcess Edge { get; private set; } = null!;
    public HttpClient Direct { get; } = new() { Timeout = TimeSpan.FromSeconds(10) };
    public HttpClient Proxied { get; } = new(LoopbackSource.Handler(TrustedProxy)) { Timeout = TimeSpan.FromSeconds(10) };

    public ConcurrentDictionary<Guid, VoteCast> Casts { get; } = new();

    /// <summary>Every vote id published, once per time it was (alone or in a group).</summary>
    public ConcurrentQueue<Guid> Published { get; } = new();

    /// <summary>The groups of votes published together.</summary>
    public ConcurrentQueue<VoteCasts> Groups { get; } = new();
    public ConcurrentDictionary<Guid, VoteRevoked> Revokes { get; } = new();
    public ConcurrentQueue<ClipViewsReported> Views { get; } = new();

    /// <summary>Voting, slot 3, twelve clips; and one clip that is not votable, as a pending one is.</summary>
    public SeasonSnapshot Season { get; } = NewSeason(1, SlotStatuses.Voting, TimeSpan.FromHours(1), 12, activatedHoursAgo: 1)
        with { NotVotableClipIds = [Guid.NewGuid()] };

    /// <summary>Also voting, activated earlier, for limits that span seasons.</summary>
    public SeasonSnapshot OtherSeason { get; } = NewSeason(2, SlotStatuses.Voting, TimeSpan.FromHours(1), 2, activatedHoursAgo: 5);

    /// <summary>Its slot's votingEndsAt has passed.</summary>
    public SeasonSnapshot ClosedSeason { get; } = NewSeason(3, SlotStatuses.Voting, TimeSpan.FromMinutes(-1), 1, activatedHoursAgo: 6);

    /// <summary>Its slot waits for clips: the listed clip is not votable.</summary>
    public SeasonSnapshot WaitingSeason { get; } = NewSeason(4, SlotStatuses.WaitingForClips, null, 1, activatedHoursAgo: 7);

    public string BaseUrl => Edge.BaseUrl;

    /// <summary>What the edge process is started with; a test may start another edge with one setting changed.</summary>
    public IReadOnlyDictionary<string, string?> EdgeEnvironment { get; private set; } = new Dictionary<string, string?>();

    public async Task InitializeAsync()
    {
        Nats = await NatsServer.StartAsync(Dir.Sub("nats"));
        var redisEndpoints = await StartRedisAsync();
        var topology = new Topology
        {
            Core = new ServiceEndpoint { Url = $"http://127.0.0.1:{FreePort.Next()}" },
            Aggregator = new ServiceEndpoint { Url = $"http://127.0.0.1:{FreePort.Next()}" },
            CatalogDatabase = "Host=127.0.0.1;Port=1;Username=none;Database=none",
            Regions = [new RegionTopology { Name = Region, EdgeUrl = $"http://127.0.0.1:{FreePort.Next()}", Nats = Nats.Url, Redis = redisEndpoints }],
            Shards = [new ShardTopology { Name = "shard-1", ConnectionString = "Host=127.0.0.1;Port=1;Username=none;Database=none" }],
            SeasonShards = [new SeasonShardRange { FromSeason = 1, ToSeason = 1000, Shards = ["shard-1"] }],
        };
        var topologyPath = Dir.FilePath("topology.json");
        await File.WriteAllTextAsync(topologyPath, JsonSerializer.Serialize(topology, ContractsJson.Default.Topology));

        Bus = new NatsConnection(new NatsOpts { Url = Nats.Url, SerializerRegistry = new NatsJsonContextSerializerRegistry(ContractsJson.Default) });
        await Bus.ConnectAsync();
        JetStream = new NatsJSContext(Bus);
        Core = await FakeCore.StartAsync(topology.Core.Url, Bus, new CatalogSnapshot
        {
            Version = 1,
            GeneratedAt = DateTimeOffset.UtcNow,
            Flags = new FeatureFlagSet(),
            Seasons = [Season, OtherSeason, ClosedSeason, WaitingSeason],
            BannedUserIds = [],
            BannedVoterKeys = [],
        });
        await ListenAsync();

        EdgeEnvironment = new Dictionary<string, string?>
        {
            ["Topology__Path"] = topologyPath,
            ["Auth__SigningKey"] = SigningKey,
            ["Edge__Region"] = Region,
            ["Proxies__Trusted__0"] = TrustedProxy,
            ["Edge__VotesPerVoterPerWindow"] = VoterLimit.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Edge__VotesPerIpPerWindow"] = IpLimit.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Edge__FlagVoterKeysPerIpHour"] = VoterKeysPerIpFlag.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Edge__DailyWeightLimit"] = DailyLimit.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Edge__PublishTimeout"] = "00:00:01.500",
            // Long enough that lookups a test holds in core are still waiting when it looks.
            ["Edge__ClipLookupTimeout"] = "00:00:05",
            ["Logging__LogLevel__Default"] = "Warning",
            // Tests poll public reads from one address; PublicReadTests start an edge with a low limit.
            ["PublicReads__PermitsPerWindow"] = "1000000",
            ["Captcha__VerifyUrl"] = topology.Core.Url + FakeCore.SiteVerifyPath,
            ["Captcha__Secret"] = FakeCore.CaptchaSecret,
        };
        Edge = new ServiceProcess("edge-" + Region, RepoPaths.ServiceProgram("edge", "AiMoviez.Edge"), topology.Regions[0].EdgeUrl, Dir.Path, EdgeEnvironment);
        await Edge.StartAsync();
        await Edge.WaitReadyAsync(TimeSpan.FromSeconds(30));
    }

    /// <summary>Starts the region's Redis and returns the topology's <c>redis</c> value for it.</summary>
    protected virtual async Task<string> StartRedisAsync()
    {
        Redis = await RedisServer.StartAsync(Dir.Sub("redis"));
        return Redis.Endpoint;
    }

    protected virtual ValueTask DisposeRedisAsync() => Redis.DisposeAsync();

    /// <summary>Restarts NATS on the same port after a test killed it (and the edge, when it killed that too), and listens again.</summary>
    public async Task RestartNatsAsync(bool edgeKilledToo = false)
    {
        await Nats.StartAsync();
        if (edgeKilledToo)
        {
            await Edge.StartAsync();
        }

        await Eventually.UntilAsync(() => Task.FromResult(Bus.ConnectionState == NatsConnectionState.Open),
            TimeSpan.FromSeconds(20), "the test's NATS connection to come back");
        await Edge.WaitReadyAsync(TimeSpan.FromSeconds(30));
    }

    /// <summary>A browser-like voter with its own IP behind the trusted proxy.</summary>
    public static Browser NewBrowser(string? token = null, bool headless = false)
    {
        var n = Interlocked.Increment(ref _nextIp);
        return new Browser($"10.{n / 65536 % 256}.{n / 256 % 256}.{n % 256}",
            "Mozilla/5.0 (X11; Linux x86_64) Test/" + Guid.NewGuid().ToString("N")[..8], token, headless);
    }

    public HttpRequestMessage Request(HttpMethod method, string path, Browser browser, object? body = null)
    {
        var request = new HttpRequestMessage(method, BaseUrl + path);
        request.Headers.TryAddWithoutValidation("X-Forwarded-For", "198.51.100.1, " + browser.Ip);
        request.Headers.TryAddWithoutValidation("User-Agent", browser.UserAgent);
        if (!browser.Headless)
        {
            request.Headers.TryAddWithoutValidation("Accept-Language", "en-US,en;q=0.9");
            request.Headers.TryAddWithoutValidation("Sec-CH-UA", "\"Chromium\";v=\"130\"");
            request.Headers.TryAddWithoutValidation("Sec-Fetch-Mode", "cors");
        }

        if (browser.Token is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + browser.Token);
        }

        if (body is not null)
        {
            request.Content = body as HttpContent ?? new StringContent(
                body as string ?? JsonSerializer.Serialize(body), System.Text.Encoding.UTF8, "application/json");
        }

        return request;
    }

    public Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, Browser browser, object? body = null) =>
        Proxied.SendAsync(Request(method, path, browser, body));

    public Task<HttpResponseMessage> VoteAsync(
        Browser browser, Guid clipId, string? voteType = null, string? idempotencyKey = null, string? captchaToken = null)
    {
        var request = Request(HttpMethod.Post, "/v1/votes", browser,
            voteType is null ? new { clipId } : new { clipId, voteType });
        if (idempotencyKey is not null)
        {
            request.Headers.Add("Idempotency-Key", idempotencyKey);
        }

        if (captchaToken is not null)
        {
            request.Headers.Add("X-Captcha-Token", captchaToken);
        }

        return Proxied.SendAsync(request);
    }

    public static SeasonSnapshot NewSeason(int number, string slotStatus, TimeSpan? endsIn, int clips, int activatedHoursAgo)
    {
        var id = Guid.NewGuid();
        return new SeasonSnapshot
        {
            Id = id,
            Number = number,
            Label = "Season " + number,
            Genre = "Comedy",
            TotalSlots = 75,
            ActivatedAt = DateTimeOffset.UtcNow.AddHours(-activatedHoursAgo),
            CurrentSlot = new SlotSnapshot { Position = 3, Status = slotStatus, VotingEndsAt = endsIn is null ? null : DateTimeOffset.UtcNow + endsIn },
            Clips = [.. Enumerable.Range(1, clips).Select(i => new ClipSnapshot
            {
                Id = Guid.NewGuid(),
                CreatorId = Guid.NewGuid(),
                Title = $"Clip {number}.{i}",
                Genre = "Comedy",
                VideoUrl = $"/videos/{number}-{i}.mp4",
                CreatedAt = DateTimeOffset.UtcNow.AddDays(-1),
                ApprovedAt = DateTimeOffset.UtcNow.AddDays(-1),
            })],
        };
    }

    private async Task ListenAsync()
    {
        _listening = new CancellationTokenSource();
        var token = _listening.Token;
        _ = Task.Run(async () =>
        {
            await foreach (var m in Bus.SubscribeAsync<VoteCast>(Subjects.VoteCast(Region, "*"), cancellationToken: token))
            {
                Casts[m.Data!.VoteId] = m.Data;
                Published.Enqueue(m.Data.VoteId);
            }
        }, token);
        _ = Task.Run(async () =>
        {
            await foreach (var m in Bus.SubscribeAsync<VoteCasts>(Subjects.VoteCasts(Region, "*"), cancellationToken: token))
            {
                Groups.Enqueue(m.Data!);
                foreach (var vote in m.Data!.Votes)
                {
                    Casts[vote.VoteId] = vote;
                    Published.Enqueue(vote.VoteId);
                }
            }
        }, token);
        _ = Task.Run(async () =>
        {
            await foreach (var m in Bus.SubscribeAsync<VoteRevoked>(Subjects.VoteRevoked(Region, "*"), cancellationToken: token))
            {
                Revokes[m.Data!.VoteId] = m.Data;
            }
        }, token);
        _ = Task.Run(async () =>
        {
            await foreach (var m in Bus.SubscribeAsync<ClipViewsReported>(Subjects.ClipViews(Region, "*"), cancellationToken: token))
            {
                Views.Enqueue(m.Data!);
            }
        }, token);
        await Bus.PingAsync();
    }

    public async Task DisposeAsync()
    {
        await _listening.CancelAsync();
        _listening.Dispose();
        await Edge.DisposeAsync();
        await Core.DisposeAsync();
        await Bus.DisposeAsync();
        await Nats.DisposeAsync();
        await DisposeRedisAsync();

        Direct.Dispose();
        Proxied.Dispose();
        Dir.Dispose();
    }
}

public sealed record Browser(string Ip, string UserAgent, string? Token, bool Headless);
