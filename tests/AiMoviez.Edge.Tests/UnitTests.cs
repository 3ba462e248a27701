using System.Net;
using System.Text;
using System.Text.Json;
using AiMoviez.Contracts;
using AiMoviez.Edge.Ballot;
using AiMoviez.Edge.Catalog;
using AiMoviez.Edge.Identity;
using AiMoviez.Edge.Infrastructure;
using AiMoviez.Edge.Tallies;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace AiMoviez.Edge.Tests;

public sealed class VoterFingerprintTests
{
    [Fact]
    public void Is_device_and_the_first_32_hex_chars_of_sha256_of_the_contract_fields()
    {
        // Expected values computed independently: sha256("203.0.113.7|Mozilla/5.0 Test|en-US|...|gzip, br")[:32].
        Assert.Equal("device_5689f93eebaca6f243d67706be29986e", VoterFingerprint.Compute("203.0.113.7",
            ["Mozilla/5.0 Test", "en-US", "\"Chromium\";v=\"130\"", "\"Linux\"", "?0", "gzip, br"]));
        Assert.Equal("device_014fb220f009bd56f4abc17467680fc3", VoterFingerprint.Compute("10.0.0.1", ["", "", "", "", "", ""]));
    }

    [Fact]
    public void Outsized_and_non_ascii_headers_hash_as_their_utf8_text()
    {
        string[] values = [new string('a', 5_000) + "é", "fr-CH, fr;q=0.9", "\"Chromium\";v=\"130\"", "\"Linux\"", "?0", "gzip"];
        var hash = System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes("2001:db8::1|" + string.Join('|', values)));

        Assert.Equal("device_" + Convert.ToHexStringLower(hash)[..32], VoterFingerprint.Compute("2001:db8::1", values));
    }

    [Fact]
    public void Reads_the_headers_in_the_contract_order()
    {
        var context = new DefaultHttpContext();
        context.Connection.RemoteIpAddress = IPAddress.Parse("203.0.113.7");
        context.Request.Headers.UserAgent = "Mozilla/5.0 Test";
        context.Request.Headers.AcceptLanguage = "en-US";
        context.Request.Headers["Sec-CH-UA"] = "\"Chromium\";v=\"130\"";
        context.Request.Headers["Sec-CH-UA-Platform"] = "\"Linux\"";
        context.Request.Headers["Sec-CH-UA-Mobile"] = "?0";
        context.Request.Headers.AcceptEncoding = "gzip, br";
        Assert.Equal("device_5689f93eebaca6f243d67706be29986e", VoterFingerprint.Compute(context));
    }

    [Theory]
    [InlineData(true, false, false, true)]
    [InlineData(true, true, false, false)]
    [InlineData(false, true, true, true)]
    [InlineData(true, false, true, false)]
    public void Browsers_without_language_or_client_hints_look_headless(bool language, bool clientHints, bool fetchMetadata, bool headless)
    {
        var headers = new HeaderDictionary { ["User-Agent"] = "Mozilla/5.0" };
        if (language)
        {
            headers["Accept-Language"] = "en";
        }

        if (clientHints)
        {
            headers["Sec-CH-UA"] = "\"Chromium\"";
        }

        if (fetchMetadata)
        {
            headers["Sec-Fetch-Mode"] = "cors";
        }

        Assert.Equal(headless, Voter.IsHeadless(headers));
    }
}

public sealed class ForwardedForTests
{
    [Theory]
    [InlineData("127.0.0.2", "203.0.113.9", "203.0.113.9")]
    [InlineData("127.0.0.2", "198.51.100.1, 203.0.113.9", "203.0.113.9")]
    [InlineData("127.0.0.2", "198.51.100.1, 203.0.113.9, 127.0.0.2", "203.0.113.9")]
    [InlineData("127.0.0.1", "203.0.113.9", "127.0.0.1")]
    [InlineData("10.1.2.3", "203.0.113.9", "10.1.2.3")]
    public async Task Client_is_the_right_most_untrusted_entry_and_only_behind_a_trusted_proxy(string peer, string forwardedFor, string client)
    {
        var services = new ServiceCollection()
            .AddSingleton(Options.Create(new AiMoviez.ServiceDefaults.ProxyOptions { Trusted = ["127.0.0.2"] }))
            .AddVoterIdentity()
            .BuildServiceProvider();
        var middleware = new ForwardedHeadersMiddleware(_ => Task.CompletedTask, NullLoggerFactory.Instance,
            services.GetRequiredService<IOptions<ForwardedHeadersOptions>>());
        var context = new DefaultHttpContext();
        context.Connection.RemoteIpAddress = IPAddress.Parse(peer);
        context.Request.Headers["X-Forwarded-For"] = forwardedFor;

        await middleware.Invoke(context);

        Assert.Equal(IPAddress.Parse(client), context.Connection.RemoteIpAddress);
    }
}

