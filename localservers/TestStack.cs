using System.Text.Json;
using AiMoviez.Contracts;

namespace AiMoviez.LocalServers;

/// <summary>
/// The whole system on free loopback ports in a temp dir: per region a nats-server and a redis-server (or, in the HA
/// layout, a three-node JetStream cluster and a three-primary Redis Cluster), a catalog PostgreSQL and vote-shard
/// PostgreSQL clusters, a topology file describing them, and on demand our own services.
/// </summary>
public sealed class TestStack : IAsyncDisposable
{
    public static readonly IReadOnlyList<string> DefaultRegions = ["us-east", "eu-west", "ap-south"];

    private readonly List<ServiceProcess> _services = [];

    private TestStack(TempDirectory dir)
    {
        Dir = dir;
    }

    public TempDirectory Dir { get; }

    public Topology Topology { get; private set; } = null!;

    public string TopologyPath => Dir.FilePath("topology.json");

    public string SigningKey { get; } = DevTokens.NewSigningKey();

    public Dictionary<string, NatsServer> Nats { get; } = [];

    /// <summary>Per region, its three-node JetStream cluster, in a stack started with <c>natsClusters: true</c> (then <see cref="Nats"/> is empty).</summary>
    public Dictionary<string, NatsCluster> NatsClusters { get; } = [];

    public Dictionary<string, RedisServer> Redis { get; } = [];

    /// <summary>Per region, its Redis Cluster of three primaries, in a stack started with <c>redisClusters: true</c> (then <see cref="Redis"/> is empty).</summary>
    public Dictionary<string, RedisCluster> RedisClusters { get; } = [];

    public PostgresServer Catalog { get; private set; } = null!;

    public Dictionary<string, PostgresServer> Shards { get; } = [];

    /// <summary>Starts the servers (not our services).</summary>
    /// <param name="natsClusters">Per region a three-node JetStream cluster with streams of 3 replicas, as in the HA layout.</param>
    /// <param name="redisClusters">Per region a Redis Cluster of three primaries, as in the HA layout.</param>
    /// <param name="aggregators">How many aggregator instances the topology lists (<c>aggregatorUrls</c> when more than one).</param>
    public static async Task<TestStack> StartAsync(IReadOnlyList<string>? regions = null, int shardCount = 2, bool natsClusters = false,
        bool redisClusters = false, int aggregators = 1)
    {
        var stack = new TestStack(new TempDirectory("stack"));
        try
        {
            await stack.StartServersAsync(regions ?? DefaultRegions, shardCount, natsClusters, redisClusters, aggregators);
            return stack;
        }
        catch
        {
            await stack.DisposeAsync();
            throw;
        }
    }

    private async Task StartServersAsync(IReadOnlyList<string> regions, int shardCount, bool natsClusters, bool redisClusters, int aggregators)
    {
        var regionTopologies = new List<RegionTopology>();
        foreach (var region in regions)
        {
            var natsUrls = natsClusters
                ? await KeepAsync(NatsCluster.StartAsync(Dir.Sub("nats-" + region)), NatsClusters, region, cluster => cluster.Urls)
                : await KeepAsync(NatsServer.StartAsync(Dir.Sub("nats-" + region)), Nats, region, nats => nats.Url);
            var redisEndpoints = redisClusters
                ? await KeepAsync(RedisCluster.StartAsync(Dir.Sub("redis-" + region)), RedisClusters, region, cluster => cluster.Endpoints)
                : await KeepAsync(RedisServer.StartAsync(Dir.Sub("redis-" + region)), Redis, region, redis => redis.Endpoint);

            regionTopologies.Add(new RegionTopology
            {
                Name = region,
                EdgeUrl = $"http://127.0.0.1:{FreePort.Next()}",
                Nats = natsUrls,
                Redis = redisEndpoints,
                StreamReplicas = natsClusters ? 3 : 1,
            });
        }

        var pgDir = Dir.Sub("pg");
        var catalog = PostgresServer.StartAsync(pgDir, "catalog");
        var shardNames = Enumerable.Range(1, shardCount).Select(i => $"shard-{i}").ToList();
        var shards = shardNames.Select(_ => PostgresServer.StartAsync(pgDir, "votes")).ToList();
        Catalog = await catalog;
        for (var i = 0; i < shardCount; i++)
        {
            Shards[shardNames[i]] = await shards[i];
        }

        var aggregatorUrls = Enumerable.Range(0, aggregators).Select(_ => $"http://127.0.0.1:{FreePort.Next()}").ToList();
        Topology = new Topology
        {
            Core = new ServiceEndpoint { Url = $"http://127.0.0.1:{FreePort.Next()}" },
            Aggregator = new ServiceEndpoint { Url = aggregatorUrls[0] },
            AggregatorUrls = aggregators > 1 ? aggregatorUrls : null,
            CatalogDatabase = Catalog.ConnectionString("catalog"),
            Regions = regionTopologies,
            Shards = shardNames.Select(n => new ShardTopology { Name = n, ConnectionString = Shards[n].ConnectionString("votes") }).ToList(),
            SeasonShards = [new SeasonShardRange { FromSeason = 1, ToSeason = 100_000, Shards = shardNames }],
        };
        await File.WriteAllTextAsync(TopologyPath, JsonSerializer.Serialize(Topology, ContractsJson.Default.Topology));
    }

