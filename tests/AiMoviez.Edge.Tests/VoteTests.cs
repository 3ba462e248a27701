using System.Net;
using AiMoviez.Contracts;
using AiMoviez.Edge.Identity;
using AiMoviez.Edge.Votes;
using NATS.Client.JetStream;

namespace AiMoviez.Edge.Tests;

[Collection(EdgeCollection.Name)]
public sealed class VoteTests(EdgeStack stack)
{
    private static readonly TimeSpan Soon = TimeSpan.FromSeconds(10);

    private Guid Clip(int i) => stack.Season.Clips[i].Id;

    /// <summary>X-RateLimit-Remaining after this many vote requests of a fresh voter.</summary>
    private static string Remaining(int requests) =>
        (EdgeStack.VoterLimit - requests).ToString(System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public async Task Vote_is_accepted_after_the_stream_stored_it_with_the_vote_id_as_message_id()
    {
        var browser = EdgeStack.NewBrowser();
        using var response = await stack.VoteAsync(browser, Clip(0));

        var body = await response.AssertAcceptedAsync();
        var voteId = body.GetProperty("voteId").GetGuid();
        Assert.Equal(Clip(0), body.GetProperty("clipId").GetGuid());
        Assert.Equal(stack.Season.Id, body.GetProperty("seasonId").GetGuid());
        Assert.Equal(3, body.GetProperty("slotPosition").GetInt32());
        Assert.Equal("standard", body.GetProperty("voteType").GetString());
        Assert.Equal(1, body.GetProperty("weight").GetInt32());
        Assert.Equal(EdgeStack.Region, body.GetProperty("region").GetString());
        Assert.Equal("accepted", body.GetProperty("status").GetString());
        Assert.Equal(1, body.GetProperty("totalVotesToday").GetInt32());
        var remaining = body.GetProperty("remainingVotes");
        Assert.Equal(EdgeStack.DailyLimit - 1, remaining.GetProperty("standard").GetInt32());
        Assert.Equal(1, remaining.GetProperty("super").GetInt32());
        Assert.Equal(1, remaining.GetProperty("mega").GetInt32());
        Assert.Equal(EdgeStack.VoterLimit.ToString(System.Globalization.CultureInfo.InvariantCulture), response.Header("X-RateLimit-Limit"));
        Assert.Equal((EdgeStack.VoterLimit - 1).ToString(System.Globalization.CultureInfo.InvariantCulture), response.Header("X-RateLimit-Remaining"));
        Assert.InRange(int.Parse(response.Header("X-RateLimit-Reset"), System.Globalization.CultureInfo.InvariantCulture), 1, 60);

        var stored = await stack.JetStream.GetStreamAsync(StreamNames.Votes(EdgeStack.Region));
        var message = await stored.GetAsync(new NATS.Client.JetStream.Models.StreamMsgGetRequest { LastBySubj = Subjects.VoteCast(EdgeStack.Region, "shard-1") });
        Assert.NotNull(message.Message);
        var cast = await Eventually.UntilAsync(() => Task.FromResult(stack.Casts.GetValueOrDefault(voteId)), c => c is not null, Soon, "the VoteCast");
        Assert.Equal(stack.Season.Clips[0].CreatorId, cast!.CreatorId);
        Assert.Equal(stack.Season.Number, cast.SeasonNumber);
        Assert.Equal(stack.Season.CurrentSlot!.VotingEndsAt, cast.VotingEndsAt);
        Assert.False(cast.Flags.HasFlag(VoteFlags.HeadlessClient));
    }

    [Fact]
    public async Task A_Redis_that_lost_its_scripts_takes_the_next_votes_all_the_same()
    {
        using (var first = await stack.VoteAsync(EdgeStack.NewBrowser(), Clip(0)))
        {
            await first.AssertAcceptedAsync();
        }

        // What a restarted Redis looks like to the edge: no script is known by its hash any more.
        await using (var redis = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(stack.Redis.Endpoint + ",allowAdmin=true"))
        {
            await redis.GetServers()[0].ScriptFlushAsync();
        }

        var browser = EdgeStack.NewBrowser();
        using var vote = await stack.VoteAsync(browser, Clip(0));
        await vote.AssertAcceptedAsync();
        using var again = await stack.VoteAsync(browser, Clip(0));
        await again.AssertProblemAsync(HttpStatusCode.Conflict, ErrorCodes.AlreadyVoted);
    }

    [Fact]
    public async Task Anonymous_voter_key_is_the_fingerprint_of_the_forwarded_client()
    {
        var browser = EdgeStack.NewBrowser();
        var body = await (await stack.VoteAsync(browser, Clip(1))).AssertAcceptedAsync();

        var expected = VoterFingerprint.Compute(browser.Ip, [browser.UserAgent, "en-US,en;q=0.9", "\"Chromium\";v=\"130\"", "", "", ""]);
        var cast = await Eventually.UntilAsync(() => Task.FromResult(stack.Casts.GetValueOrDefault(body.GetProperty("voteId").GetGuid())),
            c => c is not null, Soon, "the VoteCast");
        Assert.Equal(expected, cast!.VoterKey);
    }

    /// <summary>The edge's one port takes a proxy's HTTP/2 with prior knowledge beside browsers' HTTP/1.1.</summary>
    [Fact]
    public async Task A_proxy_may_speak_HTTP2_with_prior_knowledge_on_the_browsers_port()
    {
        var browser = EdgeStack.NewBrowser();
        using var request = stack.Request(HttpMethod.Post, "/v1/votes", browser, new { clipId = Clip(2) });
        request.Version = HttpVersion.Version20;
        request.VersionPolicy = HttpVersionPolicy.RequestVersionExact;
        using var response = await stack.Proxied.SendAsync(request);

        Assert.Equal(HttpVersion.Version20, response.Version);
        var body = await response.AssertAcceptedAsync();
        Assert.Equal($"/v1/votes/{body.GetProperty("voteId").GetGuid()}", response.Headers.Location?.OriginalString);
        var expected = VoterFingerprint.Compute(browser.Ip, [browser.UserAgent, "en-US,en;q=0.9", "\"Chromium\";v=\"130\"", "", "", ""]);
        var cast = await Eventually.UntilAsync(() => Task.FromResult(stack.Casts.GetValueOrDefault(body.GetProperty("voteId").GetGuid())),
            c => c is not null, Soon, "the VoteCast");
        Assert.Equal(expected, cast!.VoterKey);

        using var again = await stack.VoteAsync(browser, Clip(2));
        Assert.Equal(HttpVersion.Version11, again.Version);
        await again.AssertProblemAsync(HttpStatusCode.Conflict, ErrorCodes.AlreadyVoted);
    }

    [Fact]
    public async Task Forwarded_for_from_an_untrusted_address_is_ignored()
    {
        var userAgent = "Mozilla/5.0 Untrusted/" + Guid.NewGuid().ToString("N");
        HttpRequestMessage Vote(string forwardedFor)
        {
            var request = new HttpRequestMessage(HttpMethod.Post, stack.BaseUrl + "/v1/votes")
            {
                Content = new StringContent($"{{\"clipId\":\"{Clip(2)}\"}}", System.Text.Encoding.UTF8, "application/json"),
            };
            request.Headers.TryAddWithoutValidation("User-Agent", userAgent);
            request.Headers.TryAddWithoutValidation("X-Forwarded-For", forwardedFor);
            return request;
        }

        await (await stack.Direct.SendAsync(Vote("203.0.113.10"))).AssertAcceptedAsync();
        // A different forwarded address from the same untrusted peer is the same voter.
        await (await stack.Direct.SendAsync(Vote("203.0.113.11"))).AssertProblemAsync(HttpStatusCode.Conflict, ErrorCodes.AlreadyVoted);
    }

    [Fact]
    public async Task Signed_in_voter_is_keyed_by_the_token_subject()
    {
        var user = "u-" + Guid.NewGuid().ToString("N")[..8];
        var body = await (await stack.VoteAsync(EdgeStack.NewBrowser(DevTokens.Create(stack.SigningKey, user)), Clip(0))).AssertAcceptedAsync();

        var cast = await Eventually.UntilAsync(() => Task.FromResult(stack.Casts.GetValueOrDefault(body.GetProperty("voteId").GetGuid())),
            c => c is not null, Soon, "the VoteCast");
        Assert.Equal("user_" + user, cast!.VoterKey);
    }

    public static TheoryData<string> BadTokens => new()
    {
        "alg-none",
        "wrong-key",
        "expired",
        "wrong-issuer",
        "wrong-audience",
        "garbage",
    };

    [Theory]
    [MemberData(nameof(BadTokens))]
    public async Task Invalid_token_is_refused_not_treated_as_anonymous(string kind)
    {
        var token = kind switch
        {
            "alg-none" => UnsignedToken(),
            "wrong-key" => DevTokens.Create(DevTokens.NewSigningKey(), "u1"),
            "expired" => DevTokens.Create(stack.SigningKey, "u1", now: DateTimeOffset.UtcNow.AddHours(-3)),
            "wrong-issuer" => DevTokens.Create(stack.SigningKey, "u1", issuer: "someone-else"),
            "wrong-audience" => DevTokens.Create(stack.SigningKey, "u1", audience: "someone-else"),
            _ => "not.a.token",
        };

        var browser = EdgeStack.NewBrowser(token);
        using var response = await stack.VoteAsync(browser, Clip(0));
        await response.AssertProblemAsync(HttpStatusCode.Unauthorized, ErrorCodes.AuthRequired);
        // Counted all the same, against the device the caller is.
        Assert.Equal(Remaining(1), response.Header("X-RateLimit-Remaining"));
        using var revoke = await stack.SendAsync(HttpMethod.Delete, $"/v1/votes/{Clip(0)}", browser);
        await revoke.AssertProblemAsync(HttpStatusCode.Unauthorized, ErrorCodes.AuthRequired);
        Assert.Equal(Remaining(2), revoke.Header("X-RateLimit-Remaining"));
        using var anonymous = await stack.VoteAsync(browser with { Token = null }, Clip(0));
        await anonymous.AssertAcceptedAsync();
        Assert.Equal(Remaining(3), anonymous.Header("X-RateLimit-Remaining"));
    }

    [Fact]
    public async Task Second_vote_on_a_clip_is_409_and_not_published()
    {
        var browser = EdgeStack.NewBrowser();
        var first = (await (await stack.VoteAsync(browser, Clip(3))).AssertAcceptedAsync()).GetProperty("voteId").GetGuid();
        var voterKey = (await Eventually.UntilAsync(() => Task.FromResult(stack.Casts.GetValueOrDefault(first)), c => c is not null, Soon, "the VoteCast"))!.VoterKey;

        using var again = await stack.VoteAsync(browser, Clip(3));
        await again.AssertProblemAsync(HttpStatusCode.Conflict, ErrorCodes.AlreadyVoted);
        Assert.Equal(Remaining(2), again.Header("X-RateLimit-Remaining"));
        await Task.Delay(300);
        Assert.Single(stack.Casts.Values, c => c.VoterKey == voterKey);
    }

    [Fact]
    public async Task Super_and_mega_weigh_3_and_10_and_once_per_slot()
    {
        var browser = EdgeStack.NewBrowser();
        var super = await (await stack.VoteAsync(browser, Clip(0), "super")).AssertAcceptedAsync();
        Assert.Equal(3, super.GetProperty("weight").GetInt32());
        Assert.Equal(0, super.GetProperty("remainingVotes").GetProperty("super").GetInt32());
        var mega = await (await stack.VoteAsync(browser, Clip(1), "mega")).AssertAcceptedAsync();
        Assert.Equal(10, mega.GetProperty("weight").GetInt32());
        Assert.Equal(13, mega.GetProperty("totalVotesToday").GetInt32());

        using var secondSuper = await stack.VoteAsync(browser, Clip(2), "super");
        await secondSuper.AssertProblemAsync(HttpStatusCode.UnprocessableEntity, ErrorCodes.SlotLimit);
        Assert.NotEmpty(secondSuper.Header("X-RateLimit-Remaining"));
        await (await stack.VoteAsync(browser, Clip(3), "mega")).AssertProblemAsync(HttpStatusCode.UnprocessableEntity, ErrorCodes.SlotLimit);
    }

    [Fact]
    public async Task Weighted_votes_beyond_the_daily_limit_are_429_daily_limit()
    {
        var browser = EdgeStack.NewBrowser();
        await (await stack.VoteAsync(browser, Clip(4), "mega")).AssertAcceptedAsync();
        var second = await (await stack.VoteAsync(browser, stack.OtherSeason.Clips[0].Id, "mega")).AssertAcceptedAsync();
        Assert.Equal(0, second.GetProperty("remainingVotes").GetProperty("standard").GetInt32());

        using var over = await stack.VoteAsync(browser, Clip(5));
        await over.AssertProblemAsync(HttpStatusCode.TooManyRequests, ErrorCodes.DailyLimit);
        Assert.True(int.Parse(over.Header("Retry-After"), System.Globalization.CultureInfo.InvariantCulture) > 0);
    }

    [Fact]
    public async Task Votes_beyond_the_per_voter_window_are_429_with_retry_after_and_bursts_are_flagged()
    {
        var browser = EdgeStack.NewBrowser();
        var ids = new List<Guid>();
        for (var i = 0; i < EdgeStack.VoterLimit; i++)
        {
            using var response = await stack.VoteAsync(browser, Clip(i));
            ids.Add((await response.AssertAcceptedAsync()).GetProperty("voteId").GetGuid());
            Assert.Equal((EdgeStack.VoterLimit - 1 - i).ToString(System.Globalization.CultureInfo.InvariantCulture), response.Header("X-RateLimit-Remaining"));
        }

        using var limited = await stack.VoteAsync(browser, Clip(EdgeStack.VoterLimit));
        await limited.AssertProblemAsync(HttpStatusCode.TooManyRequests, ErrorCodes.RateLimited);
        Assert.InRange(int.Parse(limited.Header("Retry-After"), System.Globalization.CultureInfo.InvariantCulture), 1, 60);
        Assert.Equal("0", limited.Header("X-RateLimit-Remaining"));

        var casts = await Eventually.UntilAsync(() => Task.FromResult(ids.Select(id => stack.Casts.GetValueOrDefault(id)).ToList()),
            c => c.All(x => x is not null), Soon, "the VoteCasts");
        Assert.False(casts[0]!.Flags.HasFlag(VoteFlags.AtRateLimit));
        Assert.True(casts[^1]!.Flags.HasFlag(VoteFlags.AtRateLimit));
    }

    [Fact]
    public async Task Votes_beyond_the_per_ip_window_are_429_and_many_voter_keys_per_ip_are_flagged()
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
        Assert.NotEmpty(limited.Header("Retry-After"));

        var casts = await Eventually.UntilAsync(() => Task.FromResult(ids.Select(id => stack.Casts.GetValueOrDefault(id)).ToList()),
            c => c.All(x => x is not null), Soon, "the VoteCasts");
        Assert.False(casts[0]!.Flags.HasFlag(VoteFlags.ManyVoterKeysFromIp));
        Assert.True(casts[EdgeStack.VoterKeysPerIpFlag]!.Flags.HasFlag(VoteFlags.ManyVoterKeysFromIp));
    }

