using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Threading.RateLimiting;
using AiMoviez.Contracts;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace AiMoviez.ServiceDefaults;

/// <summary>Configuration section <c>PublicReads</c>: the per-client-IP ceiling on public reads (CONTRACT.md section 4).</summary>
public sealed class PublicReadOptions
{
    public const string Section = "PublicReads";

    [Range(1, 100_000_000)]
    public int PermitsPerWindow { get; set; } = 120;

    [TimeSpanRange("00:00:01", "1.00:00:00")]
    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(1);
}

[OptionsValidator]
public sealed partial class PublicReadOptionsValidator : IValidateOptions<PublicReadOptions>;

/// <summary>
/// Public reads limited per client IP in a sliding window, kept in each process: a ceiling against scripts that reload
/// a page, not a quota shared by a region's instances, so it costs no round trip to a store.
/// </summary>
public static class PublicReadLimits
{
    public const string Policy = "public-reads";

    /// <summary>Sliding-window segments per window: how finely old requests age out.</summary>
    private const int Segments = 6;

    public static IServiceCollection AddPublicReadLimits(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<PublicReadOptions>().Bind(configuration.GetSection(PublicReadOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<PublicReadOptions>, PublicReadOptionsValidator>();
        services.AddRateLimiter(limiter =>
        {
            limiter.AddPolicy(Policy, context =>
            {
                var settings = context.RequestServices.GetRequiredService<IOptions<PublicReadOptions>>().Value;
                // Forwarded headers have run: the remote address is the client as CONTRACT.md section 4 defines it.
                var clientIp = context.Connection.RemoteIpAddress?.ToString() ?? "";
                return RateLimitPartition.GetSlidingWindowLimiter(clientIp, _ => new SlidingWindowRateLimiterOptions
                {
                    PermitLimit = settings.PermitsPerWindow,
                    Window = settings.Window,
                    SegmentsPerWindow = Segments,
                    QueueLimit = 0,
                });
            });
            limiter.OnRejected = (rejected, ct) => WriteRejectionAsync(rejected.HttpContext, rejected.Lease, ct);
        });
        return services;
    }

    /// <summary>Applies the limit to a group or endpoint of public reads.</summary>
    public static TBuilder RequirePublicReadLimit<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.RequireRateLimiting(Policy);

    private static async ValueTask WriteRejectionAsync(HttpContext http, RateLimitLease lease, CancellationToken ct)
    {
        var settings = http.RequestServices.GetRequiredService<IOptions<PublicReadOptions>>().Value;
        var retryAfter = lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? after : settings.Window / Segments;
        http.Response.StatusCode = StatusCodes.Status429TooManyRequests;
        http.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        await http.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
        {
            HttpContext = http,
            ProblemDetails = new ProblemDetails
            {
                Status = StatusCodes.Status429TooManyRequests,
                Title = "Too many requests.",
                Detail = $"At most {settings.PermitsPerWindow} public reads per {settings.Window} from one client; retry later.",
                Extensions = { ["code"] = ErrorCodes.RateLimited },
            },
        });
    }
}

/// <summary>How long a public read's answer may be reused (CONTRACT.md section 4: Cache-Control suited to its freshness).</summary>
public static class CacheControl
{
    /// <summary>Sets <c>Cache-Control</c> on the endpoint's successful answers; errors stay uncached.</summary>
    public static TBuilder WithCacheControl<TBuilder>(this TBuilder builder, string value) where TBuilder : IEndpointConventionBuilder =>
        builder.AddEndpointFilter(async (context, next) =>
        {
            var response = context.HttpContext.Response;
            response.OnStarting(() =>
            {
                if (response.StatusCode is >= 200 and < 300)
                {
                    response.Headers.CacheControl = value;
                }

                return Task.CompletedTask;
            });
            return await next(context);
        });
}
