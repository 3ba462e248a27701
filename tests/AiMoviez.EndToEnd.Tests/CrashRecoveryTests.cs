using System.Net;

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
