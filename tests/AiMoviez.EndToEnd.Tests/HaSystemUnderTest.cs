using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using AiMoviez.Contracts;
using NATS.Client.Core;
using NATS.Client.JetStream;
using Npgsql;

namespace AiMoviez.EndToEnd.Tests;

/// <summary>
/// The production layout of CONTRACT.md section 9 as real processes, in ONE region: a three-node JetStream cluster
/// (streams of 3 replicas), a Redis Cluster of three primaries, two edges, two aggregators sharing both shards, core,
/// the catalog and two vote shards. One region rather than three because a fault of a region's NATS, Redis or edge
/// stays in that region (each region's clusters and edges stand alone; the aggregators and shards serve all of them),
/// and three regions would be nine nats-servers, nine redis-servers and six edges beside the load on a two-core runner.
/// Edges trust 127.0.0.1 as a proxy, so one test process plays many voters with X-Forwarded-For.
/// </summary>
public sealed class HaSystemUnderTest : IAsyncLifetime
{
    public const string Region = "us-east";

    private static readonly TimeSpan Start = TimeSpan.FromSeconds(60);

    public TestStack Stack { get; private set; } = null!;

    public ServiceProcess Core { get; private set; } = null!;

    /// <summary><c>edge-us-east-1</c> at the region's edge address and <c>edge-us-east-2</c> beside it.</summary>
    public IReadOnlyList<ServiceProcess> Edges { get; private set; } = [];

    /// <summary><c>aggregator-1</c> and <c>aggregator-2</c>, at the topology's <c>aggregatorUrls</c>.</summary>
    public IReadOnlyList<ServiceProcess> Aggregators { get; private set; } = [];

    public NatsCluster Nats => Stack.NatsClusters[Region];

    public RedisCluster Redis => Stack.RedisClusters[Region];

    public HttpClient Http { get; } = new() { Timeout = TimeSpan.FromSeconds(10) };

    public async Task InitializeAsync()
    {
        Stack = await TestStack.StartAsync([Region], shardCount: 2, natsClusters: true, redisClusters: true, aggregators: 2);
        Core = await Stack.StartCoreAsync();
        var urls = Stack.Topology.AggregatorUrls!;
        Aggregators = [await Stack.StartAggregatorAsync("aggregator-1", urls[0]), await Stack.StartAggregatorAsync("aggregator-2", urls[1])];
        var edgeEnvironment = new Dictionary<string, string?> { ["Proxies__Trusted__0"] = "127.0.0.1" };
        Edges =
        [
            await Stack.StartEdgeAsync(Region, $"edge-{Region}-1", Stack.Topology.Region(Region).EdgeUrl, edgeEnvironment),
            await Stack.StartEdgeAsync(Region, $"edge-{Region}-2", $"http://127.0.0.1:{FreePort.Next()}", edgeEnvironment),
        ];
        foreach (var edge in Edges)
        {
            await edge.WaitReadyAsync(Start);
        }

        foreach (var shard in Stack.Shards.Keys)
        {
            await Eventually.UntilAsync(() => HolderAsync(shard), h => h is not null, Start, "a holder of " + shard);
        }

        // A fresh edge's first votes run its cold paths, and a few of a first burst have been answered 503: both edges
        // vote a while first, so a test's 503s come from its fault.
        var warmUp = await CreateVotingSeasonAsync(clipCount: 2);
        await HaVoteLoad.Start(this, warmUp.ClipIds, firstVoter: 1, count: 200, perSecond: 100).Running;
    }

    /// <summary>The aggregator that says it holds <paramref name="shard"/>'s lease, or null while none does.</summary>
    public async Task<ServiceProcess?> HolderAsync(string shard)
    {
        foreach (var aggregator in Aggregators)
        {
            try
            {
                using var leases = JsonDocument.Parse(await Http.GetStringAsync(aggregator.BaseUrl + "/internal/leases"));
                if (leases.RootElement.EnumerateArray().Any(e => e.GetProperty("shard").GetString() == shard && e.GetProperty("held").GetBoolean()))
                {
                    return aggregator;
                }
            }
            catch (HttpRequestException)
            {
                // A dead instance holds nothing.
            }
        }

        return null;
    }

