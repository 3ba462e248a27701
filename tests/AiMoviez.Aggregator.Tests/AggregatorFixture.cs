using System.Text.Json;
using AiMoviez.Aggregator.Ingest;
using AiMoviez.Contracts;
using NATS.Client.Core;
using NATS.Client.JetStream;
using Npgsql;

namespace AiMoviez.Aggregator.Tests;

/// <summary>
/// Two regions, two shards and one aggregator process, shared by the integration tests (each test uses its own
/// seasons). Tests play the edges: they publish VoteCast/VoteRevoked into the regions' vote streams themselves.
/// </summary>
public sealed class AggregatorFixture : IAsyncLifetime
{
    public const string UsEast = "us-east";
    public const string EuWest = "eu-west";
    private static int _nextSeasonNumber = 100;
    private readonly Dictionary<string, NatsConnection> _nats = [];

    public TestStack Stack { get; private set; } = null!;

    public ServiceProcess Aggregator { get; private set; } = null!;

    public HttpClient Http { get; } = new() { Timeout = TimeSpan.FromSeconds(10) };

    public async Task InitializeAsync()
    {
        Stack = await TestStack.StartAsync([UsEast, EuWest], shardCount: 2);
        foreach (var region in Stack.Topology.Regions)
        {
            _nats[region.Name] = new NatsConnection(new NatsOpts { Url = region.Nats, ConnectTimeout = TimeSpan.FromSeconds(20) });
        }

        await StartAggregatorAsync();
        Http.BaseAddress = new Uri(Stack.Topology.Aggregator.Url);
    }

    public const int MaxAckPending = 100;

