using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace AiMoviez.Core.Tests;

[Collection(CoreCollection.Name)]
public sealed class HealthAndErrorsTests(CoreFixture fixture)
{
    [Fact]
    public async Task Healthz_and_readyz_answer_200()
    {
        using var health = await fixture.Anonymous.GetAsync("/healthz");
        using var ready = await fixture.Anonymous.GetAsync("/readyz");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        var body = await ready.Content.ReadFromJsonAsync<JsonObject>();
        Assert.Equal("ok", body!["checks"]!["catalog"]!.GetValue<string>());
        Assert.Equal("ok", body["checks"]!["nats:us-east"]!.GetValue<string>());
    }
}