    [Fact]
    public async Task Every_key_a_voters_votes_leave_in_Redis_expires_and_the_day_key_keeps_its_first_expiry()
    {
        var browser = EdgeStack.NewBrowser();
        using var first = await stack.VoteAsync(browser, Clip(0));
        var firstId = (await first.AssertAcceptedAsync()).GetProperty("voteId").GetGuid();
        // The voter's window held nothing before: it resets a whole window (60 s) after this vote.
        Assert.Equal("60", first.Header("X-RateLimit-Reset"));
        var cast = await Eventually.UntilAsync(() => Task.FromResult(stack.Casts.GetValueOrDefault(firstId)), c => c is not null, Soon, "the VoteCast");
        await using var redis = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(stack.Redis.Endpoint + ",allowAdmin=true");
        var server = redis.GetServers()[0];
        var db = redis.GetDatabase();
        var dayKey = Assert.Single(server.Keys(pattern: "day:*" + cast!.VoterKey + "*"));
        var dayExpiry = await db.KeyExpireTimeAsync(dayKey);

        await Task.Delay(TimeSpan.FromSeconds(1.1));
        using var second = await stack.VoteAsync(browser, Clip(1));
        var secondId = (await second.AssertAcceptedAsync()).GetProperty("voteId").GetGuid();
        Assert.InRange(int.Parse(second.Header("X-RateLimit-Reset"), System.Globalization.CultureInfo.InvariantCulture), 1, 59);

        Assert.NotNull(dayExpiry);
        Assert.Equal(dayExpiry, await db.KeyExpireTimeAsync(dayKey));
        var keys = server.Keys(pattern: "*" + cast.VoterKey + "*").Concat(server.Keys(pattern: "*" + browser.Ip + "*"))
            .Select(k => (string)k!).Concat([AiMoviez.Edge.Votes.VoteLedger.ReceiptKey(firstId), AiMoviez.Edge.Votes.VoteLedger.ReceiptKey(secondId)]).ToList();
        foreach (var prefix in new[] { "rl:v:", "rl:ip:", "vs:", "day:", "ipk:", "receipt:" })
        {
            Assert.Contains(keys, k => k.StartsWith(prefix, StringComparison.Ordinal));
        }

        foreach (var key in keys)
        {
            Assert.True(await db.KeyExistsAsync(key), key);
            Assert.NotNull(await db.KeyTimeToLiveAsync(key));
        }
    }

