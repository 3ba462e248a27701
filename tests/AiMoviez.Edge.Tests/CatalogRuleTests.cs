using System.Net;
using System.Text.Json;
using AiMoviez.Contracts;
using AiMoviez.Edge.Identity;

namespace AiMoviez.Edge.Tests;

/// <summary>Flags and bans reach the edge within 5 s, pushed by catalog.changed or found by the poll.</summary>
[Collection(EdgeCollection.Name)]
public sealed class CatalogRuleTests(EdgeStack stack)
{
    private static readonly TimeSpan Propagation = TimeSpan.FromSeconds(5);

    private Guid Clip => stack.Season.Clips[0].Id;

    [Fact]
    public async Task Voting_disabled_flag_is_503_voting_disabled_within_5_seconds()
    {
        await stack.Core.UpdateAsync(s => s with { Flags = s.Flags with { VotingEnabled = false } });
        try
        {
            var response = await Eventually.UntilAsync(() => stack.VoteAsync(EdgeStack.NewBrowser(), Clip),
                r => r.StatusCode == HttpStatusCode.ServiceUnavailable, Propagation, "voting to be disabled");
            await response.AssertProblemAsync(HttpStatusCode.ServiceUnavailable, ErrorCodes.VotingDisabled);
        }
        finally
        {
            await RestoreAsync();
        }
    }

    [Fact]
    public async Task Require_auth_flag_refuses_anonymous_voters_but_not_signed_in_ones()
    {
        await stack.Core.UpdateAsync(s => s with { Flags = s.Flags with { RequireAuthVoting = true } });
        try
        {
            var response = await Eventually.UntilAsync(() => stack.VoteAsync(EdgeStack.NewBrowser(), Clip),
                r => r.StatusCode == HttpStatusCode.Unauthorized, Propagation, "auth to be required");
            await response.AssertProblemAsync(HttpStatusCode.Unauthorized, ErrorCodes.AuthRequired);
            await (await stack.VoteAsync(EdgeStack.NewBrowser(DevTokens.Create(stack.SigningKey, "u-" + Guid.NewGuid())), Clip)).AssertAcceptedAsync();
        }
        finally
        {
            await RestoreAsync();
        }
    }

    [Fact]
    public async Task Banned_voter_key_is_403_within_5_seconds_even_without_the_push()
    {
        // Each probe is a banned voter of its own: every vote request counts in its voter's window, so one voter
        // probing every 50 ms would be rate limited before the ban arrives. The clip is unknown (404 until the ban,
        // which is judged first), so the probes publish nothing.
        var browsers = Enumerable.Range(0, 200).Select(_ => EdgeStack.NewBrowser()).ToList();
        var keys = browsers.Select(b => VoterFingerprint.Compute(b.Ip, [b.UserAgent, "en-US,en;q=0.9", "\"Chromium\";v=\"130\"", "", "", ""])).ToList();
        await stack.Core.UpdateAsync(s => s with { BannedVoterKeys = keys }, announce: false);
        try
        {
            var probes = 0;
            var response = await Eventually.UntilAsync(() => stack.VoteAsync(browsers[probes++ % browsers.Count], Guid.NewGuid()),
                r => r.StatusCode == HttpStatusCode.Forbidden, Propagation, "the ban to arrive by polling");
            await response.AssertProblemAsync(HttpStatusCode.Forbidden, ErrorCodes.VoterBanned);
            Assert.NotEmpty(response.Header("X-RateLimit-Remaining"));
        }
        finally
        {
            await RestoreAsync();
        }
    }

    [Fact]
    public async Task Banned_user_is_403_voter_banned()
    {
        // A banned user per probe, as one voter's probes count in its rate window.
        var users = Enumerable.Range(0, 200).Select(_ => "u-" + Guid.NewGuid().ToString("N")[..8]).ToList();
        await stack.Core.UpdateAsync(s => s with { BannedUserIds = users });
        try
        {
            var probes = 0;
            var response = await Eventually.UntilAsync(
                () => stack.VoteAsync(EdgeStack.NewBrowser(DevTokens.Create(stack.SigningKey, users[probes++ % users.Count])), Guid.NewGuid()),
                r => r.StatusCode == HttpStatusCode.Forbidden, Propagation, "the user ban");
            await response.AssertProblemAsync(HttpStatusCode.Forbidden, ErrorCodes.VoterBanned);
        }
        finally
        {
            await RestoreAsync();
        }
    }

