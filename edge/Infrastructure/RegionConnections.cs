using AiMoviez.Contracts;
using AiMoviez.ServiceDefaults;
using Microsoft.Extensions.Options;
using NATS.Client.Core;
using NATS.Client.JetStream;
using StackExchange.Redis;

namespace AiMoviez.Edge.Infrastructure;

/// <summary>Connections to the region's Redis and NATS, built so an outage fails requests fast instead of hanging.</summary>
internal static class RegionConnections
{
    public static IServiceCollection AddRegionConnections(this IServiceCollection services)
    {
        services.AddSingleton<IConnectionMultiplexer>(sp =>
        {
            var region = sp.GetRequiredService<RegionTopology>();
            var timeout = (int)sp.GetRequiredService<IOptions<EdgeOptions>>().Value.RedisTimeout.TotalMilliseconds;
            var options = ConfigurationOptions.Parse(region.Redis);
            // Fail closed but heal: never give up connecting, and never wait long for an answer. A hung server keeps
            // its socket open, so only these timeouts (and the callers' own, see VoteLedger) notice it.
            options.AbortOnConnectFail = false;
            options.ConnectTimeout = Math.Max(timeout, 1000);
            options.SyncTimeout = timeout;
            options.AsyncTimeout = timeout;
            options.ConnectRetry = 1;
            options.ReconnectRetryPolicy = new LinearRetry(250);
            options.ClientName = "edge-" + region.Name;
            // Replies are read on the thread pool, where their continuations run anyway, not handed over from the
            // client's own reader threads: one thread switch fewer per call (perf/RESULTS.md). Safe because nothing in
            // the edge blocks a pool thread on Redis.
            options.SocketManager = SocketManager.ThreadPool;
            return ConnectionMultiplexer.Connect(options);
        });
        services.AddSingleton<IDatabase>(sp => sp.GetRequiredService<IConnectionMultiplexer>().GetDatabase());

        services.AddSingleton<INatsConnection>(sp =>
        {
            var region = sp.GetRequiredService<RegionTopology>();
            return new NatsConnection(new NatsOpts
            {
                Url = region.Nats,
                Name = "edge-" + region.Name,
                AuthOpts = NatsCredentials.FromConfiguration(sp.GetRequiredService<IConfiguration>()),
                SerializerRegistry = new NatsJsonContextSerializerRegistry(ContractsJson.Default),
                LoggerFactory = sp.GetRequiredService<ILoggerFactory>(),
                MaxReconnectRetry = -1,
            });
        });
        services.AddSingleton<INatsJSContext>(sp => new NatsJSContext(sp.GetRequiredService<INatsConnection>()));
        services.AddSingleton<JetStreamSetup>();
        services.AddHostedService(sp => sp.GetRequiredService<JetStreamSetup>());
        return services;
    }
}