    [Fact]
    public async Task Refused_vote_requests_and_revokes_count_in_the_voter_window_until_429()
    {
        var browser = EdgeStack.NewBrowser();
        var requests = new (HttpStatusCode Status, string? Code, Func<Task<HttpResponseMessage>> Send)[]
        {
            (HttpStatusCode.Accepted, null, () => stack.VoteAsync(browser, Clip(2))),
            (HttpStatusCode.Conflict, ErrorCodes.AlreadyVoted, () => stack.VoteAsync(browser, Clip(2))),
            (HttpStatusCode.NotFound, ErrorCodes.ClipNotFound, () => stack.VoteAsync(browser, Guid.NewGuid())),
            (HttpStatusCode.BadRequest, ErrorCodes.InvalidRequest, () => stack.SendAsync(HttpMethod.Post, "/v1/votes", browser, "{}")),
            (HttpStatusCode.NotFound, ErrorCodes.NotFound, () => stack.SendAsync(HttpMethod.Delete, $"/v1/votes/{Clip(3)}", browser)),
        };
        for (var i = 0; i < requests.Length; i++)
        {
            using var response = await requests[i].Send();
            if (requests[i].Code is { } code)
            {
                await response.AssertProblemAsync(requests[i].Status, code);
            }
            else
            {
                await response.AssertAcceptedAsync();
            }

            Assert.Equal(Remaining(i + 1), response.Header("X-RateLimit-Remaining"));
            Assert.InRange(int.Parse(response.Header("X-RateLimit-Reset"), System.Globalization.CultureInfo.InvariantCulture), 1, 60);
        }

        foreach (var send in new Func<Task<HttpResponseMessage>>[]
        {
            () => stack.VoteAsync(browser, Clip(2)),
            () => stack.VoteAsync(browser, Clip(3)),
            () => stack.SendAsync(HttpMethod.Delete, $"/v1/votes/{Clip(2)}", browser),
            () => stack.SendAsync(HttpMethod.Post, "/v1/votes", browser, "{}"),
        })
        {
            using var limited = await send();
            await limited.AssertProblemAsync(HttpStatusCode.TooManyRequests, ErrorCodes.RateLimited);
            Assert.InRange(int.Parse(limited.Header("Retry-After"), System.Globalization.CultureInfo.InvariantCulture), 1, 60);
            Assert.Equal("0", limited.Header("X-RateLimit-Remaining"));
            Assert.Equal(EdgeStack.VoterLimit.ToString(System.Globalization.CultureInfo.InvariantCulture), limited.Header("X-RateLimit-Limit"));
        }
    }

