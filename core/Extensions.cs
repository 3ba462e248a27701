using System.Text.RegularExpressions;
using AiMoviez.Core.Audit;
using AiMoviez.Core.Bans;
using AiMoviez.Core.Captcha;
using AiMoviez.Core.Catalog;
using AiMoviez.Core.Clips;
using AiMoviez.Core.Data;
using AiMoviez.Core.FeatureFlags;
using AiMoviez.Core.FlaggedVotes;
using AiMoviez.Core.Infrastructure;
using AiMoviez.Core.Leaderboards;
using AiMoviez.Core.Moderation;
using AiMoviez.Core.Pipeline;
using AiMoviez.Core.Seasons;
using AiMoviez.Core.Slots;
using AiMoviez.ServiceDefaults;
using Microsoft.Extensions.Http.Resilience;
using Npgsql;
using Scalar.AspNetCore;

namespace AiMoviez.Core;

public static class Extensions
{
    public const long MaxRequestBodyBytes = 1024 * 1024;

    public static void AddCoreServices(this WebApplicationBuilder builder)
    {
        var topology = TopologyLocator.Load(builder.Configuration);
        // ASPNETCORE_URLS (or --urls) wins; otherwise core listens where the topology says it is.
        if (string.IsNullOrEmpty(builder.Configuration["urls"]))
        {
            builder.WebHost.UseUrls(topology.Core.Url);
        }

        // Every request body core takes is small JSON; anything bigger is refused (413 PAYLOAD_TOO_LARGE).
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = MaxRequestBodyBytes);
        var services = builder.Services;
        services.AddSingleton(TimeProvider.System);
        var auth = BindValidated<AuthOptions>(builder, AuthOptions.Section);
        BindValidated<SlotOptions>(builder, SlotOptions.Section);
        BindValidated<LeaderboardOptions>(builder, LeaderboardOptions.Section);
        var cors = BindValidated<CorsOptions>(builder, CorsOptions.Section);
        var proxies = BindValidated<ProxyOptions>(builder, ProxyOptions.Section);
        services.AddSingleton(BindValidated<DevCaptchaOptions>(builder, DevCaptchaOptions.Section));
        services.Configure<ForwardedHeadersOptions>(forwarded => TrustedProxies.Apply(forwarded, proxies.Trusted));
        services.AddPublicReadLimits(builder.Configuration);

        services.AddSingleton(NpgsqlDataSource.Create(topology.CatalogDatabase));
        services.AddSingleton(new ShardDatabases(topology));
        services.AddSingleton(new RegionNats(topology, NatsCredentials.FromConfiguration(builder.Configuration)));
        services.AddSingleton<CatalogChangePublisher>();
        services.AddSingleton<CatalogDatabase>();
        services.AddSingleton<CatalogSnapshotReader>();
        services.AddSingleton<PipelineReader>();
        services.AddSingleton<FlaggedVoteStore>();
        services.AddSingleton<SlotTallies>();
        services.AddSingleton<SlotCloser>();
        services.AddHostedService<SlotCloseLoop>();
        services.AddHostedService<LeaderboardRollup>();
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

        services.AddCoreAuth(auth);
        services.AddProblemDetails(options => options.CustomizeProblemDetails = context =>
        {
            var status = context.ProblemDetails.Status ?? context.HttpContext.Response.StatusCode;
            context.ProblemDetails.Extensions.TryAdd("code", Problems.CodeFor(status));
        });
        services.AddExceptionHandler<ProblemExceptionHandler>();
        services.Configure<RouteHandlerOptions>(options => options.ThrowOnBadRequest = false);
        services.AddCors(options => options.AddDefaultPolicy(policy => policy
            .SetIsOriginAllowed(OriginMatcher(cors.AllowedOrigins)).AllowAnyHeader().AllowAnyMethod().WithExposedHeaders("ETag", "Location")));
        services.AddOpenApi();

        builder.AddTelemetry("aimoviez-core", ["Npgsql"], ["Npgsql"]);
    }

    public static async Task MigrateCatalogAsync(this WebApplication app)
    {
        await CatalogMigrator.MigrateAsync(app.Services.GetRequiredService<NpgsqlDataSource>(), app.Logger, app.Lifetime.ApplicationStopping);
    }

    public static void MapCoreEndpoints(this WebApplication app)
    {
        app.UseForwardedHeaders();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseCors();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseRateLimiter();

        app.MapHealthApi();
        app.MapTelemetryEndpoints();
        app.MapCatalogApi();
        app.MapDevCaptchaApi(app.Services.GetRequiredService<DevCaptchaOptions>());
        app.MapOpenApi();
        app.MapScalarApiReference();

        var v1 = app.MapGroup("/v1");
        v1.MapSeasonsApi().MapClipsApi().MapFeaturesApi().MapLeaderboardsApi();

        var admin = v1.MapGroup("/admin").RequireAuthorization(AuthExtensions.AdminPolicy).WithTags("Admin");
        admin.MapSeasonAdminApi()
            .MapSlotAdminApi()
            .MapModerationApi()
            .MapFeatureFlagAdminApi()
            .MapBansApi()
            .MapFlaggedVotesApi()
            .MapAuditLogsApi()
            .MapPipelineApi();
    }

    private static T BindValidated<T>(WebApplicationBuilder builder, string section) where T : class, new()
    {
        builder.Services.AddOptions<T>().Bind(builder.Configuration.GetSection(section)).ValidateDataAnnotations().ValidateOnStart();
        var options = builder.Configuration.GetSection(section).Get<T>() ?? new T();
        var results = new List<System.ComponentModel.DataAnnotations.ValidationResult>();
        // Checked here too, because auth and CORS are configured from these values before the host starts.
        if (!System.ComponentModel.DataAnnotations.Validator.TryValidateObject(options, new(options), results, validateAllProperties: true))
        {
            throw new InvalidOperationException($"Invalid configuration in section '{section}': " +
                string.Join("; ", results.Select(r => $"{string.Join(",", r.MemberNames.Select(m => section + ":" + m))}: {r.ErrorMessage}")));
        }

        return options;
    }

    /// <summary>Exact origins, and `scheme://host:*` patterns matching any port of that host.</summary>
    private static Func<string, bool> OriginMatcher(IEnumerable<string> allowed)
    {
        var patterns = allowed.Select(origin => new Regex("^" + Regex.Escape(origin.TrimEnd('/')).Replace(@":\*", @":[0-9]{1,5}") + "$",
            RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)).ToList();
        return origin => patterns.Any(p => p.IsMatch(origin));
    }
}
