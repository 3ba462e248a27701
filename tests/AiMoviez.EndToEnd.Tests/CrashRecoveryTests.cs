using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace AiMoviez.EndToEnd.Tests;

/// <summary>kill -9 of an edge or of a region's NATS loses no vote that was answered 202.</summary>
public sealed class CrashRecoveryTests(SystemUnderTest system) : IClassFixture<SystemUnderTest>
{
    [Fact]
    public async Task Killing_a_regions_nats_server_loses_no_accepted_vote()
    {
        var (seasonId, clipIds) = await system.CreateVotingSeasonAsync(clipCount: 2);
        await system.WaitUntilEdgesServeAsync(seasonId, clipIds.Count);
        var edge = system.Edges["ap-south"].BaseUrl;
        var outcomes = new VoteOutcomes();
        var load = Parallel.ForEachAsync(Enumerable.Range(70_000, 800), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (voter, ct) =>
            await outcomes.SendAsync(system, edge, voter, clipIds[voter % 2], ct));

        await Eventually.UntilAsync(() => Task.FromResult(outcomes.AcceptedPairs > 150), TimeSpan.FromSeconds(30), "150 votes accepted");
        system.Stack.Nats["ap-south"].Kill();
        await Eventually.UntilAsync(() => Task.FromResult(outcomes.Statuses.Contains(HttpStatusCode.ServiceUnavailable) || outcomes.Statuses.Count >= 800),
            TimeSpan.FromSeconds(30), "votes to fail while NATS is down");
        await system.Stack.Nats["ap-south"].StartAsync();
        await load;

        Assert.All(outcomes.Statuses, s => Assert.True(s is HttpStatusCode.Accepted or HttpStatusCode.ServiceUnavailable, $"unexpected {s}"));
        await outcomes.WaitForTalliesAsync(system, system.Edges["us-east"].BaseUrl, seasonId);
    }

    /// <summary>
    /// The edge dies after its vote script, its publish waiting on a frozen nats-server: the vote is not on the stream,
    /// and the client got no answer. The retry with the same Idempotency-Key, after the edge's restart, publishes it; the
    /// vote ends counted, once.
    /// </summary>
    [Fact]
    public async Task A_retry_of_a_vote_whose_edge_died_before_the_publish_ack_is_counted_once()
    {
        var (seasonId, clipIds) = await system.CreateVotingSeasonAsync(clipCount: 2);
        await system.WaitUntilEdgesServeAsync(seasonId, clipIds.Count);
        var edge = system.Edges["eu-west"];
        var nats = system.Stack.Nats["eu-west"];
        var key = "crash-" + Guid.NewGuid();
        HttpRequestMessage Vote()
        {
            var request = SystemUnderTest.Vote(edge.BaseUrl, clipIds[1], 123_456, "super");
            request.Headers.Add("Idempotency-Key", key);
            return request;
        }

        await using var redis = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(system.Stack.Redis["eu-west"].Endpoint + ",allowAdmin=true");
        await nats.FreezeAsync();
        try
        {
            var first = system.Http.SendAsync(Vote());
            await Eventually.UntilAsync(async () => await redis.GetServer(system.Stack.Redis["eu-west"].Endpoint).KeysAsync(pattern: "idem:*:" + key).ToListAsync(),
                keys => keys.Count == 1, TimeSpan.FromSeconds(10), "the vote script to record the key");
            edge.Kill();
            await Assert.ThrowsAnyAsync<HttpRequestException>(() => first);
        }
        finally
        {
            await nats.ThawAsync();
        }

        await edge.StartAsync();
        await edge.WaitReadyAsync(TimeSpan.FromSeconds(30));
        using var retry = await system.Http.SendAsync(Vote());
        Assert.Equal(HttpStatusCode.Accepted, retry.StatusCode);
        var voteId = (await retry.Content.ReadFromJsonAsync<JsonObject>())!["voteId"]!.GetValue<Guid>();
        await Eventually.UntilAsync(async () => (await system.Http.GetFromJsonAsync<JsonObject>($"{edge.BaseUrl}/v1/votes/{voteId}"))!["status"]!.GetValue<string>(),
            status => status == "counted", TimeSpan.FromSeconds(30), "the retried vote's receipt to be counted");
        await Eventually.UntilAsync(() => system.TalliesAsync(system.Edges["us-east"].BaseUrl, seasonId),
            t => t.GetValueOrDefault(clipIds[1]) == 1, TimeSpan.FromSeconds(30), "the tally to hold the vote");
    }

    [Fact]
    public async Task Killing_an_edge_loses_no_accepted_vote_and_a_restart_serves_again()
    {
        var (seasonId, clipIds) = await system.CreateVotingSeasonAsync(clipCount: 2);
        await system.WaitUntilEdgesServeAsync(seasonId, clipIds.Count);
        var edge = system.Edges["us-east"];
        var outcomes = new VoteOutcomes();
        var load = Parallel.ForEachAsync(Enumerable.Range(90_000, 600), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (voter, ct) =>
            await outcomes.SendAsync(system, edge.BaseUrl, voter, clipIds[voter % 2], ct));

        await Eventually.UntilAsync(() => Task.FromResult(outcomes.AcceptedPairs > 150), TimeSpan.FromSeconds(30), "150 votes accepted");
        edge.Kill();
        await load;
        await edge.StartAsync();
        await edge.WaitReadyAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(HttpStatusCode.Accepted, await outcomes.SendAsync(system, edge.BaseUrl, 99_999, clipIds[0], CancellationToken.None));
        await outcomes.WaitForTalliesAsync(system, system.Edges["eu-west"].BaseUrl, seasonId);
    }
}
