using System.Net;
using System.Text.Json;
using AiMoviez.Contracts;
using NATS.Client.Core;
using NATS.NKeys;

namespace AiMoviez.Edge.Tests;

/// <summary>The edge against a nats-server that admits one NKey user only (README: NATS authentication).</summary>
[Collection(EdgeCollection.Name)]
public sealed class NatsAuthenticationTests(EdgeStack stack)
{
    [Fact]
    public async Task An_edge_given_the_user_NKey_file_connects_and_stores_votes_on_a_server_that_requires_it()
    {
        var user = KeyPair.CreatePair(PrefixByte.User);
        var keyFile = stack.Dir.FilePath("edge-user.nk");
        await File.WriteAllTextAsync(keyFile, user.GetSeed() + "\n" + user.GetPublicKey() + "\n");
        await using var nats = await NatsServer.StartAsync(stack.Dir.Sub("nats-nkey"),
            config: $"authorization {{ users = [ {{ nkey: {user.GetPublicKey()} }} ] }}");
        var topologyPath = await TopologyWithNatsAsync(nats.Url);
        var edgeUrl = $"http://127.0.0.1:{FreePort.Next()}";
        var environment = new Dictionary<string, string?>(stack.EdgeEnvironment)
        {
            ["Topology__Path"] = topologyPath,
            ["Urls"] = edgeUrl,
            ["Nats__NKeyFile"] = keyFile,
        };

        await using var edge = new ServiceProcess("edge-nkey", RepoPaths.ServiceProgram("edge", "AiMoviez.Edge"), edgeUrl, stack.Dir.Path, environment);
        await edge.StartAsync();
        await edge.WaitReadyAsync(TimeSpan.FromSeconds(30));

        var request = stack.Request(HttpMethod.Post, "/v1/votes", EdgeStack.NewBrowser(), new { clipId = stack.Season.Clips[0].Id });
        request.RequestUri = new Uri(edgeUrl + "/v1/votes");
        using var response = await stack.Proxied.SendAsync(request);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);

        // The vote is in the stream of the server that required the key: read it back as that user.
        await using var reader = new NatsConnection(new NatsOpts { Url = nats.Url, AuthOpts = NatsAuthOpts.Default with { NKeyFile = keyFile } });
        var stream = await new NATS.Client.JetStream.NatsJSContext(reader).GetStreamAsync(StreamNames.Votes(EdgeStack.Region));
        Assert.Equal(1, stream.Info.State.Messages);
    }

    [Fact]
    public async Task An_edge_without_the_key_is_not_ready_and_says_NATS_is_why()
    {
        var user = KeyPair.CreatePair(PrefixByte.User);
        await using var nats = await NatsServer.StartAsync(stack.Dir.Sub("nats-nkey-refused"),
            config: $"authorization {{ users = [ {{ nkey: {user.GetPublicKey()} }} ] }}");
        var edgeUrl = $"http://127.0.0.1:{FreePort.Next()}";
        var environment = new Dictionary<string, string?>(stack.EdgeEnvironment)
        {
            ["Topology__Path"] = await TopologyWithNatsAsync(nats.Url),
            ["Urls"] = edgeUrl,
        };

        await using var edge = new ServiceProcess("edge-no-nkey", RepoPaths.ServiceProgram("edge", "AiMoviez.Edge"), edgeUrl, stack.Dir.Path, environment);
        await edge.StartAsync();
        await Eventually.UntilAsync(async () =>
        {
            using var readiness = await stack.Direct.GetAsync(edgeUrl + "/readyz");
            return readiness.StatusCode == HttpStatusCode.ServiceUnavailable
                && (await readiness.Content.ReadAsStringAsync()).Contains("nats", StringComparison.Ordinal);
        }, TimeSpan.FromSeconds(20), "/readyz to name NATS as failing");
    }

    private async Task<string> TopologyWithNatsAsync(string natsUrl)
    {
        var topology = JsonSerializer.Deserialize(await File.ReadAllTextAsync(stack.Dir.FilePath("topology.json")), ContractsJson.Default.Topology)!;
        var path = stack.Dir.FilePath($"topology-{Guid.NewGuid():N}.json");
        topology = topology with { Regions = [topology.Regions[0] with { Nats = natsUrl }] };
        await File.WriteAllTextAsync(path, JsonSerializer.Serialize(topology, ContractsJson.Default.Topology));
        return path;
    }
}
