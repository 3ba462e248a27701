using System.Globalization;
using System.Text.Json;
using AiMoviez.Contracts;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using NATS.Client.Core;

namespace AiMoviez.Edge.Tests;

/// <summary>
/// A stand-in for core's GET /internal/catalog (with ETag), announcing changes on <c>catalog.changed</c>, and its
/// GET /internal/clips/{id} over the clips of seasons that are not active; and for a captcha provider's siteverify (the
/// local stack's rule: tokens starting with dev-pass pass).
/// </summary>
public sealed class FakeCore : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly NatsConnection _nats;
    private readonly Lock _lock = new();
    private CatalogSnapshot _snapshot;

    private FakeCore(WebApplication app, NatsConnection nats, CatalogSnapshot snapshot)
    {
        _app = app;
        _nats = nats;
        _snapshot = snapshot;
    }

    public CatalogSnapshot Snapshot
    {
        get
        {
            lock (_lock)
            {
                return _snapshot;
            }
        }
    }

    public bool Down { get; set; }

    /// <summary>Clips of seasons that are not active, which the snapshot does not list and the clip lookup finds.</summary>
    public System.Collections.Concurrent.ConcurrentDictionary<Guid, ClipPlacement> UnlistedClips { get; } = new();

    /// <summary>Every clip id looked up, in order.</summary>
    public System.Collections.Concurrent.ConcurrentQueue<Guid> ClipLookups { get; } = new();

    /// <summary>While set and not completed, clip lookups are counted and then wait for it.</summary>
    public TaskCompletionSource? ClipLookupGate { get; set; }

    public const string SiteVerifyPath = "/siteverify";
    public const string CaptchaSecret = "edge-test-captcha-secret";

    /// <summary>Siteverify answers 503.</summary>
    public bool CaptchaDown { get; set; }

    /// <summary>Every siteverify form received: response token and remoteip.</summary>
    public System.Collections.Concurrent.ConcurrentQueue<(string Token, string RemoteIp)> CaptchaChecks { get; } = new();

    public static async Task<FakeCore> StartAsync(string url, NatsConnection nats, CatalogSnapshot snapshot)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls(url);
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var core = new FakeCore(app, nats, snapshot);
        app.MapGet(CatalogRoutes.Snapshot, core.Serve);
        app.MapGet(CatalogRoutes.Clip, core.PlaceClip);
        app.MapPost(SiteVerifyPath, core.SiteVerify);
        await app.StartAsync();
        return core;
    }

    /// <summary>Changes the catalog; with <paramref name="announce"/> false only the edge's poll can notice.</summary>
    public async Task UpdateAsync(Func<CatalogSnapshot, CatalogSnapshot> change, bool announce = true)
    {
        lock (_lock)
        {
            _snapshot = change(_snapshot) with { Version = _snapshot.Version + 1, GeneratedAt = DateTimeOffset.UtcNow };
        }

        if (announce)
        {
            await _nats.PublishAsync(Subjects.CatalogChanged, Array.Empty<byte>(), serializer: NatsRawSerializer<byte[]>.Default);
        }
    }

    private async Task Serve(HttpContext context)
    {
        if (Down)
        {
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            return;
        }

        var snapshot = Snapshot;
        var etag = "\"" + snapshot.Version.ToString(CultureInfo.InvariantCulture) + "\"";
        if (context.Request.Headers.IfNoneMatch.ToString() == etag)
        {
            context.Response.StatusCode = StatusCodes.Status304NotModified;
            return;
        }

        context.Response.Headers.ETag = etag;
        context.Response.ContentType = "application/json";
        await JsonSerializer.SerializeAsync(context.Response.Body, snapshot, ContractsJson.Default.CatalogSnapshot);
    }

    private async Task PlaceClip(HttpContext context, Guid id)
    {
        ClipLookups.Enqueue(id);
        if (ClipLookupGate is { } gate)
        {
            await gate.Task;
        }

        if (Down)
        {
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            return;
        }

        if (!UnlistedClips.TryGetValue(id, out var placement))
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        context.Response.ContentType = "application/json";
        await JsonSerializer.SerializeAsync(context.Response.Body, placement, ContractsJson.Default.ClipPlacement);
    }

    private async Task SiteVerify(HttpContext context)
    {
        if (CaptchaDown)
        {
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            return;
        }

        var form = await context.Request.ReadFormAsync();
        var token = form["response"].ToString();
        CaptchaChecks.Enqueue((token, form["remoteip"].ToString()));
        var success = form["secret"] == CaptchaSecret && token.StartsWith("dev-pass", StringComparison.Ordinal);
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(success ? """{"success":true}""" : """{"success":false,"error-codes":["invalid-input-response"]}""");
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
