using AiMoviez.Contracts;
using NATS.Client.Core;

namespace AiMoviez.Core.Catalog;

/// <summary>One NATS connection per region; core publishes catalog.changed to all and reads the vote streams' state.</summary>
internal sealed class RegionNats : IAsyncDisposable
{
    private readonly Dictionary<string, NatsConnection> _connections;

    public RegionNats(Topology topology, NatsAuthOpts auth, ILoggerFactory loggerFactory)
    {
        _connections = topology.Regions.ToDictionary(r => r.Name, r => new NatsConnection(new NatsOpts
        {
            Url = r.Nats,
            Name = "aimoviez-core",
            AuthOpts = auth,
            ConnectTimeout = TimeSpan.FromSeconds(2),
            RequestTimeout = TimeSpan.FromSeconds(2),
            LoggerFactory = loggerFactory,
        }));
    }

    public IReadOnlyDictionary<string, NatsConnection> Connections => _connections;

    public async ValueTask DisposeAsync()
    {
        foreach (var connection in _connections.Values)
        {
            await connection.DisposeAsync();
        }
    }
}

/// <summary>Tells every region's edges to refetch the catalog. Best effort: edges also poll every 2 s.</summary>
internal sealed class CatalogChangePublisher(RegionNats nats, ILogger<CatalogChangePublisher> logger)
{
    public async Task PublishAsync(CancellationToken ct)
    {
        await Task.WhenAll(nats.Connections.Select(async pair =>
        {
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
                timeout.CancelAfter(TimeSpan.FromSeconds(2));
                await pair.Value.PublishAsync(Subjects.CatalogChanged, cancellationToken: timeout.Token);
            }
            catch (Exception e) when (e is NatsException or OperationCanceledException)
            {
                logger.LogWarning("catalog.changed not published to region {Region}: {Error}", pair.Key, e.Message);
            }
        }));
    }
}