public sealed class BallotOrderingTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 22, 12, 0, 0, TimeSpan.Zero);
    private static readonly BallotFairness NoJitter = new(0, TimeSpan.FromHours(2), 0.25);

    private static ClipSnapshot Clip(int n, TimeSpan age) => new()
    {
        Id = new Guid(n, 0, 0, new byte[8]),
        CreatorId = Guid.NewGuid(),
        Title = "c" + n,
        Genre = "Comedy",
        VideoUrl = "/v.mp4",
        CreatedAt = Now - age,
        ApprovedAt = Now - age,
    };

    [Fact]
    public void Least_viewed_first_fresh_boosted_voted_last_excluded_left_out()
    {
        var old = TimeSpan.FromDays(1);
        var clips = new[] { Clip(1, old), Clip(2, old), Clip(3, TimeSpan.FromMinutes(30)), Clip(4, old), Clip(5, old) };
        var views = new Dictionary<Guid, long> { [clips[0].Id] = 100, [clips[1].Id] = 10, [clips[2].Id] = 80, [clips[3].Id] = 0, [clips[4].Id] = 1 };

        var ordered = BallotOrdering.Order(clips, id => views[id], new HashSet<Guid> { clips[3].Id }, new HashSet<Guid> { clips[4].Id },
            Now, NoJitter, new Random(1));

        // Fresh clip 3 counts 80 * 0.25 = 20 views; clip 4 has the fewest views but was voted on.
        Assert.Equal([2, 3, 1, 4], ordered.Select(c => c.Title[1] - '0').ToArray());
    }

    [Fact]
    public void Jitter_shuffles_clips_with_equal_views()
    {
        var clips = Enumerable.Range(1, 6).Select(n => Clip(n, TimeSpan.FromDays(1))).ToList();
        var random = new Random(7);
        var firsts = Enumerable.Range(0, 60).Select(_ => BallotOrdering.Order(clips, _ => 5, new HashSet<Guid>(), new HashSet<Guid>(),
            Now, NoJitter with { JitterViews = 3 }, random)[0].Id).Distinct().Count();
        Assert.True(firsts > 2, $"only {firsts} different clips came first");
    }
}

public sealed class CorsOriginsTests
{
    [Theory]
    [InlineData("http://localhost:5173", true)]
    [InlineData("http://127.0.0.1:3000", true)]
    [InlineData("http://localhost", false)]
    [InlineData("http://localhost.evil.com:80", false)]
    [InlineData("https://localhost:5173", false)]
    [InlineData("http://localhost:abc", false)]
    [InlineData("https://aimoviez.app", true)]
    public void Port_wildcards_and_exact_origins_match(string origin, bool allowed) =>
        Assert.Equal(allowed, new AiMoviez.ServiceDefaults.AllowedOriginsOptions { AllowedOrigins = ["http://localhost:*", "http://127.0.0.1:*", "https://aimoviez.app"] }
            .IsAllowed(origin));
}

public sealed class CatalogViewTests
{
    [Fact]
    public void A_snapshot_from_a_core_without_not_votable_ids_reads_as_none()
    {
        const string json = """
            {"version":1,"generatedAt":"2026-11-22T12:00:00Z","flags":{},"bannedUserIds":[],"bannedVoterKeys":[],
             "seasons":[{"id":"0193a5b0-0000-7000-8000-000000000001","number":1,"label":"S","genre":"Comedy","totalSlots":75,"clips":[]}]}
            """;
        var snapshot = JsonSerializer.Deserialize(json, ContractsJson.Default.CatalogSnapshot)!;
        Assert.Empty(snapshot.Seasons[0].NotVotableClipIds);
        Assert.False(new CatalogView(snapshot).IsNotVotable(Guid.NewGuid()));
    }
}

public sealed class SeasonFeedTests
{
    [Fact]
    public async Task A_seasons_one_feed_carries_a_keep_alive_comment_every_interval()
    {
        using var feeds = new TallyFeeds(Options.Create(new EdgeOptions { Region = "r", SseHeartbeat = TimeSpan.FromMilliseconds(100) }), TimeProvider.System);
        var seasonId = Guid.NewGuid();
        var feed = feeds.For(seasonId);
        Assert.Same(feed, feeds.For(seasonId));

        var first = await feed.Next.WaitAsync(TimeSpan.FromSeconds(10));
        var second = await first.Next.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(": keep-alive\n\n", Encoding.UTF8.GetString(first.Frame.Span));
        Assert.Equal(": keep-alive\n\n", Encoding.UTF8.GetString(second.Frame.Span));
    }

    [Fact]
    public void An_event_is_one_id_line_one_event_line_and_one_data_line() =>
        Assert.Equal("id: 7\nevent: tally\ndata: {\"a\":1}\n\n", Encoding.UTF8.GetString(SeasonFeed.Frame(7, "tally", "{\"a\":1}")));
}
