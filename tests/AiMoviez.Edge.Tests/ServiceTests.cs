using System.Net;

namespace AiMoviez.Edge.Tests;

[Collection(EdgeCollection.Name)]
public sealed class ServiceTests(EdgeStack stack)
{
    [Fact]
    public async Task Healthz_and_readyz_answer_200_when_everything_is_up()
    {
        Assert.Equal(HttpStatusCode.OK, (await stack.Direct.GetAsync(stack.BaseUrl + "/healthz")).StatusCode);
        using var ready = await stack.Direct.GetAsync(stack.BaseUrl + "/readyz");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal("ready", (await ready.JsonAsync()).GetProperty("status").GetString());
    }

    [Theory]
    [InlineData("http://localhost:5173", true)]
    [InlineData("http://127.0.0.1:8000", true)]
    [InlineData("https://evil.example", false)]
    public async Task Cors_preflight_allows_local_origins_only(string origin, bool allowed)
    {
        using var request = new HttpRequestMessage(HttpMethod.Options, stack.BaseUrl + "/v1/votes");
        request.Headers.Add("Origin", origin);
        request.Headers.Add("Access-Control-Request-Method", "POST");
        request.Headers.Add("Access-Control-Request-Headers", "content-type,authorization,idempotency-key");
        using var response = await stack.Direct.SendAsync(request);
        Assert.Equal(allowed ? origin : "", response.Header("Access-Control-Allow-Origin"));
    }
}