    [Fact]
    public async Task Multi_vote_flag_lifts_one_vote_per_clip_and_each_revoke_takes_back_the_latest()
    {
        await stack.Core.UpdateAsync(s => s with { Flags = s.Flags with { MultiVoteEnabled = true } });
        try
        {
            // A new voter per probe, as one voter's refused second votes count in its rate window.
            JsonElement first = default;
            var browser = EdgeStack.NewBrowser();
            var second = await Eventually.UntilAsync(async () =>
            {
                browser = EdgeStack.NewBrowser();
                first = await (await stack.VoteAsync(browser, Clip)).AssertAcceptedAsync();
                return await stack.VoteAsync(browser, Clip);
            }, r => r.StatusCode == HttpStatusCode.Accepted, Propagation, "a second vote on the clip");
            var body = await second.JsonAsync();
            var (firstId, secondId) = (first.GetProperty("voteId").GetGuid(), body.GetProperty("voteId").GetGuid());
            Assert.NotEqual(firstId, secondId);
            var cast = await Eventually.UntilAsync(() => Task.FromResult(stack.Casts.GetValueOrDefault(secondId)),
                c => c is not null, Propagation, "the VoteCast");
            Assert.True(cast!.MultiVote);

            // The caller has a vote on the clip until both are revoked: the latest first, then the one before.
            foreach (var (voteId, stillVoted) in new[] { (secondId, true), (firstId, false) })
            {
                using var revoke = await stack.SendAsync(HttpMethod.Delete, $"/v1/votes/{Clip}", browser);
                await revoke.AssertAcceptedAsync();
                await Eventually.UntilAsync(() => Task.FromResult(stack.Revokes.ContainsKey(voteId)), TimeSpan.FromSeconds(10), "the VoteRevoked");
                var receipt = await (await stack.SendAsync(HttpMethod.Get, $"/v1/votes/{voteId}", browser)).JsonAsync();
                Assert.Equal("revoked", receipt.GetProperty("status").GetString());
                var ballot = await (await stack.SendAsync(HttpMethod.Get, $"/v1/ballot?seasonId={stack.Season.Id}", browser)).JsonAsync();
                Assert.Equal(stillVoted, ballot.GetProperty("votedClipIds").EnumerateArray().Any(c => c.GetGuid() == Clip));
            }

            using var none = await stack.SendAsync(HttpMethod.Delete, $"/v1/votes/{Clip}", browser);
            await none.AssertProblemAsync(HttpStatusCode.NotFound, ErrorCodes.NotFound);
        }
        finally
        {
            await RestoreAsync();
        }
    }

    [Fact]
    public async Task Edge_keeps_serving_its_last_snapshot_while_core_is_down()
    {
        stack.Core.Down = true;
        try
        {
            await stack.Core.UpdateAsync(s => s);
            await Task.Delay(500);
            await (await stack.VoteAsync(EdgeStack.NewBrowser(), Clip)).AssertAcceptedAsync();
            using var ready = await stack.Direct.GetAsync(stack.BaseUrl + "/readyz");
            Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        }
        finally
        {
            stack.Core.Down = false;
        }
    }

