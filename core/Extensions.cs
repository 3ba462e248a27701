using AiMoviez.Contracts;
using AiMoviez.Core.Captcha;
using AiMoviez.Core.Catalog;
using AiMoviez.Core.Data;
using AiMoviez.Core.Erasure;
using AiMoviez.Core.FlaggedVotes;
using AiMoviez.Core.Infrastructure;
using AiMoviez.Core.Leaderboards;
using AiMoviez.Core.Pipeline;
using AiMoviez.Core.Slots;
using Microsoft.Extensions.Http.Resilience;
using Npgsql;

namespace AiMoviez.Core;

/// <summary>Core's services by feature; Program.cs lists them, the middleware and the endpoint groups in order.</summary>
internal static class Extensions
{
    public const long MaxRequestBodyBytes = 1024 * 1024;

    /// <summary>The topology, listening address, request limits, options, trusted proxies and CORS.</summary>
    public static Topology AddCoreDefaults(this WebApplicationBuilder builder)
    {
        var topology = TopologyLocator.Load(builder.Configuration);
        builder.Services.AddSingleton(topology);
        // ASPNETCORE_URLS (or --urls) wins; otherwise core listens where the topology says it is.
        if (string.IsNullOrEmpty(builder.Configuration["urls"]))
        {
            builder.WebHost.UseUrls(topology.Core.Url);
        }

        // Every request body core takes is small JSON; anything bigger is refused (413 PAYLOAD_TOO_LARGE).
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = MaxRequestBodyBytes);
        var services = builder.Services;
        services.AddSingleton(TimeProvider.System);
        services.AddOptions<SlotOptions>().BindConfiguration(SlotOptions.Section).ValidateSectionOnStart<SlotOptions, SlotOptionsValidator>(SlotOptions.Section);
        services.AddOptions<LeaderboardOptions>().BindConfiguration(LeaderboardOptions.Section)
            .ValidateSectionOnStart<LeaderboardOptions, LeaderboardOptionsValidator>(LeaderboardOptions.Section);
        services.AddOptions<MeOptions>().BindConfiguration(MeOptions.Section).ValidateSectionOnStart<MeOptions, MeOptionsValidator>(MeOptions.Section);
        services.AddOptions<ErasureOptions>().BindConfiguration(ErasureOptions.Section)
            .ValidateSectionOnStart<ErasureOptions, ErasureOptionsValidator>(ErasureOptions.Section);
        services.AddOptions<DevCaptchaOptions>().BindConfiguration(DevCaptchaOptions.Section)
            .ValidateSectionOnStart<DevCaptchaOptions, DevCaptchaOptionsValidator>(DevCaptchaOptions.Section);
        services.AddTrustedProxies();
        services.AddAllowedOrigins("ETag", "Location");
        services.AddOpenApi();
        return topology;
    }

    /// <summary>The catalog database, the shards, every region's NATS, and readiness over the catalog and the NATS servers.</summary>
    public static IServiceCollection AddCatalogData(this IServiceCollection services, Topology topology, IConfiguration configuration)
    {
        services.AddSingleton(CoreDataSources.Create(topology.CatalogDatabase));
        services.AddSingleton(new ShardDatabases(topology));
        services.AddSingleton(sp => new RegionNats(topology, NatsCredentials.FromConfiguration(configuration), sp.GetRequiredService<ILoggerFactory>()));
        services.AddSingleton<CatalogChangePublisher>();
        services.AddSingleton<CatalogDatabase>();
        services.AddSingleton<CatalogSnapshotReader>();

        var readiness = services.AddHealthChecks().AddReadinessProbe("catalog", async (sp, ct) =>
        {
            await using var command = sp.GetRequiredService<CatalogDatabase>().DataSource.CreateCommand("select 1");
            await command.ExecuteScalarAsync(ct);
            return true;
        });
        foreach (var region in topology.Regions)
        {
            readiness.AddReadinessProbe("nats:" + region.Name, async (sp, ct) =>
            {
                await sp.GetRequiredService<RegionNats>().Connections[region.Name].PingAsync(ct);
                return true;
            });
        }

        return services;
    }

    /// <summary>The slot lifecycle: the close loop, its barrier questions to the aggregators, and the pipeline view.</summary>
    public static IServiceCollection AddSlotLifecycle(this IServiceCollection services, Topology topology)
    {
        services.AddSingleton<PipelineReader>();
        services.AddSingleton<SlotTallies>();
        services.AddSingleton<SlotCloser>();
        services.AddHostedService<SlotCloseLoop>();
        services.AddSingleton(new AggregatorUrls(topology.AggregatorUrls is { Count: > 0 } urls ? [.. urls.Select(u => new Uri(u))] : [new Uri(topology.Aggregator.Url)]));
        services.AddHttpClient<AggregatorClient>()
            .AddStandardResilienceHandler(options =>
            {
                options.AttemptTimeout.Timeout = TimeSpan.FromSeconds(2);
                options.TotalRequestTimeout.Timeout = TimeSpan.FromSeconds(5);
                options.CircuitBreaker.SamplingDuration = TimeSpan.FromSeconds(10);
                options.Retry.MaxRetryAttempts = 1;
            })
            // One circuit per aggregator instance: a dead one must not cut core off from the others.
            .SelectPipelineByAuthority();
        return services;
    }

    /// <summary>Account erasure: requests recorded in the catalog and carried out on every shard and region's Redis until done.</summary>
    public static IServiceCollection AddErasure(this IServiceCollection services, Topology topology)
    {
        services.AddSingleton(new RegionRedis(topology));
        services.AddSingleton<ErasureRequests>();
        services.AddHostedService<ErasureWorker>();
        return services;
    }

    /// <summary>Flagged-vote review: the flagged votes read across shards; a review is carried out by the aggregator.</summary>
    public static IServiceCollection AddFlaggedVotes(this IServiceCollection services)
    {
        services.AddSingleton<FlaggedVoteStore>();
        return services;
    }

    public static IServiceCollection AddLeaderboards(this IServiceCollection services)
    {
        services.AddHostedService<LeaderboardRollup>();
        return services;
    }

    public static async Task MigrateCatalogAsync(this WebApplication app)
    {
        await CatalogMigrator.MigrateAsync(app.Services.GetRequiredService<NpgsqlDataSource>(), app.Logger, app.Lifetime.ApplicationStopping);
    }
}
