using System.ComponentModel.DataAnnotations;
using System.Diagnostics;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using AiMoviez.Edge.Infrastructure;
using AiMoviez.ServiceDefaults;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;
using Polly;
using Polly.CircuitBreaker;
using Polly.Timeout;

namespace AiMoviez.Edge.Votes;

/// <summary>
/// Configuration section <c>Captcha</c>: the siteverify endpoint (hCaptcha / Turnstile protocol) votes are checked
/// against while the flag <c>require_captcha_voting</c> is on. Without it, votes then fail closed (503).
/// </summary>
internal sealed class CaptchaOptions
{
    public const string Section = "Captcha";

    /// <summary>The absolute http(s) URL of the siteverify endpoint; set together with <see cref="Secret"/>.</summary>
    public string? VerifyUrl { get; set; }

    /// <summary>The site secret sent with every check; only ever in configuration.</summary>
    public string? Secret { get; set; }

    /// <summary>The longest a vote waits for the verifier before it is refused 503.</summary>
    [TimeSpanRange("00:00:00.050", "00:00:30")]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How long a used token is remembered; longer than any provider keeps a token valid.</summary>
    [TimeSpanRange("00:01:00", "1.00:00:00")]
    public TimeSpan UsedTokenMemory { get; set; } = TimeSpan.FromMinutes(15);

    [Range(1, 65_536)]
    public int MaxTokenLength { get; set; } = 4096;

    public bool IsConfigured => !string.IsNullOrEmpty(VerifyUrl);

    /// <summary>Both or neither of URL and secret, and the URL absolute http(s): a half-configured verifier fails at start.</summary>
    public bool IsComplete() =>
        string.IsNullOrEmpty(VerifyUrl)
            ? string.IsNullOrEmpty(Secret)
            : !string.IsNullOrEmpty(Secret)
              && Uri.TryCreate(VerifyUrl, UriKind.Absolute, out var url) && url.Scheme is "http" or "https";
}

[OptionsValidator]
internal sealed partial class CaptchaOptionsValidator : IValidateOptions<CaptchaOptions>;

internal enum CaptchaCheck
{
    Passed,
    Refused,
    Unavailable,
}

/// <summary>The siteverify answer; only <c>success</c> decides.</summary>
internal sealed record SiteVerifyAnswer([property: JsonPropertyName("success")] bool Success);

/// <summary>
/// Checks a vote's captcha token with the configured siteverify endpoint. Called only while the flag is on, so votes
/// cost nothing more with it off. Any answer but a 2xx with <c>success</c> true or false is the verifier being down.
/// </summary>
internal sealed partial class CaptchaVerifier(IHttpClientFactory clients, IOptions<CaptchaOptions> options, EdgeTelemetry telemetry, ILogger<CaptchaVerifier> logger)
{
    public const string PipelineName = "captcha";

    public async Task<CaptchaCheck> CheckAsync(string token, string clientIp)
    {
        var settings = options.Value;
        if (!settings.IsConfigured)
        {
            LogNotConfigured(logger);
            return CaptchaCheck.Unavailable;
        }

        var started = Stopwatch.GetTimestamp();
        using var form = new FormUrlEncodedContent(
            [new("secret", settings.Secret!), new("response", token), new("remoteip", clientIp)]);
        try
        {
            using var response = await clients.CreateClient(PipelineName).PostAsync(settings.VerifyUrl, form);
            if (!response.IsSuccessStatusCode)
            {
                LogUnavailable(logger, "status " + (int)response.StatusCode);
                return CaptchaCheck.Unavailable;
            }

            var answer = await response.Content.ReadFromJsonAsync(EdgeJson.Default.SiteVerifyAnswer);
            return answer?.Success == true ? CaptchaCheck.Passed : CaptchaCheck.Refused;
        }
        catch (Exception e) when (e is HttpRequestException or TimeoutRejectedException or BrokenCircuitException
                                      or TaskCanceledException or JsonException)
        {
            LogUnavailable(logger, e.Message);
            return CaptchaCheck.Unavailable;
        }
        finally
        {
            telemetry.CaptchaChecked(started);
        }
    }

    /// <summary>The Redis key that marks a token used: a hash, so a long token makes a short key.</summary>
    public static string UsedKey(string token) =>
        "captcha:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    /// <summary>
    /// A timeout and a circuit breaker, no retry: providers spend a token on its first check, so a retried check
    /// could refuse a good token as a duplicate.
    /// </summary>
    public static void AddPipeline(IServiceCollection services) =>
        services.AddHttpClient(PipelineName).AddResilienceHandler(PipelineName, (pipeline, context) =>
        {
            var settings = context.ServiceProvider.GetRequiredService<IOptions<CaptchaOptions>>().Value;
            pipeline.AddCircuitBreaker(new HttpCircuitBreakerStrategyOptions
            {
                SamplingDuration = TimeSpan.FromSeconds(Math.Max(10, settings.Timeout.TotalSeconds * 4)),
            });
            pipeline.AddTimeout(settings.Timeout);
        });

    [LoggerMessage(LogLevel.Error, "Captcha required but no verifier is configured (Captcha:VerifyUrl, Captcha:Secret): votes are refused")]
    private static partial void LogNotConfigured(ILogger logger);

    [LoggerMessage(LogLevel.Warning, "Captcha verifier unavailable, vote refused: {Reason}")]
    private static partial void LogUnavailable(ILogger logger, string reason);
}
