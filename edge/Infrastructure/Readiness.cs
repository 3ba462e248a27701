using AiMoviez.Edge.Catalog;
using AiMoviez.ServiceDefaults;
using Microsoft.Extensions.Options;
using NATS.Client.Core;
using StackExchange.Redis;

namespace AiMoviez.Edge.Infrastructure;

/// <summary>/readyz: Redis answers, NATS is connected with the streams in place, and a catalog snapshot is there.</summary>
internal static class Readiness
{
    public static IServiceCollection AddReadinessProbes(this IServiceCollection services)
    {
        services.AddHealthChecks()
            .AddReadinessProbe("redis", async (sp, ct) =>
            {
                await sp.GetRequiredService<IDatabase>().PingAsync().WaitAsync(sp.GetRequiredService<IOptions<EdgeOptions>>().Value.RedisTimeout, ct);
                return true;
            })
            .AddReadinessProbe("nats", (sp, _) => Task.FromResult(
                sp.GetRequiredService<INatsConnection>().ConnectionState == NatsConnectionState.Open
                && sp.GetRequiredService<JetStreamSetup>().Ready.IsCompletedSuccessfully))
            .AddReadinessProbe("catalog", (sp, _) => Task.FromResult(sp.GetRequiredService<CatalogStore>().Current is not null));
        return services;
    }
}
