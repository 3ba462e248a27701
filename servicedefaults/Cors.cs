using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Cors.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AiMoviez.ServiceDefaults;

/// <summary>
/// Configuration section <c>Cors</c>: the browser origins allowed; a trailing <c>:*</c> allows any port of that host.
/// None configured: local development origins only. (Not a default array: the binder would append configured origins to it.)
/// </summary>
public sealed class AllowedOriginsOptions
{
    public const string Section = "Cors";

    private static readonly string[] LocalOrigins = ["http://localhost:*", "http://127.0.0.1:*"];

    public string[] AllowedOrigins { get; set; } = [];

    public bool IsAllowed(string origin)
    {
        foreach (var pattern in AllowedOrigins.Length == 0 ? LocalOrigins : AllowedOrigins)
        {
            if (string.Equals(pattern.TrimEnd('/'), origin, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }

            if (pattern.EndsWith(":*", StringComparison.Ordinal)
                && origin.StartsWith(pattern[..^1], StringComparison.OrdinalIgnoreCase)
                && int.TryParse(origin.AsSpan(pattern.Length - 1), out var port) && port is > 0 and < 65536)
            {
                return true;
            }
        }

        return false;
    }
}

public static class Cors
{
    /// <summary>The default CORS policy: the configured origins, any header and method, and the response headers a browser client reads.</summary>
    public static IServiceCollection AddAllowedOrigins(this IServiceCollection services, params string[] exposedHeaders)
    {
        services.AddOptions<AllowedOriginsOptions>().BindConfiguration(AllowedOriginsOptions.Section);
        services.AddCors();
        services.AddOptions<CorsOptions>().Configure<IOptions<AllowedOriginsOptions>>((cors, allowed) =>
            cors.AddDefaultPolicy(policy => policy
                .SetIsOriginAllowed(allowed.Value.IsAllowed)
                .AllowAnyHeader()
                .AllowAnyMethod()
                .WithExposedHeaders(exposedHeaders)));
        return services;
    }

    /// <summary>
    /// The CORS middleware, handed its policy provider once. <c>UseCors()</c> would hand it to every request through
    /// reflection in a Native AOT build (<c>UseMiddleware</c>'s fallback for an <c>Invoke</c> that takes services).
    /// </summary>
    public static IApplicationBuilder UseAllowedOrigins(this IApplicationBuilder app)
    {
        var services = app.ApplicationServices;
        var corsService = services.GetRequiredService<ICorsService>();
        var policyProvider = services.GetRequiredService<ICorsPolicyProvider>();
        var loggerFactory = services.GetRequiredService<ILoggerFactory>();
        return app.Use(next =>
        {
            var cors = new CorsMiddleware(next, corsService, loggerFactory);
            return context => cors.Invoke(context, policyProvider);
        });
    }
}