    /// <summary>The name of the node leading the region's vote stream (n1..n3).</summary>
    public async Task<string> VoteStreamLeaderAsync()
    {
        await using var connection = new NatsConnection(new NatsOpts { Url = Nats.Urls, ConnectTimeout = TimeSpan.FromSeconds(10) });
        var stream = await new NatsJSContext(connection).GetStreamAsync(StreamNames.Votes(Region));
        return stream.Info.Cluster?.Leader ?? throw new InvalidOperationException("the vote stream has no leader");
    }

    /// <summary>Creates and activates a season with approved clips voting in slot 1; returns its id, shard and clips.</summary>
    public async Task<HaSeason> CreateVotingSeasonAsync(int clipCount)
    {
        var (seasonId, number, clipIds) = await Seasons.CreateVotingAsync(Http, Stack, Core.BaseUrl, clipCount, slotDurationSeconds: 86_400);
        var shard = new ShardMap(Stack.Topology).ShardFor(number)!;
        foreach (var edge in Edges)
        {
            await Eventually.UntilAsync(async () => (await TalliesAsync(edge.BaseUrl, seasonId)).Count == clipCount,
                TimeSpan.FromSeconds(15), $"{edge.Name} to know season {seasonId}");
        }

        return new HaSeason(seasonId, number, shard, clipIds);
    }

    /// <summary>An edge's published votes per clip of the season's voting slot.</summary>
    public async Task<Dictionary<Guid, long>> TalliesAsync(string edgeUrl, Guid seasonId)
    {
        var tallies = await Http.GetFromJsonAsync<JsonObject>($"{edgeUrl}/v1/tallies?seasonId={seasonId}");
        return tallies!["clips"]!.AsArray().ToDictionary(c => Guid.Parse((string)c!["clipId"]!), c => (long)c!["votes"]!);
    }

    /// <summary>The season's vote rows in its shard: the counted truth.</summary>
    public async Task<List<ShardVote>> ShardVotesAsync(string shard, Guid seasonId)
    {
        await using var connection = new NpgsqlConnection(Stack.Shards[shard].ConnectionString("votes"));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "select vote_id, voter_key, clip_id, status, reason from votes where season_id = $1", connection)
        {
            Parameters = { new() { Value = seasonId } },
        };
        await using var reader = await command.ExecuteReaderAsync();
        var votes = new List<ShardVote>();
        while (await reader.ReadAsync())
        {
            votes.Add(new ShardVote(reader.GetGuid(0), reader.GetString(1), reader.GetGuid(2), reader.GetString(3),
                reader.IsDBNull(4) ? null : reader.GetString(4)));
        }

        return votes;
    }

    /// <summary>The season's tally rows in its shard (votes per clip, slot 1).</summary>
    public async Task<Dictionary<Guid, long>> ShardTalliesAsync(string shard, Guid seasonId)
    {
        await using var connection = new NpgsqlConnection(Stack.Shards[shard].ConnectionString("votes"));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("select clip_id, votes from tallies where season_id = $1", connection)
        {
            Parameters = { new() { Value = seasonId } },
        };
        await using var reader = await command.ExecuteReaderAsync();
        var tallies = new Dictionary<Guid, long>();
        while (await reader.ReadAsync())
        {
            tallies[reader.GetGuid(0)] = reader.GetInt64(1);
        }

        return tallies;
    }

    public async Task DisposeAsync()
    {
        Http.Dispose();
        await Stack.DisposeAsync();
    }
}

/// <summary>A voting season of the HA tests: its id and number, the shard holding it, its clips voting in slot 1.</summary>
public sealed record HaSeason(Guid Id, int Number, string Shard, IReadOnlyList<Guid> ClipIds);

/// <summary>A row of a shard's <c>votes</c>.</summary>
public sealed record ShardVote(Guid VoteId, string VoterKey, Guid ClipId, string Status, string? Reason);
