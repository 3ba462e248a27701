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

public static class Extensions
{
    public static void AddAggregator(this WebApplicationBuilder builder)
    {
        var topology = TopologyFile.Load(builder.Configuration["Topology:Path"] ?? DefaultTopologyPath());
        if (string.IsNullOrEmpty(builder.Configuration[WebHostDefaults.ServerUrlsKey]))
        {
            builder.WebHost.UseUrls(topology.Aggregator.Url);
        }

        var services = builder.Services;
        services.AddOptions<AggregatorOptions>()
            .BindConfiguration(AggregatorOptions.Section)
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<AggregatorOptions>, AggregatorOptionsValidator>();
        services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.TypeInfoResolverChain.Insert(0, ContractsJson.Default);
            o.SerializerOptions.TypeInfoResolverChain.Insert(1, AggregatorJson.Default);
        });

        services.AddSingleton(topology);
        services.AddSingleton(new ShardMap(topology));
        var natsAuth = NatsCredentials.FromConfiguration(builder.Configuration);
        services.AddSingleton(new RegionLinks(topology.Regions.Select(r => new RegionLink(r, natsAuth))));
        services.AddSingleton<ShardDataSources>();
        services.AddSingleton<ShardLeases>();
        services.AddHostedService(sp => sp.GetRequiredService<ShardLeases>());
        services.AddSingleton<DailyLedger>();
        services.AddSingleton<LedgerDays>();
        services.AddSingleton<AppliedWatermarks>();
        services.AddSingleton<KnownSlots>();
        services.AddSingleton<OutcomePublisher>();
        services.AddSingleton<AggregatorMetrics>();
        services.AddSingleton<DeadLetters>();
        services.AddSingleton<ShardWriters>();
        services.AddHostedService(sp => sp.GetRequiredService<ShardWriters>());
        services.AddHostedService<RegionConsumers>();
        services.AddHostedService<TallyRepublisher>();
        services.AddSingleton<ResetUndoPublisher>();
        services.AddHostedService(sp => sp.GetRequiredService<ResetUndoPublisher>());
        services.AddHostedService<StreamMonitor>();
        services.AddSingleton(TimeProvider.System);

        // Npgsql's own spans (each command of a shard transaction) and meter, without Npgsql.OpenTelemetry, whose
        // AddNpgsql only names the same source and meter.
        builder.AddTelemetry("aimoviez-aggregator", [AggregatorTracing.SourceName, "Npgsql"], [AggregatorMetrics.MeterName, "Npgsql"]);
    }

    /// <summary>&lt;repo&gt;/regions/regions.json, found by walking up from the executable's directory.</summary>
    private static string DefaultTopologyPath()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "regions", "regions.json");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException($"No regions/regions.json above {AppContext.BaseDirectory}; set Topology:Path.");
    }
}

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(Readiness))]
[JsonSerializable(typeof(List<ShardLeaseStatus>))]
[JsonSerializable(typeof(string))]
internal sealed partial class AggregatorJson : JsonSerializerContext;