    [Fact]
    public async Task Refused_vote_requests_count_in_the_ip_window()
    {
        var first = EdgeStack.NewBrowser();
        for (var i = 0; i < EdgeStack.IpLimit; i++)
        {
            await (await stack.VoteAsync(first with { UserAgent = first.UserAgent + "/" + i }, Guid.NewGuid()))
                .AssertProblemAsync(HttpStatusCode.NotFound, ErrorCodes.ClipNotFound);
        }

        using var limited = await stack.VoteAsync(first with { UserAgent = first.UserAgent + "/next" }, Clip(1));
        await limited.AssertProblemAsync(HttpStatusCode.TooManyRequests, ErrorCodes.RateLimited);
        Assert.InRange(int.Parse(limited.Header("Retry-After"), System.Globalization.CultureInfo.InvariantCulture), 1, 60);
        await (await stack.SendAsync(HttpMethod.Delete, $"/v1/votes/{Clip(1)}", first with { UserAgent = first.UserAgent + "/revoke" }))
            .AssertProblemAsync(HttpStatusCode.TooManyRequests, ErrorCodes.RateLimited);
    }

    [Fact]
    public async Task Headless_client_vote_is_accepted_but_flagged()
    {
        var body = await (await stack.VoteAsync(EdgeStack.NewBrowser(headless: true), Clip(7))).AssertAcceptedAsync();

        var cast = await Eventually.UntilAsync(() => Task.FromResult(stack.Casts.GetValueOrDefault(body.GetProperty("voteId").GetGuid())),
            c => c is not null, Soon, "the VoteCast");
        Assert.True(cast!.Flags.HasFlag(VoteFlags.HeadlessClient));
    }

