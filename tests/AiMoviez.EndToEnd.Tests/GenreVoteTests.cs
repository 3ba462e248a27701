using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using AiMoviez.Contracts;
using NATS.Client.Core;
using NATS.Client.JetStream;

namespace AiMoviez.EndToEnd.Tests;

/// <summary>
/// The genre vote between seasons (CONTRACT.md sections 4 and 5): set, changed and withdrawn at any edge, through the
/// vote stream to the genre shard exactly once, the counts back at every edge and in core's admin read. The counts are
/// shared by the class's tests, which run one after the other, so each compares with the counts it found first.
/// </summary>
public sealed class GenreVoteTests(SystemUnderTest system) : IClassFixture<SystemUnderTest>
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Votes_set_changed_and_withdrawn_in_several_regions_converge_to_exact_counts_at_core_and_at_every_edge()
    {
        var before = await SettledCoreCountsAsync();
        var (usEast, euWest, apSouth) = (system.Edges["us-east"].BaseUrl, system.Edges["eu-west"].BaseUrl, system.Edges["ap-south"].BaseUrl);
        var (a, b, c) = (Voter("a"), Voter("b"), Voter("c"));

        var first = await OkAsync(await PutAsync(usEast, a, "comedy"));
        Assert.Equal("Comedy", (string?)first["myGenre"]);
        Assert.Equal(GenreVoting.Genres.Order(), first["percentages"]!.AsObject().Select(p => p.Key).Order());
        Assert.Equal("Comedy", (string?)(await OkAsync(await GetAsync(usEast, a)))["myGenre"]);
        await OkAsync(await PutAsync(euWest, b, "Comedy"));
        await OkAsync(await PutAsync(apSouth, c, "Horror"));
        // The same voter changes their vote in another region, and another withdraws theirs.
        await OkAsync(await PutAsync(euWest, a, "Horror"));
        var withdrawn = await OkAsync(await DeleteAsync(apSouth, c));
        Assert.Null((string?)withdrawn["myGenre"]);

        var expected = Add(before, ("Comedy", 1), ("Horror", 1));
        var results = await Eventually.UntilAsync(CoreResultsAsync, r => SameCounts(Counts(r), expected), Wait, "core's genre counts");
        Assert.Equal(expected.Values.Sum(), (long)results["totalVotes"]!);
        Assert.Equal(Percent(expected, "Horror"), (double)results["percentages"]!["Horror"]!);
        foreach (var edge in system.Edges.Values)
        {
            var answer = await Eventually.UntilAsync(() => OkAsync(GetAsync(edge.BaseUrl, b)),
                r => (long)r["totalVotes"]! == expected.Values.Sum() && (double)r["percentages"]!["Comedy"]! == Percent(expected, "Comedy"),
                Wait, $"the genre counts at {edge.Name}");
            Assert.NotNull((string?)answer["asOf"]);
        }
    }

    [Fact]
    public async Task A_change_published_twice_or_arriving_after_a_newer_one_counts_once()
    {
        var before = await SettledCoreCountsAsync();
        var voterKey = "user_genre-replay-" + Guid.NewGuid().ToString("N")[..8];
        var newer = Change(voterKey, "Action", sequence: 2_000);
        var older = Change(voterKey, "Romance", sequence: 1_000);
        await using var nats = new NatsConnection(new NatsOpts { Url = system.Stack.Nats["us-east"].Url });
        var jetStream = new NatsJSContext(nats);
        var subject = Subjects.GenreVote("us-east", new ShardMap(system.Stack.Topology).GenreLane);

        // The edge's retry (same Nats-Msg-Id) is dropped by the stream; a copy past its duplicate window, or a late older
        // change from another region, reaches the shard and changes nothing.
        await PublishAsync(jetStream, subject, newer, "genre-" + newer.ChangeId);
        await PublishAsync(jetStream, subject, newer, "genre-" + newer.ChangeId, expectDuplicate: true);
        await PublishAsync(jetStream, subject, newer, "genre-copy-" + newer.ChangeId);
        await PublishAsync(jetStream, subject, older, "genre-" + older.ChangeId);
        var marker = Voter("marker");
        await OkAsync(await PutAsync(system.Edges["us-east"].BaseUrl, marker, "Animation"));

        var expected = Add(before, ("Action", 1), ("Animation", 1));
        await Eventually.UntilAsync(CoreResultsAsync, r => SameCounts(Counts(r), expected), Wait, "the change counted once");
    }

    [Fact]
    public async Task An_invalid_genre_or_body_is_refused_and_changes_nothing()
    {
        var usEast = system.Edges["us-east"].BaseUrl;
        var voter = Voter("invalid");
        await OkAsync(await PutAsync(usEast, voter, "Thriller"));
        var before = await SettledCoreCountsAsync();
        Assert.True(before["Thriller"] > 0);

        await AssertProblemAsync(await PutAsync(usEast, voter, "Western"), HttpStatusCode.BadRequest, ErrorCodes.InvalidRequest);
        await AssertProblemAsync(await SendAsync(HttpMethod.Put, usEast, voter, new StringContent("{\"genre\":", Encoding.UTF8, "application/json")),
            HttpStatusCode.BadRequest, ErrorCodes.InvalidRequest);
        await AssertProblemAsync(await SendAsync(HttpMethod.Put, usEast, voter, JsonContent.Create(new { genre = new string('x', 4096) })),
            HttpStatusCode.RequestEntityTooLarge, ErrorCodes.PayloadTooLarge);
        Assert.Equal("Thriller", (string?)(await OkAsync(await GetAsync(usEast, voter)))["myGenre"]);

        var marker = Voter("invalid-marker");
        await OkAsync(await PutAsync(usEast, marker, "Sci-Fi"));
        var expected = Add(before, ("Sci-Fi", 1));
        await Eventually.UntilAsync(CoreResultsAsync, r => SameCounts(Counts(r), expected), Wait, "only the marker's vote added");
    }

    [Fact]
    public async Task A_banned_voter_is_refused_403_and_a_withdrawal_too()
    {
        var usEast = system.Edges["us-east"].BaseUrl;
        var userId = "genre-banned-" + Guid.NewGuid().ToString("N")[..8];
        var voter = new GenreVoter(system.Stack.UserToken(userId), "10.9.9.1");
        await OkAsync(await PutAsync(usEast, voter, "Comedy"));
        using (var ban = Admin(HttpMethod.Put, $"/v1/admin/users/{userId}/ban"))
        {
            ban.Content = JsonContent.Create(new { banned = true });
            (await system.Http.SendAsync(ban)).EnsureSuccessStatusCode();
        }

        // Probed with the genre the voter holds, so the probes answered before the edge knew the ban change nothing.
        await Eventually.UntilAsync(async () => (await PutAsync(usEast, voter, "Comedy")).StatusCode == HttpStatusCode.Forbidden, Wait,
            "the edge to know the ban");
        await AssertProblemAsync(await PutAsync(usEast, voter, "Horror"), HttpStatusCode.Forbidden, ErrorCodes.VoterBanned);
        await AssertProblemAsync(await DeleteAsync(usEast, voter), HttpStatusCode.Forbidden, ErrorCodes.VoterBanned);
        Assert.Equal("Comedy", (string?)(await OkAsync(await GetAsync(usEast, voter)))["myGenre"]);
    }

    [Fact]
    public async Task Genre_votes_count_in_the_same_rate_window_as_votes_and_answer_its_headers()
    {
        var usEast = system.Edges["us-east"].BaseUrl;
        var voter = Voter("rate");
        using var first = await PutAsync(usEast, voter, "Action");
        Assert.Equal("30", Header(first, "X-RateLimit-Limit"));
        Assert.Equal("29", Header(first, "X-RateLimit-Remaining"));
        Assert.True(long.Parse(Header(first, "X-RateLimit-Reset")) > 0);

        // A vote request (refused for its body) counts in the voter's window, then a withdrawal does.
        using (var vote = new HttpRequestMessage(HttpMethod.Post, usEast + "/v1/votes") { Content = JsonContent.Create(new { clipId = "nope" }) })
        {
            voter.Apply(vote);
            using var refused = await system.Http.SendAsync(vote);
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            Assert.Equal("28", Header(refused, "X-RateLimit-Remaining"));
        }

        using var withdrawn = await DeleteAsync(usEast, voter);
        Assert.Equal("27", Header(withdrawn, "X-RateLimit-Remaining"));
        for (var i = 0; i < 27; i++)
        {
            (await PutAsync(usEast, voter, "Action")).EnsureSuccessStatusCode();
        }

        using var limited = await PutAsync(usEast, voter, "Action");
        await AssertProblemAsync(limited, (HttpStatusCode)429, ErrorCodes.RateLimited);
        Assert.Equal("0", Header(limited, "X-RateLimit-Remaining"));
        Assert.NotNull(limited.Headers.RetryAfter);
    }

    [Fact]
    public async Task The_admin_results_need_an_admin_token_and_are_audited()
    {
        using (var anonymous = new HttpRequestMessage(HttpMethod.Get, system.Core.BaseUrl + "/v1/admin/genre-votes"))
        {
            await AssertProblemAsync(await system.Http.SendAsync(anonymous), HttpStatusCode.Unauthorized, ErrorCodes.AuthRequired);
        }

        using (var user = new HttpRequestMessage(HttpMethod.Get, system.Core.BaseUrl + "/v1/admin/genre-votes"))
        {
            user.Headers.Authorization = new AuthenticationHeaderValue("Bearer", system.Stack.UserToken("genre-not-admin"));
            await AssertProblemAsync(await system.Http.SendAsync(user), HttpStatusCode.Forbidden, ErrorCodes.Forbidden);
        }

        var results = await CoreResultsAsync();
        Assert.Equal(GenreVoting.Genres.Order(), results["counts"]!.AsObject().Select(p => p.Key).Order());
        using var audit = Admin(HttpMethod.Get, "/v1/admin/audit-logs?limit=100");
        var entries = (await (await system.Http.SendAsync(audit)).Content.ReadFromJsonAsync<JsonObject>())!["items"]!.AsArray();
        Assert.Contains(entries, e => (string?)e!["action"] == "genre_votes.read");
    }

    private sealed record GenreVoter(string? Token, string ClientIp)
    {
        public void Apply(HttpRequestMessage request)
        {
            if (Token is not null)
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Token);
            }

            request.Headers.TryAddWithoutValidation("X-Forwarded-For", ClientIp);
            request.Headers.TryAddWithoutValidation("User-Agent", "Mozilla/5.0 (E2E genre voter)");
            request.Headers.TryAddWithoutValidation("Accept-Language", "en-US");
        }
    }

    /// <summary>A signed-in voter of its own, from an IP of its own, so no test shares another's rate windows.</summary>
    private GenreVoter Voter(string name)
    {
        var id = Guid.NewGuid();
        return new GenreVoter(system.Stack.UserToken($"genre-{name}-{id.ToString("N")[..8]}"), $"10.{id.ToByteArray()[0]}.{id.ToByteArray()[1]}.{id.ToByteArray()[2]}");
    }

    private Task<HttpResponseMessage> PutAsync(string edgeUrl, GenreVoter voter, string genre) =>
        SendAsync(HttpMethod.Put, edgeUrl, voter, JsonContent.Create(new { genre }));

    private Task<HttpResponseMessage> DeleteAsync(string edgeUrl, GenreVoter voter) => SendAsync(HttpMethod.Delete, edgeUrl, voter, null);

    private Task<HttpResponseMessage> GetAsync(string edgeUrl, GenreVoter voter) => SendAsync(HttpMethod.Get, edgeUrl, voter, null);

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string edgeUrl, GenreVoter voter, HttpContent? content)
    {
        using var request = new HttpRequestMessage(method, edgeUrl + "/v1/genre-vote") { Content = content };
        voter.Apply(request);
        return await system.Http.SendAsync(request);
    }

    private static async Task<JsonObject> OkAsync(HttpResponseMessage response)
    {
        using (response)
        {
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {text}");
            return JsonNode.Parse(text)!.AsObject();
        }
    }

    private static async Task<JsonObject> OkAsync(Task<HttpResponseMessage> response) => await OkAsync(await response);

    private static async Task AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string code)
    {
        using (response)
        {
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == status, $"{(int)response.StatusCode}: {text}");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.Equal(code, (string?)JsonNode.Parse(text)!["code"]);
        }
    }

    private static string Header(HttpResponseMessage response, string name) => response.Headers.GetValues(name).Single();

    private HttpRequestMessage Admin(HttpMethod method, string path)
    {
        var request = new HttpRequestMessage(method, system.Core.BaseUrl + path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", system.Stack.AdminToken());
        return request;
    }

    private async Task<JsonObject> CoreResultsAsync()
    {
        using var request = Admin(HttpMethod.Get, "/v1/admin/genre-votes");
        return await OkAsync(await system.Http.SendAsync(request));
    }

    private async Task<Dictionary<string, long>> CoreCountsAsync() => Counts(await CoreResultsAsync());

    /// <summary>
    /// The counts once every change an edge answered is applied: the aggregator's consumers have nothing pending or
    /// unacked in any region (an earlier test's last changes may still be on their way).
    /// </summary>
    private async Task<Dictionary<string, long>> SettledCoreCountsAsync()
    {
        await Eventually.UntilAsync(async () =>
        {
            using var request = Admin(HttpMethod.Get, "/v1/admin/pipeline");
            return await OkAsync(await system.Http.SendAsync(request));
        }, pipeline => pipeline["regions"]!.AsArray().All(r => (long)r!["consumerLag"]! == 0 && (long)r!["ackPending"]! == 0),
            Wait, "every answered genre change applied");
        return await CoreCountsAsync();
    }

    private static Dictionary<string, long> Counts(JsonObject results) =>
        results["counts"]!.AsObject().ToDictionary(p => p.Key, p => (long)p.Value!);

    private static Dictionary<string, long> Add(Dictionary<string, long> counts, params (string Genre, long Votes)[] changes)
    {
        var sum = new Dictionary<string, long>(counts);
        foreach (var (genre, votes) in changes)
        {
            sum[genre] += votes;
        }

        return sum;
    }

    private static bool SameCounts(Dictionary<string, long> actual, Dictionary<string, long> expected) =>
        expected.All(e => actual.GetValueOrDefault(e.Key) == e.Value) && actual.Count == expected.Count;

    private static double Percent(Dictionary<string, long> counts, string genre) =>
        Math.Round(counts[genre] * 100.0 / counts.Values.Sum(), 1, MidpointRounding.AwayFromZero);

    private static GenreVoteChanged Change(string voterKey, string genre, long sequence) => new()
    {
        ChangeId = Guid.NewGuid(),
        VoterKey = voterKey,
        Genre = genre,
        Sequence = sequence,
        Region = "us-east",
        ChangedAt = DateTimeOffset.UtcNow,
    };

    private static async Task PublishAsync(NatsJSContext jetStream, string subject, GenreVoteChanged change, string messageId,
        bool expectDuplicate = false)
    {
        var ack = await jetStream.PublishAsync(subject, JsonSerializer.SerializeToUtf8Bytes(change, ContractsJson.Default.GenreVoteChanged),
            opts: new NatsJSPubOpts { MsgId = messageId });
        Assert.Equal(expectDuplicate, ack.Duplicate);
        if (!expectDuplicate)
        {
            ack.EnsureSuccess();
        }
    }
}
