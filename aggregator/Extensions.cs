using System.Text.Json;
using System.Text.Json.Serialization;
using AiMoviez.Aggregator.Barrier;
using AiMoviez.Aggregator.Ingest;
using AiMoviez.Aggregator.Republish;
using AiMoviez.Aggregator.Rules;
using AiMoviez.Aggregator.Shards;
using AiMoviez.Contracts;
using AiMoviez.ServiceDefaults;
using Microsoft.Extensions.Options;

namespace AiMoviez.Aggregator;

/// <summary>The aggregator's services by feature; Program.cs lists them, the middleware and the endpoint groups in order.</summary>
internal static class Extensions
{
    /// <summary>The topology, listening address, options and JSON.</summary>
    public static Topology AddAggregatorDefaults(this WebApplicationBuilder builder)
    {
        var topology = TopologyLocator.Load(builder.Configuration);
        if (string.IsNullOrEmpty(builder.Configuration[WebHostDefaults.ServerUrlsKey]))
        {
            builder.WebHost.UseUrls(topology.Aggregator.Url);
        }

        var services = builder.Services;
        services.AddOptions<AggregatorOptions>().BindConfiguration(AggregatorOptions.Section)
            .ValidateSectionOnStart<AggregatorOptions, AggregatorOptionsValidator>(AggregatorOptions.Section);
        services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.TypeInfoResolverChain.Insert(0, ContractsJson.Default);
            o.SerializerOptions.TypeInfoResolverChain.Insert(1, AggregatorJson.Default);
        });
        services.AddSingleton(topology);
        services.AddSingleton(new ShardMap(topology));
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<AggregatorMetrics>();
        return topology;
    }

    /// <summary>Every region's NATS and every shard's PostgreSQL, with a readiness probe for each.</summary>
    public static IServiceCollection AddRegionsAndShards(this IServiceCollection services, Topology topology, IConfiguration configuration)
    {
        var natsAuth = NatsCredentials.FromConfiguration(configuration);
        services.AddSingleton(sp => new RegionLinks(topology.Regions.Select(r => new RegionLink(r, natsAuth, sp.GetRequiredService<ILoggerFactory>()))));
        services.AddSingleton<ShardDataSources>();
        var readiness = services.AddHealthChecks();
        foreach (var region in topology.Regions)
        {
            readiness.AddReadinessProbe("nats:" + region.Name, async (sp, ct) =>
            {
                await sp.GetRequiredService<RegionLinks>().All.Single(r => r.Name == region.Name).Connection.PingAsync(ct);
                return true;
            });
        }

        foreach (var shard in topology.Shards)
        {
            readiness.AddReadinessProbe("shard:" + shard.Name, async (sp, ct) =>
            {
                await using var command = sp.GetRequiredService<ShardDataSources>().ByShard[shard.Name].CreateCommand("select 1");
                await command.ExecuteScalarAsync(ct);
                return true;
            });
        }

        return services;
    }

    /// <summary>
    /// Ingest: the shard leases, the rules, one writer per shard fed by every region's consumers, the dead letters, and
    /// what goes back out (outcomes, tallies, reset undos).
    /// </summary>
    public static IServiceCollection AddIngest(this IServiceCollection services)
    {
        services.AddSingleton<ShardLeases>();
        services.AddHostedService(sp => sp.GetRequiredService<ShardLeases>());
        services.AddSingleton<DailyLedger>();
        services.AddSingleton<LedgerDays>();
        services.AddSingleton<AppliedWatermarks>();
        services.AddSingleton<KnownSlots>();
        services.AddSingleton<OutcomePublisher>();
        services.AddSingleton<DeadLetters>();
        services.AddSingleton<ShardWriters>();
        services.AddHostedService(sp => sp.GetRequiredService<ShardWriters>());
        services.AddHostedService<RegionConsumers>();
        services.AddHostedService<TallyRepublisher>();
        services.AddSingleton<ResetUndoPublisher>();
        services.AddHostedService(sp => sp.GetRequiredService<ResetUndoPublisher>());
        services.AddHostedService<StreamMonitor>();
        return services;
    }
}

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(List<ShardLeaseStatus>))]
[JsonSerializable(typeof(string))]
internal sealed partial class AggregatorJson : JsonSerializerContext;
