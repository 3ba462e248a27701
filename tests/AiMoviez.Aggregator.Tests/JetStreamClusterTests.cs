using System.Text.Json;
using AiMoviez.Contracts;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using Npgsql;
using static AiMoviez.Aggregator.Tests.AggregatorFixture;

namespace AiMoviez.Aggregator.Tests;

/// <summary>The aggregator on a region whose NATS is a three-node JetStream cluster with streams of 3 replicas.</summary>
public sealed class JetStreamClusterTests : IAsyncLifetime
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(10) };
    private TestStack _stack = null!;
    private NatsConnection _nats = null!;

    public async Task InitializeAsync()
    {
        _stack = await TestStack.StartAsync([UsEast], shardCount: 2, natsClusters: true);
        _nats = new NatsConnection(new NatsOpts { Url = _stack.NatsClusters[UsEast].Urls, ConnectTimeout = TimeSpan.FromSeconds(20) });
    }

    [Fact]
    public async Task Keeps_consuming_the_replicated_streams_when_the_vote_streams_leader_is_killed()
    {
        // A stream left with one replica, as a region moved from one server to a cluster has it, gets the topology's three.
        var js = new NatsJSContext(_nats);
        var oneReplica = new StreamConfig(StreamNames.Resets(UsEast), [Subjects.SlotResets(UsEast)]) { Storage = StreamConfigStorage.File, NumReplicas = 1 };
        await Eventually.UntilAsync(async () =>
        {
            try
            {
                await js.CreateStreamAsync(oneReplica);
            }
            catch (NatsJSApiException e) when (e.Error.ErrCode == 10058)
            {
                // An earlier attempt created it and only its answer was lost.
            }

            return true;
        }, Wait, "a one-replica reset stream");
        var aggregator = await _stack.StartAggregatorAsync(new Dictionary<string, string?>
        {
            ["Aggregator__MaxBatchSize"] = "200",
            ["Aggregator__MaxBatchAge"] = "00:00:00.020",
        });
        foreach (var stream in new[] { StreamNames.Votes(UsEast), StreamNames.Receipts(UsEast), StreamNames.DeadLetters(UsEast), StreamNames.Resets(UsEast) })
        {
            var info = await Eventually.UntilAsync(async () => (await js.GetStreamAsync(stream)).Info, i => i.Cluster?.Replicas?.Count == 2,
                Wait, $"stream {stream} with its replicas");
            Assert.Equal(3, info.Config.NumReplicas);
        }

        var (number, season, clip) = (SeasonOn("shard-1"), Guid.NewGuid(), Guid.NewGuid());
        var votes = Enumerable.Range(0, 2_000).Select(i => Vote(number, season, clip, "user_r3_" + i)).ToList();
        await PublishManyAsync(votes[..1_000]);
        await Eventually.UntilAsync(() => CountedAsync(season), n => n >= 100, Wait, "votes counted before the kill");

        var leader = (await js.GetStreamAsync(StreamNames.Votes(UsEast))).Info.Cluster!.Leader!;
        var node = int.Parse(leader[1..], System.Globalization.CultureInfo.InvariantCulture) - 1;
        _stack.NatsClusters[UsEast].Kill(node);

        await PublishManyAsync(votes[1_000..]);
        try
        {
            await Eventually.UntilAsync(() => _http.GetStringAsync($"{aggregator.BaseUrl}{BarrierRoutes.Barrier}?seasonId={season}&seasonNumber={number}"),
                json => JsonSerializer.Deserialize(json, ContractsJson.Default.BarrierStatus)!.Drained, Wait, "barrier after the leader's loss");
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{e.Message}\nAggregator log:\n{aggregator.Log}", e);
        }

        Assert.Equal(votes.Count, await CountedAsync(season));
        Assert.Equal(votes.Count, await ScalarAsync("select count(*) from votes where season_id = $1 and status = 'counted'", season));

        // Back on its store, the node catches up and the stream has three current replicas again.
        await _stack.NatsClusters[UsEast].StartAsync(node);
        await Eventually.UntilAsync(async () => (await js.GetStreamAsync(StreamNames.Votes(UsEast))).Info.Cluster!,
            c => c.Leader is not null && c.Replicas?.Count == 2 && c.Replicas.All(r => r.Current), Wait, "the restarted node current again");
    }

    /// <summary>Publishes like an edge that retries until the stream answers: the message id keeps a retry from storing twice.</summary>
    private async Task PublishManyAsync(IEnumerable<VoteCast> votes)
    {
        var js = new NatsJSContext(_nats);
        var map = new ShardMap(_stack.Topology);
        foreach (var chunk in votes.Chunk(100))
        {
            await Task.WhenAll(chunk.Select(vote => Eventually.UntilAsync(async () =>
            {
                var payload = JsonSerializer.SerializeToUtf8Bytes(vote, ContractsJson.Default.VoteCast);
                (await js.PublishAsync(Subjects.VoteCast(UsEast, map.LaneFor(vote.SeasonNumber)), payload,
                    opts: new NatsJSPubOpts { MsgId = vote.VoteId.ToString() })).EnsureSuccess();
                return true;
            }, Wait, "publish of " + vote.VoteId)));
        }
    }

    private Task<long> CountedAsync(Guid season) => ScalarAsync("select coalesce(sum(votes), 0) from tallies where season_id = $1", season);

    private async Task<long> ScalarAsync(string sql, Guid season)
    {
        await using var connection = new NpgsqlConnection(_stack.Shards["shard-1"].ConnectionString("votes"));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection) { Parameters = { new() { Value = season } } };
        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    public async Task DisposeAsync()
    {
        await _nats.DisposeAsync();
        _http.Dispose();
        await _stack.DisposeAsync();
    }
}
