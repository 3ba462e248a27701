using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace AiMoviez.ServiceDefaults;

/// <summary>
/// Configuration section <c>Telemetry</c>. <see cref="TraceSampleRatio"/> is the share of new traces (requests arriving
/// without a sampled parent) that are recorded, and <see cref="MaxTracesPerSecond"/> caps how many of them a process
/// records per second; a request with a parent follows its parent's decision (parent-based).
/// </summary>
public sealed class TelemetryOptions
{
    public const string Section = "Telemetry";

    [Range(0.0, 1.0)]
    public double TraceSampleRatio { get; set; } = 1.0;

    /// <summary>
    /// New traces recorded per second at most, per process. Every request of a developer trying the stack is recorded;
    /// under load the collector receives this steady sample instead of one trace per vote.
    /// </summary>
    [Range(1, 1_000_000)]
    public int MaxTracesPerSecond { get; set; } = 10;
}

[OptionsValidator]
public sealed partial class TelemetryOptionsValidator : IValidateOptions<TelemetryOptions>;

/// <summary>
/// Traces, metrics and logs for every service, one way (CONTRACT.md section 8). Metrics are always kept, for
/// <c>GET /metrics</c>; traces and logs leave the process only by OTLP, to <c>OTEL_EXPORTER_OTLP_ENDPOINT</c>
/// (protocol <c>OTEL_EXPORTER_OTLP_PROTOCOL</c>). Without an endpoint no tracer listens, so every
/// <c>ActivitySource.StartActivity</c> on the vote path returns null and costs a check.
/// </summary>
public static class Telemetry
{
    public const string OtlpEndpointVariable = "OTEL_EXPORTER_OTLP_ENDPOINT";
    private const string LinkCountLimitVariable = "OTEL_SPAN_LINK_COUNT_LIMIT";

    /// <param name="serviceName">The resource's service.name, e.g. <c>aimoviez-edge-eu</c>.</param>
    /// <param name="sources">The service's own activity sources (added to ASP.NET Core's and HttpClient's).</param>
    /// <param name="meters">The service's own meters (added to ASP.NET Core's, Kestrel's, the runtime's and HttpClient's).</param>
    public static IHostApplicationBuilder AddTelemetry(this IHostApplicationBuilder builder, string serviceName, string[] sources, string[] meters)
    {
        var settings = builder.Configuration.GetSection(TelemetryOptions.Section).Get<TelemetryOptions>() ?? new TelemetryOptions();
        // Checked now, not at start: the sampler is built from it before the host exists.
        var validation = new TelemetryOptionsValidator().Validate(null, settings);
        if (validation.Failed)
        {
            throw new OptionsValidationException(TelemetryOptions.Section, typeof(TelemetryOptions),
                validation.Failures.Select(f => $"{TelemetryOptions.Section}: {f}"));
        }

        var exporting = !string.IsNullOrWhiteSpace(builder.Configuration[OtlpEndpointVariable]);
        var telemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(serviceName))
            .WithMetrics(metrics => metrics
                .AddAspNetCoreInstrumentation()
                .AddMeter("System.Runtime")
                .AddMeter("System.Net.Http")
                .AddMeter(meters)
                .AddPrometheusExporter());
        if (!exporting)
        {
            return builder;
        }

        // An aggregator batch links the send span of every vote it applied, thousands at a time; the SDK keeps 128 by default.
        if (builder.Configuration[LinkCountLimitVariable] is null)
        {
            builder.Configuration[LinkCountLimitVariable] = "100000";
        }

        builder.Logging.AddOpenTelemetry(logging =>
        {
            logging.IncludeFormattedMessage = true;
            logging.IncludeScopes = true;
        });
        telemetry
            .WithTracing(tracing => tracing
                .SetSampler(new ParentBasedSampler(new TraceRateSampler(new TraceIdRatioBasedSampler(settings.TraceSampleRatio),
                    settings.MaxTracesPerSecond, TimeProvider.System)))
                .AddAspNetCoreInstrumentation(aspNetCore => aspNetCore.Filter = context => !IsProbe(context.Request.Path))
                .AddSource("System.Net.Http")
                .AddSource(sources))
            .WithLogging()
            .UseOtlpExporter();
        return builder;
    }

    /// <summary><c>GET /metrics</c> in the Prometheus text format.</summary>
    public static IEndpointRouteBuilder MapTelemetryEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPrometheusScrapingEndpoint();
        return app;
    }

    /// <summary>Health probes and scrapes come every few seconds and say nothing about a vote: not traced.</summary>
    private static bool IsProbe(PathString path) =>
        path.StartsWithSegments("/healthz") || path.StartsWithSegments("/readyz") || path.StartsWithSegments("/metrics");
}
