using System.Net;
using System.Net.Http.Json;
using System.Text;
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

    [Fact]
    public async Task Metrics_answer_in_prometheus_text()
    {
        using var health = await fixture.Anonymous.GetAsync("/healthz");
        var text = await Eventually.UntilAsync(() => fixture.Anonymous.GetStringAsync("/metrics"),
            t => t.Contains("http_server_request_duration_seconds_bucket{", StringComparison.Ordinal), TimeSpan.FromSeconds(10),
            "request metrics in /metrics");
        Assert.Contains("# TYPE http_server_request_duration_seconds histogram", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unknown_route_is_problem_not_found()
    {
        using var response = await fixture.Anonymous.GetAsync("/v1/nothing-here");
        await response.AssertProblemAsync(HttpStatusCode.NotFound, "NOT_FOUND");
    }

    [Fact]
    public async Task Wrong_method_is_problem_405()
    {
        using var response = await fixture.Anonymous.DeleteAsync("/v1/features");
        await response.AssertProblemAsync(HttpStatusCode.MethodNotAllowed, "INVALID_REQUEST");
    }

    [Fact]
    public async Task Malformed_json_is_invalid_request_without_internals()
    {
        using var content = new StringContent("{\"label\": ", Encoding.UTF8, "application/json");
        using var response = await fixture.Admin.PostAsync("/v1/admin/seasons", content);
        await response.AssertProblemAsync(HttpStatusCode.BadRequest, "INVALID_REQUEST");
        var text = await response.Content.ReadAsStringAsync();
        Assert.DoesNotContain("Exception", text);
        Assert.DoesNotContain("   at ", text);
    }

    [Fact]
    public async Task Oversized_body_is_413_payload_too_large()
    {
        // The server answers 413 from the Content-Length and closes the connection: a client still writing the 2 MiB
        // would find it gone (a broken pipe) before reading the answer. So the client asks first (Expect: 100-continue)
        // and sends the body only if the server wants it, as clients of large uploads do.
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/admin/seasons")
        {
            Content = new StringContent("{\"label\":\"" + new string('x', 2 * 1024 * 1024) + "\"}", Encoding.UTF8, "application/json"),
        };
        request.Headers.ExpectContinue = true;
        using var response = await fixture.Admin.SendAsync(request);
        await response.AssertProblemAsync(HttpStatusCode.RequestEntityTooLarge, "PAYLOAD_TOO_LARGE");
    }

    [Fact]
    public async Task OpenApi_document_describes_the_endpoints_and_scalar_serves_a_page()
    {
        var document = await fixture.Anonymous.GetFromJsonAsync<JsonObject>("/openapi/v1.json");
        var paths = document!["paths"]!.AsObject();
        foreach (var path in new[]
                 {
                     "/v1/seasons", "/v1/seasons/{id}", "/v1/clips", "/v1/clips/{id}", "/v1/features", "/v1/leaderboards/{board}",
                     "/v1/admin/seasons", "/v1/admin/seasons/{id}/activate", "/v1/admin/clips/{id}/approve", "/v1/admin/clips/bulk",
                     "/v1/admin/seasons/{id}/slots/{position}/advance", "/v1/admin/feature-flags/{key}", "/v1/admin/users/{userId}/ban",
                     "/v1/admin/voters/{voterKey}/ban", "/v1/admin/audit-logs", "/v1/admin/pipeline", "/v1/admin/genre-votes",
                     "/internal/catalog",
                 })
        {
            Assert.True(paths.ContainsKey(path), path + " missing from OpenAPI");
        }

        using var scalar = await fixture.Anonymous.GetAsync("/scalar");
        Assert.Equal(HttpStatusCode.OK, scalar.StatusCode);
    }

    [Theory]
    [InlineData("http://localhost:5173", true)]
    [InlineData("http://127.0.0.1:3000", true)]
    [InlineData("https://evil.example", false)]
    [InlineData("http://localhost.evil.example:80", false)]
    public async Task Cors_preflight_allows_only_configured_origins(string origin, bool allowed)
    {
        using var request = new HttpRequestMessage(HttpMethod.Options, "/v1/admin/seasons");
        request.Headers.Add("Origin", origin);
        request.Headers.Add("Access-Control-Request-Method", "POST");
        request.Headers.Add("Access-Control-Request-Headers", "authorization,content-type");
        using var response = await fixture.Anonymous.SendAsync(request);
        Assert.Equal(allowed, response.Headers.TryGetValues("Access-Control-Allow-Origin", out var values) && values.Single() == origin);
    }
}
