using System.Diagnostics;
using System.Net;
using AiMoviez.Contracts;
using Xunit.Abstractions;

namespace AiMoviez.Edge.Tests;

[Collection(EdgeCollection.Name)]
public sealed class ResilienceTests(EdgeStack stack, ITestOutputHelper output)
{
    /// <summary>How long a refusal may take while Redis hangs: the edge waits about its Redis timeout; this tolerates a busy machine.</summary>
    private static readonly TimeSpan FailFast = TimeSpan.FromSeconds(3);

    private static readonly TimeSpan HangFor = TimeSpan.FromSeconds(8);

    [Fact]
    public async Task A_hung_redis_fails_votes_closed_fast_and_voting_resumes_after_sigcont()
    {
        var browser = EdgeStack.NewBrowser();
        var clip = stack.Season.Clips[8].Id;
        var earlier = (await (await stack.VoteAsync(browser, stack.Season.Clips[9].Id)).AssertAcceptedAsync()).GetProperty("voteId").GetGuid();
        var voterKey = (await Eventually.UntilAsync(() => Task.FromResult(stack.Casts.GetValueOrDefault(earlier)), c => c is not null,
            TimeSpan.FromSeconds(10), "the earlier VoteCast"))!.VoterKey;
        int CastsOnClip() => stack.Casts.Values.Count(c => c.VoterKey == voterKey && c.ClipId == clip);

        await stack.Redis.FreezeAsync();
        try
        {
            var requests = new (string What, Func<Task<HttpResponseMessage>> Send)[]
            {
                ("a super vote", () => stack.VoteAsync(browser, clip, "super")),
                ("a ballot", () => stack.SendAsync(HttpMethod.Get, $"/v1/ballot?seasonId={stack.Season.Id}", browser)),
                ("a receipt", () => stack.SendAsync(HttpMethod.Get, $"/v1/votes/{earlier}", browser)),
                ("readiness", () => stack.Direct.GetAsync(stack.BaseUrl + "/readyz")),
                ("a revoke", () => stack.SendAsync(HttpMethod.Delete, $"/v1/votes/{stack.Season.Clips[9].Id}", browser)),
            };
            // Long enough for the Redis client to give the silent connection up and try new ones; the revoke (which
            // counts in the window whatever happens) only once.
            var hung = Stopwatch.StartNew();
            var slowest = TimeSpan.Zero;
            var refusals = 0;
            for (var round = 0; round == 0 || hung.Elapsed < HangFor; round++)
            {
                foreach (var (what, send) in requests.Take(round == 0 ? requests.Length : requests.Length - 1))
                {
                    var watch = Stopwatch.StartNew();
                    using var refused = await send();
                    watch.Stop();
                    var problem = await refused.AssertProblemAsync(HttpStatusCode.ServiceUnavailable, ErrorCodes.DependencyUnavailable);
                    Assert.True(watch.Elapsed < FailFast, $"{what} took {watch.Elapsed} while Redis hung");
                    slowest = watch.Elapsed > slowest ? watch.Elapsed : slowest;
                    refusals++;
                    if (what == "readiness")
                    {
                        Assert.Equal("redis", Assert.Single(problem.GetProperty("failing").EnumerateArray()).GetString());
                    }
                }
            }

            Assert.Equal(0, CastsOnClip());
            Assert.False(stack.Revokes.ContainsKey(earlier));
            output.WriteLine($"{refusals} requests refused while Redis hung {hung.Elapsed}; slowest {slowest.TotalMilliseconds:F0} ms");
        }
        finally
        {
            await stack.Redis.ThawAsync();
        }

        var thawed = Stopwatch.StartNew();

        // Nothing of the refused requests stayed behind: the super vote is free, the day total holds the earlier vote only.
        var response = await Eventually.UntilAsync(() => stack.VoteAsync(browser, clip, "super"),
            r => r.StatusCode != HttpStatusCode.ServiceUnavailable, TimeSpan.FromSeconds(20), "voting to resume after SIGCONT");
        var accepted = await response.AssertAcceptedAsync();
        output.WriteLine($"first vote accepted {thawed.Elapsed.TotalMilliseconds:F0} ms after SIGCONT");
        Assert.Equal(1 + 3, accepted.GetProperty("totalVotesToday").GetInt32());
        var voteId = accepted.GetProperty("voteId").GetGuid();
        await Eventually.UntilAsync(() => Task.FromResult(stack.Casts.ContainsKey(voteId)), TimeSpan.FromSeconds(10), "the VoteCast");
        await (await stack.VoteAsync(browser, clip)).AssertProblemAsync(HttpStatusCode.Conflict, ErrorCodes.AlreadyVoted);
        Assert.Equal(1, CastsOnClip());
        Assert.Single(stack.Published, id => id == voteId);
        var receipt = await (await stack.SendAsync(HttpMethod.Get, $"/v1/votes/{voteId}", browser)).JsonAsync();
        Assert.Equal("accepted", receipt.GetProperty("status").GetString());
        await (await stack.SendAsync(HttpMethod.Delete, $"/v1/votes/{stack.Season.Clips[9].Id}", browser)).AssertAcceptedAsync();
        await stack.Edge.WaitReadyAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task A_revoke_whose_caller_hangs_up_while_the_stream_is_slow_still_frees_the_vote()
    {
        var browser = EdgeStack.NewBrowser();
        var clip = stack.Season.Clips[7].Id;
        var voteId = (await (await stack.VoteAsync(browser, clip)).AssertAcceptedAsync()).GetProperty("voteId").GetGuid();
        await Eventually.UntilAsync(() => Task.FromResult(stack.Casts.ContainsKey(voteId)), TimeSpan.FromSeconds(10), "the VoteCast");

        // The caller hangs up while the revoke's publish waits on a frozen nats-server, which resumes well before the
        // edge's publish timeout (1.5 s here) and stores the revoke it had in its socket.
        using var impatient = new HttpClient(AiMoviez.LocalServers.LoopbackSource.Handler(EdgeStack.TrustedProxy))
        {
            Timeout = TimeSpan.FromMilliseconds(300),
        };
        await stack.Nats.FreezeAsync();
        try
        {
            await Assert.ThrowsAnyAsync<TaskCanceledException>(() => impatient.SendAsync(stack.Request(HttpMethod.Delete, $"/v1/votes/{clip}", browser)));
            await Task.Delay(TimeSpan.FromMilliseconds(500));
        }
        finally
        {
            await stack.Nats.ThawAsync();
        }

        // The tallies lose the vote, so the edge lets go of it too: its receipt is revoked and the voter may vote on the clip again.
        await Eventually.UntilAsync(() => Task.FromResult(stack.Revokes.ContainsKey(voteId)), TimeSpan.FromSeconds(10), "the VoteRevoked");
        await Eventually.UntilAsync(async () => await (await stack.SendAsync(HttpMethod.Get, $"/v1/votes/{voteId}", browser)).JsonAsync(),
            r => r.GetProperty("status").GetString() == "revoked", TimeSpan.FromSeconds(10), "the receipt to be revoked");
        await (await stack.VoteAsync(browser, clip)).AssertAcceptedAsync();
    }

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
            // As after a Redis restart: the server knows no script until a vote sends the vote script's text again, and
            // none has sent the undo's. An undo answered NOSCRIPT and sent again would come behind the next vote.
            await redis.GetDatabase().ExecuteAsync("SCRIPT", "FLUSH");
            await (await stack.VoteAsync(browser, stack.Season.Clips[6].Id)).AssertAcceptedAsync();

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