    [Fact]
    public async Task Retry_with_the_same_idempotency_key_returns_the_same_body_and_publishes_once()
    {
        var browser = EdgeStack.NewBrowser();
        var key = Guid.NewGuid().ToString();
        using var first = await stack.VoteAsync(browser, Clip(8), "super", key);
        var firstBody = await first.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);

        using var second = await stack.VoteAsync(browser, Clip(8), "super", key);
        Assert.Equal(HttpStatusCode.Accepted, second.StatusCode);
        Assert.Equal(firstBody, await second.Content.ReadAsStringAsync());
        Assert.Equal(Remaining(2), second.Header("X-RateLimit-Remaining"));

        var voteId = (await first.JsonAsync()).GetProperty("voteId").GetGuid();
        await Eventually.UntilAsync(() => Task.FromResult(stack.Casts.ContainsKey(voteId)), Soon, "the VoteCast");
        Assert.Single(stack.Casts.Values, c => c.ClipId == Clip(8) && c.VoterKey == stack.Casts[voteId].VoterKey);
    }

    [Fact]
    public async Task Unknown_clip_is_404_clip_not_found()
    {
        using var response = await stack.VoteAsync(EdgeStack.NewBrowser(), Guid.NewGuid());
        await response.AssertProblemAsync(HttpStatusCode.NotFound, ErrorCodes.ClipNotFound);
        Assert.Equal(Remaining(1), response.Header("X-RateLimit-Remaining"));
    }

    [Fact]
    public async Task Pending_clip_of_an_active_season_is_422_clip_not_votable()
    {
        using var response = await stack.VoteAsync(EdgeStack.NewBrowser(), stack.Season.NotVotableClipIds[0]);
        await response.AssertProblemAsync(HttpStatusCode.UnprocessableEntity, ErrorCodes.ClipNotVotable);
        Assert.NotEmpty(response.Header("X-RateLimit-Remaining"));
    }

    [Fact]
    public async Task Clip_of_a_slot_that_is_not_voting_is_422_clip_not_votable() =>
        await (await stack.VoteAsync(EdgeStack.NewBrowser(), stack.WaitingSeason.Clips[0].Id))
            .AssertProblemAsync(HttpStatusCode.UnprocessableEntity, ErrorCodes.ClipNotVotable);

    [Fact]
    public async Task Vote_after_voting_ends_is_422_voting_closed() =>
        await (await stack.VoteAsync(EdgeStack.NewBrowser(), stack.ClosedSeason.Clips[0].Id))
            .AssertProblemAsync(HttpStatusCode.UnprocessableEntity, ErrorCodes.VotingClosed);

    [Fact]
    public async Task Revoke_after_voting_ends_is_422_voting_closed_and_publishes_nothing()
    {
        var clip = stack.ClosedSeason.Clips[0].Id;
        using var response = await stack.SendAsync(HttpMethod.Delete, $"/v1/votes/{clip}", EdgeStack.NewBrowser());
        await response.AssertProblemAsync(HttpStatusCode.UnprocessableEntity, ErrorCodes.VotingClosed);
        Assert.NotEmpty(response.Header("X-RateLimit-Remaining"));
        Assert.DoesNotContain(stack.Revokes.Values, r => r.ClipId == clip);
    }

    [Fact]
    public async Task A_decision_written_after_the_slot_reset_that_removed_the_vote_leaves_its_receipt_revoked()
    {
        var browser = EdgeStack.NewBrowser();
        var voteId = (await (await stack.VoteAsync(browser, Clip(6), "super")).AssertAcceptedAsync()).GetProperty("voteId").GetGuid();
        var cast = await Eventually.UntilAsync(() => Task.FromResult(stack.Casts.GetValueOrDefault(voteId)), c => c is not null, Soon, "the VoteCast");
        (await stack.JetStream.PublishAsync(Subjects.SlotResets(EdgeStack.Region), new SlotVotesReset
        {
            SeasonId = stack.Season.Id,
            SlotPosition = stack.Season.CurrentSlot!.Position,
            Votes = [new ResetVote(voteId, cast!.VoterKey, Clip(6), "super", 3, DateOnly.FromDateTime(cast.AcceptedAt.UtcDateTime))],
        })).EnsureSuccess();
        await Eventually.UntilAsync(async () => await (await stack.SendAsync(HttpMethod.Get, $"/v1/votes/{voteId}", browser)).JsonAsync(),
            r => r.GetProperty("status").GetString() == "revoked", Soon, "the reset to revoke the receipt");

        // The aggregator's decision, published before the reset, reaches the receipt after it.
        (await stack.JetStream.PublishAsync(Subjects.Receipts(EdgeStack.Region),
            new VoteDecisions { Decisions = [new VoteDecision(voteId, VoteStatuses.Counted, null)] })).EnsureSuccess();
        await using var redis = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(stack.Redis.Endpoint);
        await Eventually.UntilAsync(async () => (string?)await redis.GetDatabase().HashGetAsync(VoteLedger.ReceiptKey(voteId), "status"),
            status => status == VoteStatuses.Counted, Soon, "the late decision to be written");

        var receipt = await (await stack.SendAsync(HttpMethod.Get, $"/v1/votes/{voteId}", browser)).JsonAsync();
        Assert.Equal(("revoked", VoteStatuses.SlotResetReason), (receipt.GetProperty("status").GetString(), receipt.GetProperty("reason").GetString()));
    }

    public static TheoryData<string, string, HttpStatusCode, string> BadBodies => new()
    {
        { "malformed json", "{\"clipId\": ", HttpStatusCode.BadRequest, ErrorCodes.InvalidRequest },
        { "clip id of the wrong type", "{\"clipId\": 42}", HttpStatusCode.BadRequest, ErrorCodes.InvalidRequest },
        { "clip id not a uuid", "{\"clipId\": \"abc\"}", HttpStatusCode.BadRequest, ErrorCodes.InvalidRequest },
        { "missing clip id", "{\"voteType\": \"standard\"}", HttpStatusCode.BadRequest, ErrorCodes.InvalidRequest },
        { "unknown vote type", "{\"clipId\": \"CLIP\", \"voteType\": \"giga\"}", HttpStatusCode.BadRequest, ErrorCodes.InvalidRequest },
        { "vote type of the wrong type", "{\"clipId\": \"CLIP\", \"voteType\": 3}", HttpStatusCode.BadRequest, ErrorCodes.InvalidRequest },
        { "json array", "[]", HttpStatusCode.BadRequest, ErrorCodes.InvalidRequest },
        { "empty body", "", HttpStatusCode.BadRequest, ErrorCodes.InvalidRequest },
        { "body over 1 KiB", "{\"clipId\": \"CLIP\", \"pad\": \"" + new string('x', 1100) + "\"}", HttpStatusCode.RequestEntityTooLarge, ErrorCodes.PayloadTooLarge },
    };

    [Theory]
    [MemberData(nameof(BadBodies))]
    public async Task Bad_input_is_a_problem_and_changes_nothing(string what, string body, HttpStatusCode status, string code)
    {
        Assert.NotEmpty(what);
        var browser = EdgeStack.NewBrowser();
        using var response = await stack.SendAsync(HttpMethod.Post, "/v1/votes", browser,
            new StringContent(body.Replace("CLIP", Clip(9).ToString(), StringComparison.Ordinal), System.Text.Encoding.UTF8, "application/json"));
        await response.AssertProblemAsync(status, code);
        Assert.Equal(Remaining(1), response.Header("X-RateLimit-Remaining"));

        using var vote = await stack.VoteAsync(browser, Clip(9));
        await vote.AssertAcceptedAsync();
        Assert.Equal(Remaining(2), vote.Header("X-RateLimit-Remaining"));
    }

    [Fact]
    public async Task Unknown_route_and_wrong_method_are_problems()
    {
        await (await stack.Direct.GetAsync(stack.BaseUrl + "/v1/nothing-here")).AssertProblemAsync(HttpStatusCode.NotFound, ErrorCodes.NotFound);
        await (await stack.Direct.PutAsync(stack.BaseUrl + "/v1/votes", null)).AssertProblemAsync(HttpStatusCode.MethodNotAllowed, ErrorCodes.InvalidRequest);
    }

    [Fact]
    public async Task Revoke_publishes_the_revocation_and_lets_the_voter_vote_again()
    {
        var browser = EdgeStack.NewBrowser();
        var vote = await (await stack.VoteAsync(browser, Clip(10), "mega")).AssertAcceptedAsync();
        var voteId = vote.GetProperty("voteId").GetGuid();

        using var revoke = await stack.SendAsync(HttpMethod.Delete, $"/v1/votes/{Clip(10)}", browser);
        var revoked = await revoke.AssertAcceptedAsync();
        Assert.Equal("revoked", revoked.GetProperty("status").GetString());
        Assert.Equal(Clip(10), revoked.GetProperty("clipId").GetGuid());
        Assert.NotEmpty(revoke.Header("X-RateLimit-Limit"));
        await Eventually.UntilAsync(() => Task.FromResult(stack.Revokes.ContainsKey(voteId)), Soon, "the VoteRevoked");
        var receipt = await (await stack.SendAsync(HttpMethod.Get, $"/v1/votes/{voteId}", browser)).JsonAsync();
        Assert.Equal("revoked", receipt.GetProperty("status").GetString());

        var again = await (await stack.VoteAsync(browser, Clip(10), "mega")).AssertAcceptedAsync();
        Assert.Equal(10, again.GetProperty("totalVotesToday").GetInt32());
        Assert.NotEqual(voteId, again.GetProperty("voteId").GetGuid());
    }

    [Fact]
    public async Task Revoke_without_a_vote_is_404() =>
        await (await stack.SendAsync(HttpMethod.Delete, $"/v1/votes/{Clip(11)}", EdgeStack.NewBrowser()))
            .AssertProblemAsync(HttpStatusCode.NotFound, ErrorCodes.NotFound);

    [Fact]
    public async Task Receipt_follows_the_aggregators_decision()
    {
        var browser = EdgeStack.NewBrowser();
        var counted = (await (await stack.VoteAsync(browser, Clip(11))).AssertAcceptedAsync()).GetProperty("voteId").GetGuid();
        var rejected = (await (await stack.VoteAsync(browser, Clip(10))).AssertAcceptedAsync()).GetProperty("voteId").GetGuid();
        var receipt = await (await stack.SendAsync(HttpMethod.Get, $"/v1/votes/{counted}", browser)).JsonAsync();
        Assert.Equal("accepted", receipt.GetProperty("status").GetString());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, receipt.GetProperty("reason").ValueKind);

        var ack = await stack.JetStream.PublishAsync(Subjects.Receipts(EdgeStack.Region), new VoteDecisions
        {
            Decisions = [new VoteDecision(counted, VoteStatuses.Counted, null), new VoteDecision(rejected, VoteStatuses.Rejected, ErrorCodes.DailyLimit)],
        });
        Assert.Null(ack.Error);

        await Eventually.UntilAsync(async () =>
            (await (await stack.SendAsync(HttpMethod.Get, $"/v1/votes/{counted}", browser)).JsonAsync()).GetProperty("status").GetString() == "counted",
            TimeSpan.FromSeconds(10), "the receipt to reach counted");
        var rejection = await (await stack.SendAsync(HttpMethod.Get, $"/v1/votes/{rejected}", browser)).JsonAsync();
        Assert.Equal("rejected", rejection.GetProperty("status").GetString());
        Assert.Equal(ErrorCodes.DailyLimit, rejection.GetProperty("reason").GetString());
    }

    [Fact]
    public async Task Receipt_of_an_unknown_vote_is_404_and_a_bad_id_400()
    {
        await (await stack.SendAsync(HttpMethod.Get, $"/v1/votes/{Guid.NewGuid()}", EdgeStack.NewBrowser())).AssertProblemAsync(HttpStatusCode.NotFound, ErrorCodes.NotFound);
        await (await stack.SendAsync(HttpMethod.Get, "/v1/votes/not-a-uuid", EdgeStack.NewBrowser())).AssertProblemAsync(HttpStatusCode.BadRequest, ErrorCodes.InvalidRequest);
    }

    private static string UnsignedToken()
    {
        static string Encode(string json) => Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(json)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var exp = DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeSeconds();
        return Encode("{\"alg\":\"none\",\"typ\":\"JWT\"}") + "." +
               Encode($"{{\"sub\":\"u1\",\"iss\":\"{DevTokens.Issuer}\",\"aud\":\"{DevTokens.Audience}\",\"exp\":{exp}}}") + ".";
    }
}
