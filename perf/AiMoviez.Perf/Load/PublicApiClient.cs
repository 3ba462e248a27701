using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using AiMoviez.Perf.Stack;

namespace AiMoviez.Perf.Load;

/// <summary>What one call ended in: "202", "409 ALREADY_VOTED", "timeout", "connection_error".</summary>
public readonly record struct CallOutcome(string Outcome, bool Succeeded)
{
    /// <summary>A request cancelled by the run itself: still in flight when the load's grace period ended.</summary>
    public const string Cancelled = "cancelled";
}

public readonly record struct VoteAttempt(CallOutcome Call, VoteAcceptedBody? Accepted);

/// <summary>
/// The edge API of CONTRACT section 4, as a simulated voter calls it. The requests a load sends by the thousand a second
/// (votes, /healthz) go through <paramref name="load"/>, the rest through <paramref name="http"/>.
/// </summary>
public sealed class PublicApiClient(HttpClient http, Http2LoadClient load, bool captcha = false)
{
    /// <summary>What the local stack's development verifier passes (core's DevCaptchaApi); each token counts for one vote.</summary>
    public const string DevCaptchaPrefix = "dev-pass-";

    private static readonly LoadRequest Healthz = new(HttpMethod.Get, "/healthz", []);
    private readonly ConcurrentDictionary<(Guid, string), byte[]> _voteBodies = new();
    private int _viewers;

    public async Task<VoteAttempt> CastAsync(EdgeEndpoint edge, Voter voter, Guid clipId, string voteType, CancellationToken cancellationToken)
    {
        var body = _voteBodies.GetOrAdd((clipId, voteType), static key =>
            JsonSerializer.SerializeToUtf8Bytes(new VoteRequestBody(key.Item1, key.Item2), ApiJson.Default.VoteRequestBody));
        var headers = voter.Headers;
        if (captcha)
        {
            headers = [.. headers, ("x-captcha-token", DevCaptchaPrefix + Guid.NewGuid().ToString("N"))];
        }

        var (call, accepted) = await SendAsync(edge, new LoadRequest(HttpMethod.Post, "/v1/votes", headers, body), HttpStatusCode.Accepted,
            static bytes => JsonSerializer.Deserialize(bytes, ApiJson.Default.VoteAcceptedBody), cancellationToken);
        return new VoteAttempt(call, accepted);
    }

    public async Task<CallOutcome> RevokeAsync(EdgeEndpoint edge, Voter voter, Guid clipId, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Delete, new Uri(edge.BaseUri, $"/v1/votes/{clipId}"));
        voter.ApplyTo(request);
        return (await SendAsync<object>(request, HttpStatusCode.Accepted, null, cancellationToken)).Call;
    }

    public async Task<CallOutcome> BallotAsync(EdgeEndpoint edge, Voter voter, Guid seasonId, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(edge.BaseUri, $"/v1/ballot?seasonId={seasonId}&limit=8"));
        voter.ApplyTo(request);
        return (await SendAsync<object>(request, HttpStatusCode.OK, null, cancellationToken)).Call;
    }

    /// <summary>
    /// The public counts, read as <paramref name="viewer"/>, or else as a new viewer each call: public reads are limited
    /// per client IP, and a run's watchers stand for many viewers, not one client polling.
    /// </summary>
    public async Task<(CallOutcome Call, TallyBody? Tally)> TalliesAsync(EdgeEndpoint edge, Guid seasonId, CancellationToken cancellationToken,
        Voter? viewer = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(edge.BaseUri, $"/v1/tallies?seasonId={seasonId}"));
        if (viewer is { } known)
        {
            known.ApplyTo(request);
        }
        else
        {
            // 198.18.0.0/15 is set aside for benchmarks (RFC 2544).
            var n = Interlocked.Increment(ref _viewers);
            request.Headers.TryAddWithoutValidation("X-Forwarded-For",
                string.Create(System.Globalization.CultureInfo.InvariantCulture, $"198.{18 + ((n >> 16) & 1)}.{(n >> 8) & 255}.{n & 255}"));
        }

        return await SendAsync(request, HttpStatusCode.OK, static bytes => JsonSerializer.Deserialize(bytes, ApiJson.Default.TallyBody), cancellationToken);
    }

    public async Task<(CallOutcome Call, ReceiptBody? Receipt)> ReceiptAsync(EdgeEndpoint edge, Guid voteId, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(edge.BaseUri, $"/v1/votes/{voteId}"));
        return await SendAsync(request, HttpStatusCode.OK, static bytes => JsonSerializer.Deserialize(bytes, ApiJson.Default.ReceiptBody), cancellationToken);
    }

    public async Task<CallOutcome> HealthzAsync(EdgeEndpoint edge, CancellationToken cancellationToken) =>
        (await SendAsync<object>(edge, Healthz, HttpStatusCode.OK, null, cancellationToken)).Call;

    private async Task<(CallOutcome Call, T? Body)> SendAsync<T>(
        HttpRequestMessage request, HttpStatusCode expected, Func<byte[], T?>? parse, CancellationToken cancellationToken)
        where T : class
    {
        try
        {
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken);
            return Answered(response.StatusCode, await response.Content.ReadAsByteArrayAsync(cancellationToken), expected, parse);
        }
        catch (Exception e) when (Failed(e, cancellationToken) is { } failed)
        {
            return (failed, null);
        }
    }

    private async Task<(CallOutcome Call, T? Body)> SendAsync<T>(
        EdgeEndpoint edge, LoadRequest request, HttpStatusCode expected, Func<byte[], T?>? parse, CancellationToken cancellationToken)
        where T : class
    {
        try
        {
            var response = await load.SendAsync(edge.BaseUri, request, cancellationToken);
            return Answered((HttpStatusCode)response.Status, response.Body, expected, parse);
        }
        catch (Exception e) when (Failed(e, cancellationToken) is { } failed)
        {
            return (failed, null);
        }
    }

    private static (CallOutcome Call, T? Body) Answered<T>(HttpStatusCode status, byte[] bytes, HttpStatusCode expected, Func<byte[], T?>? parse)
        where T : class =>
        status == expected
            ? (new CallOutcome(((int)expected).ToString(System.Globalization.CultureInfo.InvariantCulture), true), parse is null ? null : parse(bytes))
            : (new CallOutcome(FailureName(status, bytes), false), null);

    /// <summary>What a call that threw ended in; null for an exception that is a defect of the tool, not an outcome.</summary>
    private static CallOutcome? Failed(Exception exception, CancellationToken cancellationToken) => exception switch
    {
        TimeoutException => new CallOutcome("timeout", false),
        // HttpClient's own timeout.
        TaskCanceledException when !cancellationToken.IsCancellationRequested => new CallOutcome("timeout", false),
        OperationCanceledException => new CallOutcome(CallOutcome.Cancelled, false),
        HttpRequestException => new CallOutcome("connection_error", false),
        JsonException => new CallOutcome("bad_json", false),
        _ => null,
    };

    private static string FailureName(HttpStatusCode status, byte[] body)
    {
        string? code = null;
        try
        {
            code = body.Length > 0 ? JsonSerializer.Deserialize(body, ApiJson.Default.ProblemBody)?.Code : null;
        }
        catch (JsonException)
        {
            // Not problem+json: the status alone names it, which is itself a contract finding in the report.
        }

        return $"{(int)status} {code ?? "(no code)"}";
    }
}
