using AiMoviez.Contracts;
using AiMoviez.Edge.Ballot;
using AiMoviez.Edge.Catalog;
using AiMoviez.Edge.Identity;
using AiMoviez.Edge.Infrastructure;
using AiMoviez.Edge.Tallies;
using AiMoviez.Edge.Votes;
using AiMoviez.ServiceDefaults;
using Microsoft.AspNetCore.Cors.Infrastructure;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;

namespace AiMoviez.Edge;

public static class Extensions
{
    public static WebApplicationBuilder AddEdgeServices(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        var configuration = builder.Configuration;

        services.AddBoundOptions<EdgeOptions, EdgeOptionsValidator>(
            () => configuration.GetSection(EdgeOptions.Section).Get<EdgeOptions>() ?? new EdgeOptions());
        var (topology, region) = EdgeTopology.Load(configuration);
        services.AddSingleton(region);
        services.AddSingleton(new ShardMap(topology));
        services.AddSingleton(TimeProvider.System);

        if (string.IsNullOrEmpty(configuration["urls"]))
        {
            builder.WebHost.UseUrls(region.EdgeUrl);
        }

        services.AddOptions<KestrelServerOptions>().Configure<IOptions<EdgeOptions>>((kestrel, edge) =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = edge.Value.MaxRequestBodyBytes;
            kestrel.Limits.MaxRequestHeadersTotalSize = 16 * 1024;
            kestrel.Limits.MaxRequestHeaderCount = 64;
            kestrel.Limits.MaxRequestLineSize = 4096;
            kestrel.Limits.RequestHeadersTimeout = TimeSpan.FromSeconds(10);
            kestrel.Limits.KeepAliveTimeout = TimeSpan.FromSeconds(60);
        });

        services.ConfigureHttpJsonOptions(json => json.SerializerOptions.TypeInfoResolverChain.Insert(0, EdgeJson.Default));
        services.AddProblemDetails(problems => problems.CustomizeProblemDetails = Problems.Complete);
        services.AddCors();
        services.AddOptions<CorsOptions>().Configure<IOptions<EdgeOptions>>((cors, edge) => cors.AddDefaultPolicy(policy => policy
            .SetIsOriginAllowed(origin => CorsOrigins.IsAllowed(edge.Value.AllowedOrigins, origin))
            .AllowAnyHeader()
            .AllowAnyMethod()
            .WithExposedHeaders("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset", "Retry-After", "Location")));
        services.AddVoterIdentity(configuration);
        services.AddRegionConnections();
        services.AddPublicReadLimits(configuration);
        services.AddReadinessChecks();

        services.AddHttpClient<CatalogClient>(http => http.BaseAddress = new Uri(topology.Core.Url))
            .AddStandardResilienceHandler(resilience =>
            {
                // Short: a slow core must not hold back the 2 s refresh; the last snapshot keeps serving meanwhile.
                resilience.AttemptTimeout.Timeout = TimeSpan.FromSeconds(2);
                resilience.TotalRequestTimeout.Timeout = TimeSpan.FromSeconds(5);
                resilience.CircuitBreaker.SamplingDuration = TimeSpan.FromSeconds(10);
                resilience.Retry.MaxRetryAttempts = 2;
                resilience.Retry.Delay = TimeSpan.FromMilliseconds(200);
            });
        services.AddSingleton<CatalogStore>();
        services.AddHostedService<CatalogSync>();

        services.AddOptions<CaptchaOptions>().Bind(configuration.GetSection(CaptchaOptions.Section))
            .Validate(captcha => captcha.IsComplete(),
                "Captcha:VerifyUrl and Captcha:Secret are set together, and VerifyUrl is an absolute http(s) URL.")
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<CaptchaOptions>, CaptchaOptionsValidator>();
        CaptchaVerifier.AddPipeline(services);
        services.AddSingleton<CaptchaVerifier>();
        services.AddSingleton<VoteLedger>();
        services.AddSingleton<VotePublisher>();
        services.AddSingleton<VoteCaster>();
        services.AddSingleton<LedgerRepairs>();
        services.AddHostedService(sp => sp.GetRequiredService<LedgerRepairs>());
        services.AddHostedService<ReceiptWriter>();
        services.AddHostedService<SlotResetWriter>();

        services.AddSingleton<TallyBoard>();
        services.AddSingleton<TallyFeeds>();
        services.AddHostedService<TallyListener>();
        services.AddHostedService<TallyFeedPump>();

        services.AddSingleton<ViewCounter>();
        services.AddHostedService<ViewReporter>();

        services.AddSingleton<EdgeTelemetry>();
        builder.AddTelemetry("aimoviez-edge-" + region.Name, [EdgeTelemetry.SourceName], [EdgeTelemetry.MeterName]);

        return builder;
    }

    public static WebApplication MapEdgeEndpoints(this WebApplication app)
    {
        app.UseForwardedHeaders();
        app.UseExceptionHandler(new ExceptionHandlerOptions { StatusCodeSelector = _ => StatusCodes.Status503ServiceUnavailable });
        app.UseStatusCodePages();
        app.UseCors();
        app.UseAuthentication();
        app.UseRateLimiter();

        app.MapGet("/healthz", () => TypedResults.Ok("ok"));
        app.MapHealthChecks("/readyz", Readiness.Options);
        app.MapTelemetryEndpoints();
        app.MapVotesApi();
        app.MapBallotApi();
        app.MapTalliesApi();
        return app;
    }
}
