using System.Net;

namespace AiMoviez.Core.Tests;

/// <summary>Core's public reads: limited per client IP (behind a trusted proxy, the forwarded one), cacheable for seconds.</summary>
[Collection(CoreCollection.Name)]
public sealed class PublicReadTests(CoreFixture fixture)
{
    private const string TrustedProxy = "127.0.0.2";

    [Fact]
    public async Task Public_reads_are_limited_per_client_ip_and_carry_cache_control()
    {
        var (core, url) = await fixture.StartExtraCoreAsync("core-read-limit", new Dictionary<string, string?>
        {
            ["PublicReads__PermitsPerWindow"] = "3",
            ["Proxies__Trusted__0"] = TrustedProxy,
        });
        await using var _ = core;
        using var viaProxy = new HttpClient(LoopbackSource.Handler(TrustedProxy)) { BaseAddress = new Uri(url) };

        foreach (var path in new[] { "/v1/seasons", "/v1/features", "/v1/leaderboards/clips?period=all" })
        {
            using var read = await GetAsync(viaProxy, path, "203.0.113.7");
            Assert.Equal(HttpStatusCode.OK, read.StatusCode);
            Assert.True(read.Headers.CacheControl!.Public);
            Assert.Equal(TimeSpan.FromSeconds(5), read.Headers.CacheControl.MaxAge);
        }

        using var limited = await GetAsync(viaProxy, "/v1/seasons", "203.0.113.7");
        await limited.AssertProblemAsync(HttpStatusCode.TooManyRequests, "RATE_LIMITED");
        Assert.NotNull(limited.Headers.RetryAfter?.Delta);

        // The proxy's other clients are their own; a forwarded address from an untrusted peer is ignored.
        using var otherClient = await GetAsync(viaProxy, "/v1/seasons", "203.0.113.8");
        Assert.Equal(HttpStatusCode.OK, otherClient.StatusCode);
        using var direct = new HttpClient { BaseAddress = new Uri(url) };
        for (var i = 0; i < 3; i++)
        {
            using var read = await GetAsync(direct, "/v1/seasons", $"203.0.113.{20 + i}");
            Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        }

        using var spoofed = await GetAsync(direct, "/v1/seasons", "203.0.113.99");
        await spoofed.AssertProblemAsync(HttpStatusCode.TooManyRequests, "RATE_LIMITED");
    }

    [Fact]
    public async Task A_clip_in_moderation_is_never_publicly_cacheable()
    {
        var season = await fixture.CreateSeasonAsync();
        var clip = await fixture.CreateClipAsync(season.Id());
        using (var pending = await fixture.User.GetAsync($"/v1/clips/{clip.Id()}"))
        {
            Assert.Equal(HttpStatusCode.OK, pending.StatusCode);
            Assert.True(pending.Headers.CacheControl!.Private);
            Assert.True(pending.Headers.CacheControl.NoStore);
        }

        await fixture.ApproveAsync(clip.Id());
        using var approved = await fixture.Anonymous.GetAsync($"/v1/clips/{clip.Id()}");
        Assert.True(approved.Headers.CacheControl!.Public);
    }

    private static Task<HttpResponseMessage> GetAsync(HttpClient client, string path, string forwardedFor)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.TryAddWithoutValidation("X-Forwarded-For", forwardedFor);
        return client.SendAsync(request);
    }
}
