using System.Text.Json;
using AiMoviez.Contracts;
using AiMoviez.Edge.Catalog;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using NATS.Client.Core;
using StackExchange.Redis;

namespace AiMoviez.Edge.Infrastructure;

/// <summary>/readyz: 200 when Redis, NATS (with the streams) and a catalog snapshot are there; else 503 naming the failing ones.</summary>
public static class Readiness
{
    public const string Tag = "ready";

    public static IServiceCollection AddReadinessChecks(this IServiceCollection services)
    {
        services.AddHealthChecks()
            .AddCheck<RedisCheck>("redis", tags: [Tag])
            .AddCheck<NatsCheck>("nats", tags: [Tag])
            .AddCheck<CatalogCheck>("catalog", tags: [Tag]);
        return services;
    }

    public static HealthCheckOptions Options { get; } = new()
    {
        Predicate = check => check.Tags.Contains(Tag),
        ResultStatusCodes = { [HealthStatus.Degraded] = StatusCodes.Status503ServiceUnavailable },
        ResponseWriter = WriteAsync,
    };

    private static async Task WriteAsync(HttpContext context, HealthReport report)
    {
        var failing = report.Entries.Where(e => e.Value.Status != HealthStatus.Healthy).Select(e => e.Key).ToArray();
        if (failing.Length > 0)
        {
            var problems = context.RequestServices.GetRequiredService<IProblemDetailsService>();
            await problems.WriteAsync(new ProblemDetailsContext
            {
                HttpContext = context,
                ProblemDetails =
                {
                    Status = StatusCodes.Status503ServiceUnavailable,
                    Title = "Not ready.",
                    Detail = "Unavailable: " + string.Join(", ", failing) + ".",
                    Extensions = { ["code"] = ErrorCodes.DependencyUnavailable, ["failing"] = failing },
                },
            });
            return;
        }

        context.Response.ContentType = "application/json";
        await using var writer = new Utf8JsonWriter(context.Response.Body);
        writer.WriteStartObject();
        writer.WriteString("status", "ready");
        writer.WriteStartArray("checks");
        foreach (var name in report.Entries.Keys)
        {
            writer.WriteStringValue(name);
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    private sealed class RedisCheck(IDatabase redis, IOptions<EdgeOptions> options) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            try
            {
                await redis.PingAsync().WaitAsync(options.Value.RedisTimeout, cancellationToken);
                return HealthCheckResult.Healthy();
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                // The client may also fault a call with a non-Redis exception when it gives a connection up.
                return HealthCheckResult.Unhealthy("Redis does not answer.");
            }
        }
    }

    private sealed class NatsCheck(INatsConnection nats, JetStreamSetup streams) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
            Task.FromResult(nats.ConnectionState == NatsConnectionState.Open && streams.Ready.IsCompletedSuccessfully
                ? HealthCheckResult.Healthy()
                : HealthCheckResult.Unhealthy("NATS is not connected or the streams are missing."));
    }

    private sealed class CatalogCheck(CatalogStore catalog) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
            Task.FromResult(catalog.Current is null
                ? HealthCheckResult.Unhealthy("No catalog snapshot yet.")
                : HealthCheckResult.Healthy());
    }
}