    [Fact]
    public async Task A_clip_of_a_season_that_is_not_active_is_422_clip_not_votable_and_core_is_asked_once()
    {
        var finished = new ClipPlacement { Id = Guid.NewGuid(), SeasonId = Guid.NewGuid(), SeasonNumber = 900, SeasonStatus = SeasonStatuses.Finished };
        stack.Core.UnlistedClips[finished.Id] = finished;

        foreach (var browser in new[] { EdgeStack.NewBrowser(), EdgeStack.NewBrowser() })
        {
            using var response = await stack.VoteAsync(browser, finished.Id);
            var problem = await response.AssertProblemAsync(HttpStatusCode.UnprocessableEntity, ErrorCodes.ClipNotVotable);
            Assert.Contains("finished", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
            Assert.Equal((EdgeStack.VoterLimit - 1).ToString(System.Globalization.CultureInfo.InvariantCulture), response.Header("X-RateLimit-Remaining"));
        }

        // The second voter's answer came from what the edge remembered; an id core does not know is remembered too.
        Assert.Single(stack.Core.ClipLookups, finished.Id);
        var unknown = Guid.NewGuid();
        for (var i = 0; i < 2; i++)
        {
            await (await stack.VoteAsync(EdgeStack.NewBrowser(), unknown)).AssertProblemAsync(HttpStatusCode.NotFound, ErrorCodes.ClipNotFound);
        }

        Assert.Single(stack.Core.ClipLookups, unknown);
    }

    [Fact]
    public async Task A_clip_core_cannot_be_asked_about_is_404_until_core_answers()
    {
        var draft = new ClipPlacement { Id = Guid.NewGuid(), SeasonId = Guid.NewGuid(), SeasonNumber = 900, SeasonStatus = SeasonStatuses.Draft };
        stack.Core.UnlistedClips[draft.Id] = draft;
        stack.Core.Down = true;
        try
        {
            await (await stack.VoteAsync(EdgeStack.NewBrowser(), draft.Id)).AssertProblemAsync(HttpStatusCode.NotFound, ErrorCodes.ClipNotFound);
        }
        finally
        {
            stack.Core.Down = false;
        }

        await (await stack.VoteAsync(EdgeStack.NewBrowser(), draft.Id)).AssertProblemAsync(HttpStatusCode.UnprocessableEntity, ErrorCodes.ClipNotVotable);
        Assert.Equal(2, stack.Core.ClipLookups.Count(id => id == draft.Id));
    }

    [Fact]
    public async Task While_four_lookups_wait_for_core_a_vote_on_another_unlisted_clip_is_404_without_asking()
    {
        var clips = Enumerable.Range(0, 5)
            .Select(_ => new ClipPlacement { Id = Guid.NewGuid(), SeasonId = Guid.NewGuid(), SeasonNumber = 900, SeasonStatus = SeasonStatuses.Archived }).ToList();
        clips.ForEach(c => stack.Core.UnlistedClips[c.Id] = c);
        var (held, other) = (clips[..4], clips[4]);
        stack.Core.ClipLookupGate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Task<HttpResponseMessage>[] waiting;
        try
        {
            waiting = [.. held.Select(c => stack.VoteAsync(EdgeStack.NewBrowser(), c.Id))];
            await Eventually.UntilAsync(() => Task.FromResult(held.All(c => stack.Core.ClipLookups.Contains(c.Id))), Propagation,
                "four lookups waiting in core");
            await (await stack.VoteAsync(EdgeStack.NewBrowser(), other.Id)).AssertProblemAsync(HttpStatusCode.NotFound, ErrorCodes.ClipNotFound);
            Assert.DoesNotContain(other.Id, stack.Core.ClipLookups);
        }
        finally
        {
            stack.Core.ClipLookupGate.SetResult();
            stack.Core.ClipLookupGate = null;
        }

        foreach (var response in await Task.WhenAll(waiting))
        {
            await response.AssertProblemAsync(HttpStatusCode.UnprocessableEntity, ErrorCodes.ClipNotVotable);
        }

        await (await stack.VoteAsync(EdgeStack.NewBrowser(), other.Id)).AssertProblemAsync(HttpStatusCode.UnprocessableEntity, ErrorCodes.ClipNotVotable);
    }

    [Fact]
    public async Task A_rate_limited_vote_on_an_unlisted_clip_does_not_ask_core()
    {
        var browser = EdgeStack.NewBrowser();
        await (await stack.VoteAsync(browser, stack.Season.Clips[2].Id)).AssertAcceptedAsync();
        for (var i = 1; i < EdgeStack.VoterLimit; i++)
        {
            await (await stack.VoteAsync(browser, stack.Season.Clips[2].Id)).AssertProblemAsync(HttpStatusCode.Conflict, ErrorCodes.AlreadyVoted);
        }

        var unlisted = Guid.NewGuid();
        await (await stack.VoteAsync(browser, unlisted)).AssertProblemAsync(HttpStatusCode.TooManyRequests, ErrorCodes.RateLimited);
        Assert.DoesNotContain(unlisted, stack.Core.ClipLookups);
    }

    /// <summary>Back to the fixture's catalog, and wait until the edge has it so the next test starts clean.</summary>
    private async Task RestoreAsync()
    {
        await stack.Core.UpdateAsync(s => s with { Flags = new FeatureFlagSet(), BannedUserIds = [], BannedVoterKeys = [] });
        await Eventually.UntilAsync(() => stack.VoteAsync(EdgeStack.NewBrowser(), stack.Season.Clips[1].Id),
            r => r.StatusCode == HttpStatusCode.Accepted, Propagation, "the catalog to be restored");
    }
}
