using System.Net;
using AiMoviez.Contracts;
using AiMoviez.Testing;

namespace AiMoviez.Edge.Tests;

[Collection(EdgeCollection.Name)]
public sealed class ResilienceTests(EdgeStack stack)
{
    [Fact]
    public async Task Without_redis_voting_fails_closed_and_recovers_by_itself()
    {
        stack.Redis.Kill();
        try
        {
            var browser = EdgeStack.NewBrowser();
            var before = stack.Casts.Count;
            using var refused = await stack.VoteAsync(browser, stack.Season.Clips[2].Id);
            await refused.AssertProblemAsync(HttpStatusCode.ServiceUnavailable, ErrorCodes.DependencyUnavailable);
            Assert.NotEmpty(refused.Header("X-RateLimit-Limit"));
            Assert.Equal(before, stack.Casts.Count);

            using var notReady = await stack.Direct.GetAsync(stack.BaseUrl + "/readyz");
            var problem = await notReady.AssertProblemAsync(HttpStatusCode.ServiceUnavailable, ErrorCodes.DependencyUnavailable);
            Assert.Equal("redis", Assert.Single(problem.GetProperty("failing").EnumerateArray()).GetString());
            using var alive = await stack.Direct.GetAsync(stack.BaseUrl + "/healthz");
            Assert.Equal(HttpStatusCode.OK, alive.StatusCode);
        }
        finally
        {
            await stack.Redis.StartAsync();
        }

        var again = EdgeStack.NewBrowser();
        var response = await Eventually.UntilAsync(() => stack.VoteAsync(again, stack.Season.Clips[2].Id),
            r => r.StatusCode == HttpStatusCode.Accepted, TimeSpan.FromSeconds(20), "voting to recover with Redis");
        await response.AssertAcceptedAsync();
        await stack.Edge.WaitReadyAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task A_vote_whose_redis_answer_came_too_late_is_not_left_reserved()
    {
        var browser = EdgeStack.NewBrowser();
        var clip = stack.Season.Clips[5].Id;
        await using (var redis = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(stack.Redis.Endpoint))
        {
            // Redis holds every write, the vote script included, longer than the edge waits: the edge answers 503 and
            // Redis runs the script afterwards.
            await redis.GetDatabase().ExecuteAsync("CLIENT", "PAUSE", "1500", "WRITE");
        }

        using (var refused = await stack.VoteAsync(browser, clip))
        {
            await refused.AssertProblemAsync(HttpStatusCode.ServiceUnavailable, ErrorCodes.DependencyUnavailable);
        }

        var response = await Eventually.UntilAsync(() => stack.VoteAsync(browser, clip),
            r => r.StatusCode != HttpStatusCode.ServiceUnavailable, TimeSpan.FromSeconds(20), "voting to recover after the pause");
        await response.AssertAcceptedAsync();
    }

    [Fact]
    public async Task When_the_stream_does_not_acknowledge_the_reservation_is_undone()
    {
        var browser = EdgeStack.NewBrowser();
        stack.Nats.Kill();
        try
        {
            using var refused = await stack.VoteAsync(browser, stack.Season.Clips[3].Id, "super");
            await refused.AssertProblemAsync(HttpStatusCode.ServiceUnavailable, ErrorCodes.DependencyUnavailable);
        }
        finally
        {
            await stack.RestartNatsAsync();
        }

        // Neither the clip nor the super vote stayed reserved.
        var response = await Eventually.UntilAsync(() => stack.VoteAsync(browser, stack.Season.Clips[3].Id, "super"),
            r => r.StatusCode != HttpStatusCode.ServiceUnavailable, TimeSpan.FromSeconds(20), "voting to recover with NATS");
        var body = await response.AssertAcceptedAsync();
        Assert.Equal(3, body.GetProperty("totalVotesToday").GetInt32());
    }
}
