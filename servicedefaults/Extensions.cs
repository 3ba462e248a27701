using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace AiMoviez.ServiceDefaults;

/// <summary>What every service adds and maps for its infrastructure, one way (STYLE.md: eShop's ServiceDefaults).</summary>
public static class Extensions
{
    /// <summary>
    /// Telemetry (traces, metrics, logs), HTTP/2 with prior knowledge beside HTTP/1.1 on the service's port, problem
    /// details from the contract's table of codes for every error the service or the framework answers, unhandled
    /// exceptions as 503 or 500 problems, and the health-check service for /readyz.
    /// </summary>
    public static IHostApplicationBuilder AddServiceDefaults(this IHostApplicationBuilder builder, string serviceName, string[] sources,
        string[] meters)
    {
        builder.AddTelemetry(serviceName, sources, meters);
        builder.Services.AddProblemDetails(problems => problems.CustomizeProblemDetails = Problems.Complete);
        builder.Services.AddExceptionHandler<ProblemExceptionHandler>();
        // A parameter the framework cannot bind is a 400 problem, not an exception.
        builder.Services.Configure<RouteHandlerOptions>(routes => routes.ThrowOnBadRequest = false);
        builder.Services.AddHealthChecks();
        builder.Services.AddCleartextHttp2();
        return builder;
    }

    /// <summary><c>/healthz</c>, <c>/readyz</c> and <c>/metrics</c>.</summary>
    public static IEndpointRouteBuilder MapDefaultEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapHealthEndpoints();
        app.MapTelemetryEndpoints();
        return app;
    }
}