    public async Task StartAggregatorAsync()
    {
        Aggregator = await Stack.StartAggregatorAsync(new Dictionary<string, string?>
        {
            ["Aggregator__MaxBatchSize"] = "200",
            ["Aggregator__MaxBatchAge"] = "00:00:00.020",
            ["Aggregator__ShardRetryMax"] = "00:00:00.400",
            ["Aggregator__RepublishInterval"] = "00:00:01",
            // Small, so a test can hold more messages of a down shard than one lane may have unacked.
            ["Aggregator__MaxAckPending"] = MaxAckPending.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
        foreach (var region in Stack.Topology.Regions)
        {
            await Eventually.UntilAsync(async () =>
            {
                await JetStream(region.Name).GetStreamAsync(StreamNames.Votes(region.Name));
                await JetStream(region.Name).GetStreamAsync(StreamNames.Receipts(region.Name));
                return true;
            }, TimeSpan.FromSeconds(30), "streams of " + region.Name);
        }
    }

    public NatsConnection Nats(string region) => _nats[region];

    public NatsJSContext JetStream(string region) => new(_nats[region]);

    /// <summary>A season number of its own for a test, on the wanted shard (odd numbers on shard-1, even on shard-2).</summary>
    public static int SeasonOn(string shard)
    {
        var number = Interlocked.Add(ref _nextSeasonNumber, 2);
        return shard == "shard-1" ? number + 1 : number;
    }

    public static VoteCast Vote(int seasonNumber, Guid seasonId, Guid clipId, string voter, string region = UsEast,
        string voteType = VoteTypes.Standard, int slot = 1, DateTimeOffset? acceptedAt = null, bool multiVote = false) => new()
    {
        VoteId = Guid.NewGuid(),
        SeasonId = seasonId,
        SeasonNumber = seasonNumber,
        SlotPosition = slot,
        ClipId = clipId,
        CreatorId = Creator(clipId),
        VoterKey = voter,
        VoteType = voteType,
        Weight = VoteTypes.Weight(voteType),
        Region = region,
        AcceptedAt = acceptedAt ?? DateTimeOffset.UtcNow,
        VotingEndsAt = DateTimeOffset.UtcNow.AddHours(1),
        MultiVote = multiVote,
    };

    /// <summary>Every test clip has a creator derived from it, so creator sums can be checked.</summary>
    public static Guid Creator(Guid clipId) => new(clipId.ToByteArray().Reverse().ToArray());

    public Task PublishAsync(VoteCast vote, string? msgId = null) =>
        PublishRawAsync(vote.Region, Subjects.VoteCast(vote.Region, LaneOf(vote.SeasonNumber)), JsonSerializer.SerializeToUtf8Bytes(vote, ContractsJson.Default.VoteCast),
            msgId ?? vote.VoteId.ToString());

    /// <summary>Votes of one region and lane as one message, as an edge sends those accepted while its last publish was in flight.</summary>
    public Task PublishGroupAsync(IReadOnlyList<VoteCast> votes) =>
        PublishRawAsync(votes[0].Region, Subjects.VoteCasts(votes[0].Region, LaneOf(votes[0].SeasonNumber)),
            JsonSerializer.SerializeToUtf8Bytes(new VoteCasts { Votes = votes }, ContractsJson.Default.VoteCasts), "casts-" + votes[0].VoteId);

    /// <summary>The region's dead letters whose reason starts with <paramref name="reason"/>.</summary>
    public async Task<List<INatsJSMsg<byte[]>>> DeadLettersAsync(string region, string reason)
    {
        var consumer = await JetStream(region).CreateOrderedConsumerAsync(StreamNames.DeadLetters(region));
        var found = new List<INatsJSMsg<byte[]>>();
        await foreach (var message in consumer.FetchNoWaitAsync<byte[]>(new NatsJSFetchOpts { MaxMsgs = 1_000 }))
        {
            if (message.Headers![DeadLetters.ReasonHeader].ToString().StartsWith(reason, StringComparison.Ordinal))
            {
                found.Add(message);
            }
        }

        return found;
    }

    public Task RevokeAsync(VoteCast vote, string region)
    {
        var revoke = new VoteRevoked
        {
            VoteId = vote.VoteId,
            SeasonId = vote.SeasonId,
            SeasonNumber = vote.SeasonNumber,
            SlotPosition = vote.SlotPosition,
            ClipId = vote.ClipId,
            VoterKey = vote.VoterKey,
            Region = region,
            RevokedAt = DateTimeOffset.UtcNow,
        };
        return PublishRawAsync(region, Subjects.VoteRevoked(region, LaneOf(vote.SeasonNumber)), JsonSerializer.SerializeToUtf8Bytes(revoke, ContractsJson.Default.VoteRevoked),
            "revoke-" + vote.VoteId);
    }

    /// <summary>Retries like an edge would: the message id makes a retry of a stored message a no-op.</summary>
    public async Task PublishRawAsync(string region, string subject, byte[] payload, string msgId)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var ack = await JetStream(region).PublishAsync(subject, payload, opts: new NatsJSPubOpts { MsgId = msgId });
                ack.EnsureSuccess();
                return;
            }
            catch (NatsJSPublishNoResponseException) when (attempt < 5)
            {
            }
        }
    }

    /// <summary>Publishes many votes with pipelined acks.</summary>
    public async Task PublishManyAsync(IEnumerable<VoteCast> votes)
    {
        foreach (var chunk in votes.Chunk(200))
        {
            await Task.WhenAll(chunk.Select(v => PublishAsync(v)));
        }
    }

    public string ShardOf(int seasonNumber) => new ShardMap(Stack.Topology).ShardFor(seasonNumber)!;

    /// <summary>The vote-stream lane an edge publishes the season's messages on.</summary>
    public string LaneOf(int seasonNumber) => new ShardMap(Stack.Topology).LaneFor(seasonNumber);

    public async Task<T> ScalarAsync<T>(int seasonNumber, string sql, params object[] parameters)
    {
        await using var connection = new NpgsqlConnection(Stack.Shards[ShardOf(seasonNumber)].ConnectionString("votes"));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = parameter });
        }

        var value = await command.ExecuteScalarAsync();
        return value is null or DBNull ? default! : (T)Convert.ChangeType(value, typeof(T), System.Globalization.CultureInfo.InvariantCulture);
    }

    public Task<long> CountedAsync(int seasonNumber, Guid seasonId) => ScalarAsync<long>(seasonNumber,
        "select coalesce(sum(votes), 0) from tallies where season_id = $1", seasonId);

    public Task<string> StatusAsync(int seasonNumber, Guid voteId) => ScalarAsync<string>(seasonNumber,
        "select coalesce(status, '') || coalesce(':' || reason, '') from votes where vote_id = $1", voteId);

    public async Task<BarrierStatus> BarrierAsync(int seasonNumber, Guid seasonId)
    {
        var json = await Http.GetStringAsync($"{BarrierRoutes.Barrier}?seasonId={seasonId}&seasonNumber={seasonNumber}");
        return JsonSerializer.Deserialize(json, ContractsJson.Default.BarrierStatus)!;
    }

    public async Task<PipelineStatus> PipelineAsync()
    {
        var json = await Http.GetStringAsync(BarrierRoutes.Pipeline);
        return JsonSerializer.Deserialize(json, ContractsJson.Default.PipelineStatus)!;
    }

    public async Task WaitDrainedAsync(int seasonNumber, Guid seasonId, int seconds = 30)
    {
        try
        {
            await Eventually.UntilAsync(() => BarrierAsync(seasonNumber, seasonId), b => b.Drained, TimeSpan.FromSeconds(seconds),
                $"barrier of season {seasonNumber}");
        }
        catch (TimeoutException e)
        {
            var last = await BarrierAsync(seasonNumber, seasonId);
            throw new TimeoutException($"{e.Message}\n{string.Join("\n", last.Regions)}\n{Aggregator.Log}", e);
        }
    }

    /// <summary>Every decision published to the region's receipts stream so far, last word per vote.</summary>
    public async Task<Dictionary<Guid, VoteDecision>> ReceiptsAsync(string region)
    {
        var js = JetStream(region);
        var consumer = await js.CreateOrderedConsumerAsync(StreamNames.Receipts(region));
        var decisions = new Dictionary<Guid, VoteDecision>();
        await foreach (var message in consumer.FetchNoWaitAsync<byte[]>(new NatsJSFetchOpts { MaxMsgs = 10_000 }))
        {
            foreach (var decision in JsonSerializer.Deserialize(message.Data, ContractsJson.Default.VoteDecisions)!.Decisions)
            {
                decisions[decision.VoteId] = decision;
            }
        }

        return decisions;
    }

    /// <summary>Every slot reset published to the region's resets stream so far.</summary>
    public async Task<List<SlotVotesReset>> ResetsAsync(string region)
    {
        var consumer = await JetStream(region).CreateOrderedConsumerAsync(StreamNames.Resets(region));
        var resets = new List<SlotVotesReset>();
        await foreach (var message in consumer.FetchNoWaitAsync<byte[]>(new NatsJSFetchOpts { MaxMsgs = 10_000 }))
        {
            resets.Add(JsonSerializer.Deserialize(message.Data, ContractsJson.Default.SlotVotesReset)!);
        }

        return resets;
    }

    public async Task DisposeAsync()
    {
        foreach (var connection in _nats.Values)
        {
            await connection.DisposeAsync();
        }

        Http.Dispose();
        await Stack.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class AggregatorCollection : ICollectionFixture<AggregatorFixture>
{
    public const string Name = "aggregator";
}
