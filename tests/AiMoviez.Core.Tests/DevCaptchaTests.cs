using System.Net;
using System.Text.Json;

namespace AiMoviez.Core.Tests;

/// <summary>The local stack's captcha verifier in core: off by default, and when on a siteverify that passes dev-pass tokens.</summary>
[Collection(CoreCollection.Name)]
public sealed class DevCaptchaTests(CoreFixture fixture)
{
    private const string Path = "/internal/dev-captcha/siteverify";
    private const string Secret = "core-test-captcha-secret";

    [Fact]
    public async Task The_development_verifier_is_off_by_default()
    {
        using var response = await fixture.Anonymous.PostAsync(Path, Form(Secret, "dev-pass-1"));
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task The_development_verifier_passes_exactly_dev_pass_tokens_sent_with_its_secret()
    {
        var (core, url) = await fixture.StartExtraCoreAsync("core-dev-captcha", new Dictionary<string, string?>
        {
            ["DevCaptcha__Enabled"] = "true",
            ["DevCaptcha__Secret"] = Secret,
        });
        await using var _ = core;
        using var client = fixture.Client(null, url);

        Assert.True(await SuccessAsync(client, Form(Secret, "dev-pass")));
        Assert.True(await SuccessAsync(client, Form(Secret, "dev-pass-" + Guid.NewGuid())));
        Assert.False(await SuccessAsync(client, Form(Secret, "dev-pas")));
        Assert.False(await SuccessAsync(client, Form(Secret, "x-dev-pass")));
        Assert.False(await SuccessAsync(client, Form(Secret, "")));
        Assert.False(await SuccessAsync(client, Form("another-secret", "dev-pass-1")));
    }

    private static FormUrlEncodedContent Form(string secret, string token) =>
        new([new("secret", secret), new("response", token), new("remoteip", "203.0.113.9")]);

    private static async Task<bool> SuccessAsync(HttpClient client, HttpContent form)
    {
        using var response = await client.PostAsync(Path, form);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("success").GetBoolean();
    }
}
