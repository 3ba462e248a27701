using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using AiMoviez.Contracts;

namespace AiMoviez.Core.Tests;

[Collection(CoreCollection.Name)]
public sealed class StartupTests(CoreFixture fixture)
{
    [Fact]
    public async Task Readyz_is_503_naming_a_region_nats_that_does_not_answer()
    {
        var deadNats = $"nats://127.0.0.1:{FreePort.Next()}";
        var topology = fixture.Stack.Topology with
        {
            Regions = [.. fixture.Stack.Topology.Regions, new RegionTopology { Name = "nowhere", EdgeUrl = "http://127.0.0.1:1", Nats = deadNats, Redis = "127.0.0.1:1" }],
        };
        var path = fixture.Stack.Dir.FilePath("dead-nats.json");
        await File.WriteAllTextAsync(path, JsonSerializer.Serialize(topology, ContractsJson.Default.Topology));
        var (core, url) = await fixture.StartExtraCoreAsync("core-dead-nats", new Dictionary<string, string?> { ["Topology__Path"] = path });
        await using var stopCore = core;
        using var client = fixture.Client(null, url);

        using var response = await client.GetAsync("/readyz");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        var body = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal("unavailable", body["checks"]!["nats:nowhere"]!.GetValue<string>());
        Assert.Equal("ok", body["checks"]!["catalog"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_bad_setting_stops_the_process_naming_it()
    {
        var url = $"http://127.0.0.1:{FreePort.Next()}";
        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            fixture.Stack.StartCoreAsync(new Dictionary<string, string?> { ["Slots__CheckInterval"] = "00:00:30" }, name: "core-bad-setting", url: url));
        Assert.Contains("section Slots", failure.Message);
        Assert.Contains("CheckInterval", failure.Message);
    }
}