    /// <summary>Waits for a region's server (or cluster), keeps it for its region, and answers the address the topology lists.</summary>
    private static async Task<string> KeepAsync<T>(Task<T> starting, Dictionary<string, T> started, string region, Func<T, string> address)
    {
        var server = await starting;
        started[region] = server;
        return address(server);
    }

    /// <summary>Environment every service gets: topology and dev JWT settings.</summary>
    public Dictionary<string, string?> ServiceEnvironment(IReadOnlyDictionary<string, string?>? extra = null)
    {
        var environment = new Dictionary<string, string?>
        {
            ["Topology__Path"] = TopologyPath,
            ["Auth__SigningKey"] = SigningKey,
            ["Auth__Issuer"] = DevTokens.Issuer,
            ["Auth__Audience"] = DevTokens.Audience,
            // Tests poll public reads from one address; the per-IP limit has tests of its own with a low setting.
            ["PublicReads__PermitsPerWindow"] = "1000000",
        };
        foreach (var (key, value) in extra ?? new Dictionary<string, string?>())
        {
            environment[key] = value;
        }

        return environment;
    }

    public async Task<ServiceProcess> StartCoreAsync(IReadOnlyDictionary<string, string?>? extra = null, string name = "core", string? url = null)
    {
        var env = ServiceEnvironment(extra);
        if (url is not null)
        {
            env["ASPNETCORE_URLS"] = url;
        }

        return await StartServiceAsync(name, "core", "AiMoviez.Core", url ?? Topology.Core.Url, env);
    }

    public Task<ServiceProcess> StartAggregatorAsync(IReadOnlyDictionary<string, string?>? extra = null) =>
        StartServiceAsync("aggregator", "aggregator", "AiMoviez.Aggregator", Topology.Aggregator.Url, ServiceEnvironment(extra));

    /// <summary>Another aggregator instance on the same shards and regions, at <paramref name="url"/>.</summary>
    public Task<ServiceProcess> StartAggregatorAsync(string name, string url, IReadOnlyDictionary<string, string?>? extra = null)
    {
        var env = ServiceEnvironment(extra);
        env["ASPNETCORE_URLS"] = url;
        return StartServiceAsync(name, "aggregator", "AiMoviez.Aggregator", url, env);
    }

    public Task<ServiceProcess> StartEdgeAsync(string region, IReadOnlyDictionary<string, string?>? extra = null)
    {
        var env = ServiceEnvironment(extra);
        env["Edge__Region"] = region;
        return StartServiceAsync("edge-" + region, "edge", "AiMoviez.Edge", Topology.Region(region).EdgeUrl, env);
    }

    /// <summary>Another edge of <paramref name="region"/> at <paramref name="url"/>, beside the one at the region's edge address.</summary>
    public Task<ServiceProcess> StartEdgeAsync(string region, string name, string url, IReadOnlyDictionary<string, string?>? extra = null)
    {
        var env = ServiceEnvironment(extra);
        env["Edge__Region"] = region;
        env["ASPNETCORE_URLS"] = url;
        return StartServiceAsync(name, "edge", "AiMoviez.Edge", url, env);
    }

    public string AdminToken() => DevTokens.Create(SigningKey, "admin-1", admin: true);

    public string UserToken(string userId) => DevTokens.Create(SigningKey, userId);

    private async Task<ServiceProcess> StartServiceAsync(string name, string folder, string assembly, string url, Dictionary<string, string?> env)
    {
        var service = new ServiceProcess(name, RepoPaths.ServiceProgram(folder, assembly), url, Dir.Path, env);
        _services.Add(service);
        await service.StartAsync();
        return service;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var service in _services)
        {
            await service.DisposeAsync();
        }

        foreach (var server in Nats.Values)
        {
            await server.DisposeAsync();
        }

        foreach (var cluster in NatsClusters.Values)
        {
            await cluster.DisposeAsync();
        }

        foreach (var server in Redis.Values)
        {
            await server.DisposeAsync();
        }

        foreach (var cluster in RedisClusters.Values)
        {
            await cluster.DisposeAsync();
        }

        if (Catalog is not null)
        {
            await Catalog.DisposeAsync();
        }

        foreach (var server in Shards.Values)
        {
            await server.DisposeAsync();
        }

        Dir.Dispose();
    }
}
