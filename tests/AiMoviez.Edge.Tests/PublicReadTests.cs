using System.Net;

namespace AiMoviez.Edge.Tests;

/// <summary>Public reads: a per-client-IP ceiling with the vote limits' 429 shape, and Cache-Control by freshness.</summary>
[Collection(EdgeCollection.Name)]
public sealed class PublicReadTests(EdgeStack stack)
{
    [Fact]
    public async Task Ballots_and_tallies_share_one_per_client_ip_limit_and_say_how_long_they_may_be_reused()
    {
        var url = $"http://127.0.0.1:{FreePort.Next()}";
        var environment = new Dictionary<string, string?>(stack.EdgeEnvironment)
        {
            ["Urls"] = url,
            ["PublicReads__PermitsPerWindow"] = "3",
            ["PublicReads__Window"] = "00:01:00",
        };
        await using var edge = new ServiceProcess("edge-read-limit", RepoPaths.ServiceProgram("edge", "AiMoviez.Edge"), url, stack.Dir.Path, environment);
        await edge.StartAsync();
        await edge.WaitReadyAsync(TimeSpan.FromSeconds(30));
        var client = EdgeStack.NewBrowser();
        var season = stack.Season.Id;

        using (var ballot = await SendAsync(url, $"/v1/ballot?seasonId={season}", client))
        {
            Assert.Equal(HttpStatusCode.OK, ballot.StatusCode);
            Assert.Equal("no-store, private", ballot.Headers.CacheControl!.ToString());
        }

        using (var tallies = await SendAsync(url, $"/v1/tallies?seasonId={season}", client))
        {
            Assert.Equal(HttpStatusCode.OK, tallies.StatusCode);
            Assert.True(tallies.Headers.CacheControl!.Public);
            Assert.Equal(TimeSpan.FromSeconds(1), tallies.Headers.CacheControl.MaxAge);
        }

        using (var third = await SendAsync(url, $"/v1/ballot?seasonId={season}", client))
        {
            Assert.Equal(HttpStatusCode.OK, third.StatusCode);
        }

        using var limited = await SendAsync(url, $"/v1/tallies?seasonId={season}", client);
        await limited.AssertProblemAsync(HttpStatusCode.TooManyRequests, "RATE_LIMITED");
        Assert.InRange(limited.Headers.RetryAfter!.Delta!.Value, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(1));
        Assert.Null(limited.Headers.CacheControl);

        // Another client behind the same proxy has its own allowance, and votes are not public reads.
        using var other = await SendAsync(url, $"/v1/ballot?seasonId={season}", EdgeStack.NewBrowser());
        Assert.Equal(HttpStatusCode.OK, other.StatusCode);
        var vote = stack.Request(HttpMethod.Post, "/v1/votes", client, new { clipId = stack.Season.Clips[5].Id });
        vote.RequestUri = new Uri(url + "/v1/votes");
        using var accepted = await stack.Proxied.SendAsync(vote);
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
    }

    private Task<HttpResponseMessage> SendAsync(string baseUrl, string path, Browser browser)
    {
        var request = stack.Request(HttpMethod.Get, path, browser);
        request.RequestUri = new Uri(baseUrl + path);
        return stack.Proxied.SendAsync(request);
    }
}
