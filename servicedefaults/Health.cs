using System.Text.Json;
using AiMoviez.Contracts;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace AiMoviez.ServiceDefaults;

/// <summary>
/// <c>GET /healthz</c> (the process answers: 200 <c>{"status":"ok"}</c>) and <c>GET /readyz</c> (every readiness
/// probe of the service: 200 <c>{"status":"ready","checks":{name:"ok"}}</c>, or 503 problem+json DEPENDENCY_UNAVAILABLE
/// naming the <c>failing</c> ones, with the same <c>checks</c>), one shape for every service (CONTRACT.md section 2).
/// </summary>
public static class Health
{
    private const string ReadyTag = "ready";
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(3);
    private static readonly byte[] Alive = "{\"status\":\"ok\"}"u8.ToArray();

    /// <summary>A readiness probe: true when the dependency answers; false, an exception or no answer within 3 s is not ready.</summary>
    public static IHealthChecksBuilder AddReadinessProbe(this IHealthChecksBuilder checks, string name,
        Func<IServiceProvider, CancellationToken, Task<bool>> probe) =>
        checks.Add(new HealthCheckRegistration(name, services => new Probe(services, probe), HealthStatus.Unhealthy, [ReadyTag], ProbeTimeout));

    public static IEndpointRouteBuilder MapHealthEndpoints(this IEndpointRouteBuilder app)
    {
        // A plain endpoint rather than a health check: the cheapest request a service answers, the baseline the bench sets a vote beside.
        app.MapGet("/healthz", static (HttpContext context) =>
        {
            context.Response.ContentType = "application/json";
            return context.Response.Body.WriteAsync(Alive).AsTask();
        });
        app.MapHealthChecks("/readyz", new HealthCheckOptions
        {
            Predicate = registration => registration.Tags.Contains(ReadyTag),
            ResultStatusCodes = { [HealthStatus.Degraded] = StatusCodes.Status503ServiceUnavailable },
            ResponseWriter = WriteReadinessAsync,
        });
        return app;
    }

    private static async Task WriteReadinessAsync(HttpContext context, HealthReport report)
    {
        var failing = report.Entries.Where(e => e.Value.Status != HealthStatus.Healthy).Select(e => e.Key).ToArray();
        context.Response.ContentType = failing.Length == 0 ? "application/json" : "application/problem+json";
        await using var json = new Utf8JsonWriter(context.Response.Body);
        json.WriteStartObject();
        if (failing.Length == 0)
        {
            json.WriteString("status", "ready");
        }
        else
        {
            json.WriteString("type", "about:blank");
            json.WriteString("title", "Not ready.");
            json.WriteNumber("status", StatusCodes.Status503ServiceUnavailable);
            json.WriteString("detail", "Unavailable: " + string.Join(", ", failing) + ".");
            json.WriteString("code", ErrorCodes.DependencyUnavailable);
            json.WriteStartArray("failing");
            foreach (var name in failing)
            {
                json.WriteStringValue(name);
            }

            json.WriteEndArray();
        }

        json.WriteStartObject("checks");
        foreach (var (name, entry) in report.Entries)
        {
            json.WriteString(name, entry.Status == HealthStatus.Healthy ? "ok" : "unavailable");
        }

        json.WriteEndObject();
        json.WriteEndObject();
    }

    private sealed class Probe(IServiceProvider services, Func<IServiceProvider, CancellationToken, Task<bool>> probe) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            try
            {
                return await probe(services, cancellationToken) ? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy();
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                // Clients fault a call with whatever they have when they give a connection up; all of it means not ready.
                return HealthCheckResult.Unhealthy(e.GetType().Name);
            }
        }
    }
}
