using System.Globalization;
using System.Net;
using AiMoviez.Contracts;

namespace AiMoviez.Edge.Tests;

/// <summary>The edge stack of <see cref="EdgeStack"/> with the region's Redis a real Redis Cluster of three primaries.</summary>
public sealed class ClusterEdgeStack : EdgeStack
{
    public RedisCluster Cluster { get; private set; } = null!;

    protected override async Task<string> StartRedisAsync()
    {
        Cluster = await RedisCluster.StartAsync(Dir.Sub("redis-cluster"));
        return Cluster.Endpoints;
    }

    protected override ValueTask DisposeRedisAsync() => Cluster?.DisposeAsync() ?? ValueTask.CompletedTask;
}

/// <summary>
/// Every Redis rule of the edge against a Redis Cluster: one voter's keys in one slot, the IP's in another, receipts
/// found by vote id alone.
/// </summary>
public sealed class RedisClusterTests(ClusterEdgeStack stack) : IClassFixture<ClusterEdgeStack>
{
    private static readonly TimeSpan Soon = TimeSpan.FromSeconds(10);

    private Guid Clip(int i) => stack.Season.Clips[i].Id;

    [Fact]
    public async Task Vote_is_accepted_once_per_clip_and_its_receipt_reaches_counted()
    {
        var browser = EdgeStack.NewBrowser();
        var voteId = (await (await stack.VoteAsync(browser, Clip(0))).AssertAcceptedAsync()).GetProperty("voteId").GetGuid();
        Assert.Equal(7, voteId.Version);
        await Eventually.UntilAsync(() => Task.FromResult(stack.Casts.ContainsKey(voteId)), Soon, "the VoteCast");
        await (await stack.VoteAsync(browser, Clip(0))).AssertProblemAsync(HttpStatusCode.Conflict, ErrorCodes.AlreadyVoted);

        var receipt = await (await stack.SendAsync(HttpMethod.Get, $"/v1/votes/{voteId}", browser)).JsonAsync();
        Assert.Equal("accepted", receipt.GetProperty("status").GetString());
        var ack = await stack.JetStream.PublishAsync(Subjects.Receipts(EdgeStack.Region), new VoteDecisions
        {
            Decisions = [new VoteDecision(voteId, VoteStatuses.Counted, null), new VoteDecision(Guid.NewGuid(), VoteStatuses.Rejected, ErrorCodes.DailyLimit)],
        });
        Assert.Null(ack.Error);
        await Eventually.UntilAsync(async () =>
            (await (await stack.SendAsync(HttpMethod.Get, $"/v1/votes/{voteId}", browser)).JsonAsync()).GetProperty("status").GetString() == "counted",
            Soon, "the receipt to reach counted");
        await (await stack.SendAsync(HttpMethod.Get, $"/v1/votes/{Guid.NewGuid()}", browser)).AssertProblemAsync(HttpStatusCode.NotFound, ErrorCodes.NotFound);
    }

    [Fact]
    public async Task Voters_keys_spread_over_every_primary()
    {
        for (var i = 0; i < 12; i++)
        {
            await (await stack.VoteAsync(EdgeStack.NewBrowser(), Clip(i))).AssertAcceptedAsync();
        }

        foreach (var port in stack.Cluster.Ports)
        {
            Assert.True(await RedisCluster.KeyCountAsync(port) > 0, $"the primary on {port} holds no key");
        }
    }

    [Fact]
    public async Task While_a_primary_is_dead_only_voters_with_a_slot_on_it_get_503_until_it_returns()
    {
        var browsers = Enumerable.Range(0, 24).Select(_ => EdgeStack.NewBrowser()).ToList();
        var refused = new List<Browser>();
        stack.Cluster.Kill(0);
        try
        {
            var accepted = 0;
            foreach (var browser in browsers)
            {
                using var response = await stack.VoteAsync(browser, Clip(4));
                if (response.StatusCode == HttpStatusCode.Accepted)
                {
                    accepted++;
                }
                else
                {
                    await response.AssertProblemAsync(HttpStatusCode.ServiceUnavailable, ErrorCodes.DependencyUnavailable);
                    refused.Add(browser);
                }
            }

            Assert.True(accepted > 0, "no voter could vote while one primary was dead");
            Assert.NotEmpty(refused);
        }
        finally
        {
            await stack.Cluster.StartAsync(0);
            await stack.Cluster.WaitOkAsync(TimeSpan.FromSeconds(30));
        }

        // What a 503 left behind was undone, so each refused voter votes once the primary is back.
        foreach (var browser in refused)
        {
            await Eventually.UntilAsync(async () =>
            {
                using var response = await stack.VoteAsync(browser, Clip(4));
                return response.StatusCode == HttpStatusCode.Accepted;
            }, TimeSpan.FromSeconds(30), "a voter refused while the primary was dead to vote once it is back");
        }
    }

