
namespace AiMoviez.Edge.Tests;

[Collection(EdgeCollection.Name)]
public sealed class StartupTests(EdgeStack stack)
{
    [Theory]
    [InlineData("Edge__VotesPerVoterPerWindow", "0", "VotesPerVoterPerWindow")]
    [InlineData("Proxies__Trusted__0", "not-an-ip", "Trusted")]
    [InlineData("Edge__SseHeartbeat", "00:00:00", "SseHeartbeat")]
    [InlineData("Edge__RedisTimeout", "00:00:00", "RedisTimeout")]
    [InlineData("Edge__IdempotencyWindow", "3.00:00:00", "IdempotencyWindow")]
    [InlineData("Edge__RepublishUndecidedAfter", "-00:00:01", "RepublishUndecidedAfter")]
    [InlineData("Auth__SigningKey", "short", "SigningKey")]
    [InlineData("Edge__Region", "mars", "Edge:Region")]
    [InlineData("Nats__NKeyFile", "/nonexistent/user.nk", "Nats:NKeyFile")]
    [InlineData("Telemetry__TraceSampleRatio", "2", "TraceSampleRatio")]
    [InlineData("Telemetry__MaxTracesPerSecond", "0", "MaxTracesPerSecond")]
    [InlineData("Captcha__Secret", "", "Captcha:Secret")]
    [InlineData("Captcha__VerifyUrl", "siteverify", "Captcha:VerifyUrl")]
    [InlineData("Captcha__Timeout", "00:05:00", "Timeout")]
    public async Task A_bad_setting_stops_the_edge_with_a_message_naming_it(string variable, string value, string named)
    {
        var environment = new Dictionary<string, string?>(stack.EdgeEnvironment) { [variable] = value };
        await using var edge = new ServiceProcess("bad-" + named.Replace(':', '-'), RepoPaths.ServiceProgram("edge", "AiMoviez.Edge"),
            $"http://127.0.0.1:{FreePort.Next()}", stack.Dir.Path, environment);
        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => edge.StartAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains(named, failure.Message, StringComparison.Ordinal);
    }
}
