using AiMoviez.Contracts;
using AiMoviez.Edge.Ballot;
using AiMoviez.Edge.Catalog;
using AiMoviez.Edge.Genres;
using AiMoviez.Edge.Infrastructure;
using AiMoviez.Edge.Tallies;
using AiMoviez.Edge.Votes;
using AiMoviez.ServiceDefaults;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace AiMoviez.Edge;

/// <summary>The edge's services by feature; Program.cs lists them, the middleware and the endpoint groups in order.</summary>
internal static class Extensions
{
    /// <summary>The region this edge serves, its options, listening address and request limits, JSON, CORS and thread pool.</summary>
    public static RegionTopology AddEdgeDefaults(this WebApplicationBuilder builder)
    {
        // One pool worker per core: nothing in the edge blocks a worker, so more of them only meant more of them woken
        // for a request while the others were busy, and the wake-ups cost more than the work (perf/RESULTS.md).
        ThreadPool.GetMaxThreads(out _, out var completionPortThreads);
        ThreadPool.SetMaxThreads(Environment.ProcessorCount, completionPortThreads);
        var services = builder.Services;
        var configuration = builder.Configuration;
        services.AddOptions<EdgeOptions>().BindConfiguration(EdgeOptions.Section).ValidateSectionOnStart<EdgeOptions, EdgeOptionsValidator>(EdgeOptions.Section);
        var (topology, region) = EdgeTopology.Load(configuration);
        services.AddSingleton(topology);
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
        services.AddAllowedOrigins("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset", "Retry-After", "Location");
        // Redis faults that are not timeouts are still a dependency failing, not a fault of the edge.
        services.AddSingleton(new DependencyFailure(e => e is RedisException));
        services.AddSingleton<EdgeTelemetry>();
        return region;
    }

    /// <summary>The region's Redis and NATS, with the readiness probes over them and the catalog.</summary>
    public static IServiceCollection AddRegionServers(this IServiceCollection services)
    {
        services.AddRegionConnections();
        services.AddReadinessProbes();
        return services;
    }

    /// <summary>The catalog snapshot polled from core (seasons, slots, clips, flags and bans), and core's answer for a clip it does not list.</summary>
    public static IServiceCollection AddCatalogSync(this IServiceCollection services)
    {
        services.AddHttpClient<CatalogClient>((sp, http) => http.BaseAddress = new Uri(sp.GetRequiredService<Topology>().Core.Url))
            .AddStandardResilienceHandler(resilience =>
            {
                // Short: a slow core must not hold back the 2 s refresh; the last snapshot keeps serving meanwhile.
                resilience.AttemptTimeout.Timeout = TimeSpan.FromSeconds(2);
                resilience.TotalRequestTimeout.Timeout = TimeSpan.FromSeconds(5);
                resilience.CircuitBreaker.SamplingDuration = TimeSpan.FromSeconds(10);
                resilience.Retry.MaxRetryAttempts = 2;
                resilience.Retry.Delay = TimeSpan.FromMilliseconds(200);
            });
        services.AddHttpClient(ClipDirectory.HttpClientName, (sp, http) =>
        {
            http.BaseAddress = new Uri(sp.GetRequiredService<Topology>().Core.Url);
            http.Timeout = sp.GetRequiredService<IOptions<EdgeOptions>>().Value.ClipLookupTimeout;
        });
        services.AddSingleton<ClipDirectory>();
        services.AddSingleton<CatalogStore>();
        services.AddHostedService<CatalogSync>();
        return services;
    }

    /// <summary>Casting and revoking votes (with the captcha check while the flag is on), their receipts, repairs of the Redis ledger, and slot resets.</summary>
    public static IServiceCollection AddVotes(this IServiceCollection services)
    {
        services.AddOptions<CaptchaOptions>().BindConfiguration(CaptchaOptions.Section)
            .Validate(captcha => captcha.IsComplete(),
                "Captcha:VerifyUrl and Captcha:Secret are set together, and VerifyUrl is an absolute http(s) URL.")
            .ValidateSectionOnStart<CaptchaOptions, CaptchaOptionsValidator>(CaptchaOptions.Section);
        CaptchaVerifier.AddPipeline(services);
        services.AddSingleton<CaptchaVerifier>();
        services.AddSingleton<VoteLedger>();
        services.AddSingleton<VotePublisher>();
        services.AddSingleton<VoteCaster>();
        services.AddSingleton<LedgerRepairs>();
        services.AddHostedService(sp => sp.GetRequiredService<LedgerRepairs>());
        services.AddHostedService<ReceiptWriter>();
        services.AddHostedService<SlotResetWriter>();
        return services;
    }

    /// <summary>Live tallies: the board the aggregator's updates fill, and the SSE feeds.</summary>
    public static IServiceCollection AddTallies(this IServiceCollection services)
    {
        services.AddSingleton<TallyBoard>();
        services.AddSingleton<TallyFeeds>();
        services.AddHostedService<TallyListener>();
        services.AddHostedService<TallyFeedPump>();
        return services;
    }

    /// <summary>Ballots and the views they count.</summary>
    public static IServiceCollection AddBallots(this IServiceCollection services)
    {
        services.AddSingleton<ViewCounter>();
        services.AddHostedService<ViewReporter>();
        return services;
    }

    /// <summary>The genre vote between seasons: each voter's choice and the counts the aggregator republishes.</summary>
    public static IServiceCollection AddGenreVotes(this IServiceCollection services)
    {
        services.AddSingleton<GenreVoter>();
        services.AddSingleton<GenreBoard>();
        services.AddHostedService<GenreListener>();
        return services;
    }
}