    [Fact]
    public async Task Super_and_mega_are_once_per_slot_and_the_daily_allowance_holds()
    {
        var browser = EdgeStack.NewBrowser();
        await (await stack.VoteAsync(browser, Clip(1), "super")).AssertAcceptedAsync();
        var mega = await (await stack.VoteAsync(browser, Clip(2), "mega")).AssertAcceptedAsync();
        Assert.Equal(13, mega.GetProperty("totalVotesToday").GetInt32());
        await (await stack.VoteAsync(browser, Clip(3), "super")).AssertProblemAsync(HttpStatusCode.UnprocessableEntity, ErrorCodes.SlotLimit);
        await (await stack.VoteAsync(browser, Clip(3), "mega")).AssertProblemAsync(HttpStatusCode.UnprocessableEntity, ErrorCodes.SlotLimit);

        // 13 of 20 used: the other season's mega (10) does not fit.
        await (await stack.VoteAsync(browser, stack.OtherSeason.Clips[0].Id, "mega")).AssertProblemAsync(HttpStatusCode.TooManyRequests, ErrorCodes.DailyLimit);
    }

    [Fact]
    public async Task Votes_beyond_the_voter_window_are_429_without_using_up_the_ips_window()
    {
        var browser = EdgeStack.NewBrowser();
        for (var i = 0; i < EdgeStack.VoterLimit; i++)
        {
            using var response = await stack.VoteAsync(browser, Clip(i));
            await response.AssertAcceptedAsync();
            Assert.Equal((EdgeStack.VoterLimit - 1 - i).ToString(CultureInfo.InvariantCulture), response.Header("X-RateLimit-Remaining"));
        }

        for (var i = 0; i < EdgeStack.IpLimit; i++)
        {
            using var limited = await stack.VoteAsync(browser, Clip(EdgeStack.VoterLimit));
            await limited.AssertProblemAsync(HttpStatusCode.TooManyRequests, ErrorCodes.RateLimited);
            Assert.InRange(int.Parse(limited.Header("Retry-After"), CultureInfo.InvariantCulture), 1, 60);
        }

        // The IP's window holds the five that got through, not the refusals: another voter there still has three.
        var neighbour = browser with { UserAgent = browser.UserAgent + "/neighbour" };
        await Eventually.UntilAsync(async () =>
        {
            using var response = await stack.VoteAsync(neighbour, Clip(11));
            return response.StatusCode == HttpStatusCode.Accepted;
        }, Soon, "a neighbour's vote from the same IP to be accepted");
    }

    [Fact]
    public async Task Votes_beyond_the_ip_window_are_429_and_many_voter_keys_per_ip_are_flagged()
    {
        var first = EdgeStack.NewBrowser();
        var ids = new List<Guid>();
        for (var i = 0; i < EdgeStack.IpLimit; i++)
        {
            var browser = first with { UserAgent = first.UserAgent + "/" + i };
            ids.Add((await (await stack.VoteAsync(browser, Clip(6))).AssertAcceptedAsync()).GetProperty("voteId").GetGuid());
        }

        using var limited = await stack.VoteAsync(first with { UserAgent = first.UserAgent + "/next" }, Clip(6));
        await limited.AssertProblemAsync(HttpStatusCode.TooManyRequests, ErrorCodes.RateLimited);
        Assert.InRange(int.Parse(limited.Header("Retry-After"), CultureInfo.InvariantCulture), 1, 60);
        await (await stack.SendAsync(HttpMethod.Delete, $"/v1/votes/{Clip(6)}", first with { UserAgent = first.UserAgent + "/0" }))
            .AssertProblemAsync(HttpStatusCode.TooManyRequests, ErrorCodes.RateLimited);

        var casts = await Eventually.UntilAsync(() => Task.FromResult(ids.Select(id => stack.Casts.GetValueOrDefault(id)).ToList()),
            c => c.All(x => x is not null), Soon, "the VoteCasts");
        Assert.False(casts[0]!.Flags.HasFlag(VoteFlags.ManyVoterKeysFromIp));
        Assert.True(casts[EdgeStack.VoterKeysPerIpFlag]!.Flags.HasFlag(VoteFlags.ManyVoterKeysFromIp));
    }

