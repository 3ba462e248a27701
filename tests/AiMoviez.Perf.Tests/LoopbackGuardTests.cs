using AiMoviez.Contracts;
using AiMoviez.Perf.Stack;
using AiMoviez.Perf.Verification;

namespace AiMoviez.Perf.Tests;

public sealed class LoopbackGuardTests
{
    [Theory]
    [InlineData("http://127.0.0.1:5100/")]
    [InlineData("http://127.0.0.2/v1/votes")]
    [InlineData("https://127.0.0.254:8443/")]
    public void Accepts_urls_on_127_0_0_x(string url) =>
        Assert.Equal(new Uri(url), LoopbackGuard.Check(new Uri(url)));

    [Theory]
    [InlineData("http://10.0.0.1:5100/")]
    [InlineData("http://192.168.1.10/")]
    [InlineData("http://example.com/")]
    // A name, even one that resolves to loopback, is refused: only a literal 127.0.0.x cannot point elsewhere.
    [InlineData("http://localhost:5100/")]
    [InlineData("http://127.0.1.1/")]
    [InlineData("http://[::1]:5100/")]
    [InlineData("http://0.0.0.0/")]
    public void Refuses_any_other_url(string url)
    {
        var refused = Assert.Throws<InvalidOperationException>(() => LoopbackGuard.Check(new Uri(url)));
        Assert.Contains("only 127.0.0.x", refused.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Host=db.example.com;Database=shard_a")]
    [InlineData("Host=10.1.2.3;Port=5432;Database=shard_a")]
    // Npgsql tries multiple hosts in turn, so every one of them must be loopback.
    [InlineData("Host=127.0.0.1,10.1.2.3;Database=shard_a")]
    [InlineData("Host=localhost;Database=shard_a")]
    public void Refuses_a_database_host_that_is_not_127_0_0_x(string connectionString)
    {
        Assert.Throws<InvalidOperationException>(() => LoopbackGuard.CheckConnectionString(connectionString));
        // The shard reader checks before it opens anything, so a remote shard is never even connected to.
        Assert.Throws<InvalidOperationException>(() => new ShardReader(connectionString));
    }

    [Fact]
    public void Accepts_a_database_on_127_0_0_x() =>
        Assert.Equal("Host=127.0.0.3;Port=5433", LoopbackGuard.CheckConnectionString("Host=127.0.0.3;Port=5433"));

    [Theory]
    [InlineData("http://10.0.0.7:5101", "http://127.0.0.1:5000", "Host=127.0.0.1")]
    [InlineData("http://127.0.0.1:5101", "http://203.0.113.5:5000", "Host=127.0.0.1")]
    [InlineData("http://127.0.0.1:5101", "http://127.0.0.1:5000", "Host=203.0.113.5")]
    public void A_topology_pointing_anywhere_but_loopback_is_refused(string edgeUrl, string coreUrl, string catalog)
    {
        var topology = new Topology
        {
            Core = new ServiceEndpoint { Url = coreUrl },
            Aggregator = new ServiceEndpoint { Url = "http://127.0.0.1:5200" },
            CatalogDatabase = catalog,
            Regions = [new RegionTopology { Name = "eu", EdgeUrl = edgeUrl, Nats = "nats://127.0.0.1:4222", Redis = "127.0.0.1:6379" }],
            Shards = [],
            SeasonShards = [],
        };

        Assert.Throws<InvalidOperationException>(() => StackAddresses.FromTopology(topology, []));
    }

    [Fact]
    public async Task The_http_client_refuses_to_connect_to_a_non_loopback_address()
    {
        // Last line of defence: even a URL that skipped the checks never gets a socket (203.0.113.0/24 is TEST-NET-3).
        using var http = LoopbackHttp.Create(4, TimeSpan.FromSeconds(5));

        var failure = await Assert.ThrowsAsync<HttpRequestException>(() => http.GetAsync(new Uri("http://203.0.113.9:5100/healthz")));
        Assert.IsType<InvalidOperationException>(failure.InnerException);
        Assert.Contains("Refusing", failure.InnerException!.Message, StringComparison.Ordinal);
    }
}
