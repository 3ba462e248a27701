using System.Net;
using System.Text.Json;
using AiMoviez.Contracts;
using NATS.Client.Core;
using NATS.Client.JetStream;

namespace AiMoviez.Edge.Tests;

/// <summary>
/// An edge whose region NATS is a three-node JetStream cluster (streams of 3 replicas), as in the HA layout: a 202
/// means a quorum of the cluster stored the vote, so losing any one node loses no accepted vote.
/// </summary>
public sealed class JetStreamClusterTests : IAsyncLifetime
{
    private const string Region = EdgeStack.Region;
    private readonly TempDirectory _dir = new("edge-cluster");
    private readonly string _signingKey = DevTokens.NewSigningKey();
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(10) };
    private NatsCluster _cluster = null!;
    private RedisServer _redis = null!;
    private NatsConnection _bus = null!;
    private FakeCore _core = null!;
    private ServiceProcess _edge = null!;
    private readonly SeasonSnapshot _season = EdgeStack.NewSeason(1, SlotStatuses.Voting, TimeSpan.FromHours(1), 12, activatedHoursAgo: 1);

    public async Task InitializeAsync()
    {
        _cluster = await NatsCluster.StartAsync(_dir.Sub("nats"));
        _redis = await RedisServer.StartAsync(_dir.Sub("redis"));
        var topology = new Topology
        {
            Core = new ServiceEndpoint { Url = $"http://127.0.0.1:{FreePort.Next()}" },
            Aggregator = new ServiceEndpoint { Url = $"http://127.0.0.1:{FreePort.Next()}" },
            CatalogDatabase = "Host=127.0.0.1;Port=1;Username=none;Database=none",
            Regions = [new RegionTopology
            {
                Name = Region, EdgeUrl = $"http://127.0.0.1:{FreePort.Next()}", Nats = _cluster.Urls, Redis = _redis.Endpoint, StreamReplicas = 3,
            }],
            Shards = [new ShardTopology { Name = "shard-1", ConnectionString = "Host=127.0.0.1;Port=1;Username=none;Database=none" }],
            SeasonShards = [new SeasonShardRange { FromSeason = 1, ToSeason = 1000, Shards = ["shard-1"] }],
        };
        var topologyPath = _dir.FilePath("topology.json");
        await File.WriteAllTextAsync(topologyPath, JsonSerializer.Serialize(topology, ContractsJson.Default.Topology));
        _bus = new NatsConnection(new NatsOpts { Url = _cluster.Urls, SerializerRegistry = new NatsJsonContextSerializerRegistry(ContractsJson.Default) });
        await _bus.ConnectAsync();
        _core = await FakeCore.StartAsync(topology.Core.Url, _bus, new CatalogSnapshot
        {
            Version = 1,
            GeneratedAt = DateTimeOffset.UtcNow,
            Flags = new FeatureFlagSet(),
            Seasons = [_season],
            BannedUserIds = [],
            BannedVoterKeys = [],
        });
        _edge = new ServiceProcess("edge-" + Region, RepoPaths.ServiceProgram("edge", "AiMoviez.Edge"), topology.Regions[0].EdgeUrl, _dir.Path,
            new Dictionary<string, string?>
            {
                ["Topology__Path"] = topologyPath,
                ["Auth__SigningKey"] = _signingKey,
                ["Edge__Region"] = Region,
                ["Edge__VotesPerIpPerWindow"] = "1000000",
                ["Edge__FlagVoterKeysPerIpHour"] = "1000000",
                ["Edge__PublishTimeout"] = "00:00:01.500",
                ["Logging__LogLevel__Default"] = "Warning",
            });
        await _edge.StartAsync();
        await _edge.WaitReadyAsync(TimeSpan.FromSeconds(60));
    }

    [Fact]
    public async Task Every_vote_accepted_while_the_vote_streams_leader_is_killed_is_stored()
    {
        var js = new NatsJSContext(_bus);
        var stream = StreamNames.Votes(Region);
        foreach (var name in new[] { stream, StreamNames.Receipts(Region), StreamNames.Resets(Region) })
        {
            Assert.Equal(3, (await js.GetStreamAsync(name)).Info.Config.NumReplicas);
        }

        var accepted = new List<Guid>();
        var refused = 0;
        int? acceptedAtKill = null;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        for (var i = 0; accepted.Count < (acceptedAtKill ?? 20) + 40; i++)
        {
            Assert.True(DateTime.UtcNow < deadline, $"voting did not go on: {accepted.Count} accepted, {refused} refused\n{_edge.Log}");
            if (acceptedAtKill is null && accepted.Count >= 20)
            {
                var leader = (await js.GetStreamAsync(stream)).Info.Cluster!.Leader!;
                _cluster.Kill(int.Parse(leader[1..], System.Globalization.CultureInfo.InvariantCulture) - 1);
                acceptedAtKill = accepted.Count;
            }

            using var response = await VoteAsync("user-r3-" + i, _season.Clips[i % _season.Clips.Count].Id);
            if (response.StatusCode == HttpStatusCode.ServiceUnavailable)
            {
                // The failover may refuse a vote (and undo its reservation); it never accepts one it did not store.
                await response.AssertProblemAsync(HttpStatusCode.ServiceUnavailable, ErrorCodes.DependencyUnavailable);
                refused++;
                continue;
            }

            accepted.Add((await response.AssertAcceptedAsync()).GetProperty("voteId").GetGuid());
        }

        // Without the bus's JSON serializer registry, which does not hand out raw payloads.
        await using var plain = new NatsConnection(new NatsOpts { Url = _cluster.Urls });
        var stored = await StoredVoteIdsAsync(new NatsJSContext(plain), stream);
        var lost = accepted.Where(id => !stored.Contains(id)).ToList();
        Assert.True(lost.Count == 0, $"{lost.Count} of {accepted.Count} accepted votes are not in the stream ({refused} refused)");
    }

    private Task<HttpResponseMessage> VoteAsync(string user, Guid clipId)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, _edge.BaseUrl + "/v1/votes")
        {
            Content = new StringContent(JsonSerializer.Serialize(new { clipId }), System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + DevTokens.Create(_signingKey, user));
        request.Headers.TryAddWithoutValidation("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) Test/cluster");
        request.Headers.TryAddWithoutValidation("Accept-Language", "en-US,en;q=0.9");
        request.Headers.TryAddWithoutValidation("Sec-CH-UA", "\"Chromium\";v=\"130\"");
        request.Headers.TryAddWithoutValidation("Sec-Fetch-Mode", "cors");
        return _http.SendAsync(request);
    }

    /// <summary>Every vote id the stream holds, alone or in a group, read back from the surviving nodes.</summary>
    private static async Task<HashSet<Guid>> StoredVoteIdsAsync(NatsJSContext js, string stream)
    {
        var ids = new HashSet<Guid>();
        var consumer = await js.CreateOrderedConsumerAsync(stream);
        await foreach (var message in consumer.FetchNoWaitAsync<byte[]>(new NatsJSFetchOpts { MaxMsgs = 10_000 }))
        {
            if (Subjects.VoteKindOf(message.Subject) == VoteSubjectKind.Casts)
            {
                ids.UnionWith(JsonSerializer.Deserialize(message.Data, ContractsJson.Default.VoteCasts)!.Votes.Select(v => v.VoteId));
            }
            else if (Subjects.VoteKindOf(message.Subject) == VoteSubjectKind.Cast)
            {
                ids.Add(JsonSerializer.Deserialize(message.Data, ContractsJson.Default.VoteCast)!.VoteId);
            }
        }

        return ids;
    }

    public async Task DisposeAsync()
    {
        await _edge.DisposeAsync();
        await _core.DisposeAsync();
        await _bus.DisposeAsync();
        await _redis.DisposeAsync();
        await _cluster.DisposeAsync();
        _http.Dispose();
        _dir.Dispose();
    }
}
