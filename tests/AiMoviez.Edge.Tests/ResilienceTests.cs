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
    public async Task A_retry_after_the_edge_died_before_the_publish_publishes_the_vote_it_answers_202()
    {
        var browser = EdgeStack.NewBrowser();
        var clip = stack.Season.Clips[10].Id;
        var key = "crash-" + Guid.NewGuid();
        var beforeCrash = DateTimeOffset.UtcNow;
        var voteId = await CrashBetweenScriptAndPublishAsync(browser, clip, key, "mega");

        var retriedAt = DateTimeOffset.UtcNow;
        using var retry = await stack.VoteAsync(browser, clip, "mega", key);
        var body = await retry.AssertAcceptedAsync();
        Assert.Equal(voteId, body.GetProperty("voteId").GetGuid());
        Assert.Equal(10, body.GetProperty("totalVotesToday").GetInt32());
        var cast = await Eventually.UntilAsync(() => Task.FromResult(stack.Casts.GetValueOrDefault(voteId)), c => c is not null,
            TimeSpan.FromSeconds(10), "the replayed vote's VoteCast");
        Assert.Equal((clip, "mega", 10, stack.Season.Id, 3, EdgeStack.Region), (cast!.ClipId, cast.VoteType, cast.Weight, cast.SeasonId, cast.SlotPosition, cast.Region));
        Assert.Equal(stack.Season.Clips[10].CreatorId, cast.CreatorId);
        Assert.Equal(stack.Season.Number, cast.SeasonNumber);
        Assert.Equal(VoteIds.TimeOf(voteId), cast.AcceptedAt);
        Assert.InRange(cast.AcceptedAt, beforeCrash.AddMilliseconds(-1), retriedAt);
        Assert.Equal(stack.Season.CurrentSlot!.VotingEndsAt, cast.VotingEndsAt);
        Assert.False(cast.LateCopy);
        Assert.DoesNotContain(stack.Groups, g => g.Votes.Any(v => v.VoteId == voteId));

        // Replayed again, the same answer; the vote stays the voter's one mega on the clip.
        using var again = await stack.VoteAsync(browser, clip, "mega", key);
        Assert.Equal(await retry.Content.ReadAsStringAsync(), await again.Content.ReadAsStringAsync());
        await (await stack.VoteAsync(browser, clip)).AssertProblemAsync(HttpStatusCode.Conflict, ErrorCodes.AlreadyVoted);
        Assert.Single(stack.Casts.Values, c => c.VoterKey == cast.VoterKey);
    }

    [Fact]
    public async Task A_retry_after_the_edge_died_before_the_publish_and_the_slot_closed_publishes_a_late_copy()
    {
        var season = await AddVotingSeasonAsync(40, activatedHoursAgo: 2);
        var browser = EdgeStack.NewBrowser();
        var clip = season.Clips[0].Id;
        var key = "crash-" + Guid.NewGuid();
        try
        {
            var voteId = await CrashBetweenScriptAndPublishAsync(browser, clip, key, "super", () =>
                stack.Core.UpdateAsync(s => s with { Seasons = [.. s.Seasons.Select(x => x.Id != season.Id ? x : x with
                {
                    CurrentSlot = x.CurrentSlot! with { VotingEndsAt = DateTimeOffset.UtcNow.AddSeconds(-1) },
                })] }, announce: false));

            // The retry gets its 202 again, and the vote goes out as a late copy: the aggregator keeps it only if it
            // stored the vote already (here it never reached the stream), else rejects it VOTING_CLOSED.
            using var retry = await stack.VoteAsync(browser, clip, "super", key);
            Assert.Equal(voteId, (await retry.AssertAcceptedAsync()).GetProperty("voteId").GetGuid());
            var copy = await Eventually.UntilAsync(() => Task.FromResult(stack.Casts.GetValueOrDefault(voteId)), c => c is not null,
                TimeSpan.FromSeconds(10), "the late copy");
            Assert.True(copy!.LateCopy);
            Assert.Equal((clip, "super", VoteIds.TimeOf(voteId)), (copy.ClipId, copy.VoteType, copy.AcceptedAt));
            Assert.DoesNotContain(stack.Groups, g => g.Votes.Any(v => v.VoteId == voteId));
        }
        finally
        {
            await stack.Core.UpdateAsync(s => s with { Seasons = [.. s.Seasons.Where(x => x.Id != season.Id)] });
        }
    }

    [Fact]
    public async Task A_retry_after_the_edge_died_before_the_publish_and_the_season_finished_publishes_a_late_copy_placed_by_core()
    {
        var season = await AddVotingSeasonAsync(41, activatedHoursAgo: 3);
        var browser = EdgeStack.NewBrowser();
        var clip = season.Clips[0].Id;
        var key = "finished-" + Guid.NewGuid();
        try
        {
            // The season finishes while the edge is down: the restarted edge's catalog no longer lists it.
            var voteId = await CrashBetweenScriptAndPublishAsync(browser, clip, key, VoteTypes.Mega, () =>
            {
                stack.Core.UnlistedClips[clip] = new ClipPlacement
                {
                    Id = clip, SeasonId = season.Id, SeasonNumber = season.Number, SeasonStatus = SeasonStatuses.Finished,
                };
                return stack.Core.UpdateAsync(s => s with { Seasons = [.. s.Seasons.Where(x => x.Id != season.Id)] }, announce: false);
            });

            // While core cannot say where the clip belongs, the replay cannot publish its copy: 503, to retry with the key.
            stack.Core.Down = true;
            try
            {
                using var refused = await stack.VoteAsync(browser, clip, VoteTypes.Mega, key);
                await refused.AssertProblemAsync(HttpStatusCode.ServiceUnavailable, ErrorCodes.DependencyUnavailable);
                Assert.False(stack.Casts.ContainsKey(voteId));
            }
            finally
            {
                stack.Core.Down = false;
            }

            using var retry = await stack.VoteAsync(browser, clip, VoteTypes.Mega, key);
            Assert.Equal(voteId, (await retry.AssertAcceptedAsync()).GetProperty("voteId").GetGuid());
            var copy = await Eventually.UntilAsync(() => Task.FromResult(stack.Casts.GetValueOrDefault(voteId)), c => c is not null,
                TimeSpan.FromSeconds(10), "the late copy");
            Assert.True(copy!.LateCopy);
            Assert.Equal((season.Id, season.Number, clip, VoteTypes.Mega, VoteIds.TimeOf(voteId)),
                (copy.SeasonId, copy.SeasonNumber, copy.ClipId, copy.VoteType, copy.AcceptedAt));
            Assert.Contains(clip, stack.Core.ClipLookups);
        }
        finally
        {
            stack.Core.UnlistedClips.TryRemove(clip, out _);
            await stack.Core.UpdateAsync(s => s with { Seasons = [.. s.Seasons.Where(x => x.Id != season.Id)] });
        }
    }

    [Fact]
    public async Task A_vote_whose_edge_died_before_the_publish_is_published_by_a_later_vote_on_its_clip_answered_409()
    {
        var browser = EdgeStack.NewBrowser();
        var clip = stack.Season.Clips[11].Id;
        var voteId = await CrashBetweenScriptAndPublishAsync(browser, clip, "stranded-" + Guid.NewGuid(), VoteTypes.Super);

        // An edge that publishes a vote again as soon as it is undecided past its publish timeout (1.5 s here).
        var url = $"http://127.0.0.1:{FreePort.Next()}";
        var environment = new Dictionary<string, string?>(stack.EdgeEnvironment) { ["Urls"] = url, ["Edge__RepublishUndecidedAfter"] = "00:00:00" };
        await using var edge = new ServiceProcess("edge-republish", RepoPaths.ServiceProgram("edge", "AiMoviez.Edge"), url, stack.Dir.Path, environment);
        await edge.StartAsync();
        await edge.WaitReadyAsync(TimeSpan.FromSeconds(30));
        if (VoteIds.TimeOf(voteId) + TimeSpan.FromSeconds(1.5) - DateTimeOffset.UtcNow is { Ticks: > 0 } due)
        {
            await Task.Delay(due);
        }

        using var request = stack.Request(HttpMethod.Post, "/v1/votes", browser, new { clipId = clip });
        request.RequestUri = new Uri(url + "/v1/votes");
        using var again = await stack.Proxied.SendAsync(request);
        await again.AssertProblemAsync(HttpStatusCode.Conflict, ErrorCodes.AlreadyVoted);
        var cast = await Eventually.UntilAsync(() => Task.FromResult(stack.Casts.GetValueOrDefault(voteId)), c => c is not null,
            TimeSpan.FromSeconds(10), "the stranded vote's VoteCast");
        Assert.Equal((clip, VoteTypes.Super, 3, VoteIds.TimeOf(voteId)), (cast!.ClipId, cast.VoteType, cast.Weight, cast.AcceptedAt));
        Assert.Equal(stack.Season.CurrentSlot!.VotingEndsAt, cast.VotingEndsAt);
        Assert.False(cast.LateCopy);

        // The receipt remembers it, so the next 409s within the wait publish nothing more.
        await using var redis = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(stack.Redis.Endpoint);
        await Eventually.UntilAsync(async () => await redis.GetDatabase().HashExistsAsync(VoterBuckets.ReceiptKey(voteId), "rp"),
            TimeSpan.FromSeconds(5), "the receipt to record the republish");
    }

    /// <summary>A season of one clip voting for another hour, once the edge takes votes on it (each probe a new voter).</summary>
    private async Task<SeasonSnapshot> AddVotingSeasonAsync(int number, int activatedHoursAgo)
    {
        var season = EdgeStack.NewSeason(number, SlotStatuses.Voting, TimeSpan.FromHours(1), 1, activatedHoursAgo);
        await stack.Core.UpdateAsync(s => s with { Seasons = [.. s.Seasons, season] });
        await Eventually.UntilAsync(async () => (await stack.VoteAsync(EdgeStack.NewBrowser(), season.Clips[0].Id)).StatusCode == HttpStatusCode.Accepted,
            TimeSpan.FromSeconds(10), "the new season to reach the edge");
        return season;
    }

    /// <summary>
    /// Sends a vote with an Idempotency-Key while the region's NATS is down, kills the edge once the vote script ran (its
    /// publish waiting, not yet sent: the edge dies before any answer), runs <paramref name="whileDown"/>, and brings NATS and
    /// the edge back. Returns the vote id the script recorded under the key.
    /// </summary>
    private async Task<Guid> CrashBetweenScriptAndPublishAsync(Browser browser, Guid clip, string key, string voteType,
        Func<Task>? whileDown = null)
    {
        await using var redis = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(stack.Redis.Endpoint + ",allowAdmin=true");
        var server = redis.GetServer(stack.Redis.Endpoint);
        stack.Nats.Kill();
        try
        {
            var first = stack.VoteAsync(browser, clip, voteType, key);
            var idempotencyKey = await Eventually.UntilAsync(async () => await server.KeysAsync(pattern: "idem:*:" + key).ToListAsync(),
                keys => keys.Count == 1, TimeSpan.FromSeconds(5), "the vote script to record the key");
            stack.Edge.Kill();
            await Assert.ThrowsAnyAsync<HttpRequestException>(() => first);
            if (whileDown is not null)
            {
                await whileDown();
            }

            return Guid.Parse((string)(await redis.GetDatabase().StringGetAsync(idempotencyKey[0]))!);
        }
        finally
        {
            await stack.RestartNatsAsync(edgeKilledToo: true);
        }
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