    [Fact]
    public async Task Retry_with_the_same_idempotency_key_returns_the_same_body_and_publishes_once()
    {
        var browser = EdgeStack.NewBrowser();
        var key = Guid.NewGuid().ToString();
        using var first = await stack.VoteAsync(browser, Clip(8), "super", key);
        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        using var second = await stack.VoteAsync(browser, Clip(8), "super", key);
        Assert.Equal(HttpStatusCode.Accepted, second.StatusCode);
        Assert.Equal(await first.Content.ReadAsStringAsync(), await second.Content.ReadAsStringAsync());

        var voteId = (await first.JsonAsync()).GetProperty("voteId").GetGuid();
        await Eventually.UntilAsync(() => Task.FromResult(stack.Casts.ContainsKey(voteId)), Soon, "the VoteCast");
        Assert.Single(stack.Casts.Values, c => c.ClipId == Clip(8) && c.VoterKey == stack.Casts[voteId].VoterKey);
    }

    [Fact]
    public async Task Revoke_frees_the_vote_and_its_weight()
    {
        var browser = EdgeStack.NewBrowser();
        var voteId = (await (await stack.VoteAsync(browser, Clip(10), "mega")).AssertAcceptedAsync()).GetProperty("voteId").GetGuid();

        await (await stack.SendAsync(HttpMethod.Delete, $"/v1/votes/{Clip(10)}", browser)).AssertAcceptedAsync();
        await Eventually.UntilAsync(() => Task.FromResult(stack.Revokes.ContainsKey(voteId)), Soon, "the VoteRevoked");
        var receipt = await (await stack.SendAsync(HttpMethod.Get, $"/v1/votes/{voteId}", browser)).JsonAsync();
        Assert.Equal("revoked", receipt.GetProperty("status").GetString());

        var again = await (await stack.VoteAsync(browser, Clip(10), "mega")).AssertAcceptedAsync();
        Assert.Equal(10, again.GetProperty("totalVotesToday").GetInt32());
    }

    [Fact]
    public async Task Slot_reset_gives_the_voter_the_vote_back()
    {
        var browser = EdgeStack.NewBrowser();
        var voteId = (await (await stack.VoteAsync(browser, Clip(9), "super")).AssertAcceptedAsync()).GetProperty("voteId").GetGuid();
        var cast = await Eventually.UntilAsync(() => Task.FromResult(stack.Casts.GetValueOrDefault(voteId)), c => c is not null, Soon, "the VoteCast");

        var ack = await stack.JetStream.PublishAsync(Subjects.SlotResets(EdgeStack.Region), new SlotVotesReset
        {
            SeasonId = stack.Season.Id,
            SlotPosition = stack.Season.CurrentSlot!.Position,
            Votes = [new ResetVote(voteId, cast!.VoterKey, Clip(9), "super", 3, DateOnly.FromDateTime(cast.AcceptedAt.UtcDateTime))],
        });
        Assert.Null(ack.Error);
        var receipt = await Eventually.UntilAsync(
            async () => await (await stack.SendAsync(HttpMethod.Get, $"/v1/votes/{voteId}", browser)).JsonAsync(),
            r => r.GetProperty("status").GetString() == "revoked", Soon, "the receipt to be revoked by the reset");
        Assert.Equal(VoteStatuses.SlotResetReason, receipt.GetProperty("reason").GetString());

        var again = await (await stack.VoteAsync(browser, Clip(9), "super")).AssertAcceptedAsync();
        Assert.Equal(3, again.GetProperty("totalVotesToday").GetInt32());
    }
}
