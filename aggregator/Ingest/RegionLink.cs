using AiMoviez.Contracts;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace AiMoviez.Aggregator.Ingest;

/// <summary>One region's NATS: its vote stream (read), receipts and dead letters (written), tallies (published).</summary>
internal sealed class RegionLink : IAsyncDisposable
{
    public RegionLink(RegionTopology region, NatsAuthOpts auth, ILoggerFactory loggerFactory)
    {
        Region = region;
        // A loaded host can be slow to answer the first connect; the consumer loop retries anyway. The client's own log
        // says when it drops messages a lane has not read (a slow consumer).
        Connection = new NatsConnection(new NatsOpts
        {
            Url = region.Nats, Name = "aggregator", AuthOpts = auth, ConnectTimeout = TimeSpan.FromSeconds(10), LoggerFactory = loggerFactory,
        });
        JetStream = new NatsJSContext(Connection);
    }

    public RegionTopology Region { get; }

    public string Name => Region.Name;

    public NatsConnection Connection { get; }

    public NatsJSContext JetStream { get; }

    public bool Connected => Connection.ConnectionState == NatsConnectionState.Open;

    /// <summary>Creates the region's streams that are missing; an existing stream (e.g. made by the edge) is left as is.</summary>
    public async Task EnsureStreamsAsync(CancellationToken cancellationToken)
    {
        await JetStream.EnsureStreamAsync(RegionStreams.Votes(Region), cancellationToken);
        await JetStream.EnsureStreamAsync(RegionStreams.Receipts(Region), cancellationToken);
        await JetStream.EnsureStreamAsync(RegionStreams.DeadLetters(Region), cancellationToken);
        await JetStream.EnsureStreamAsync(RegionStreams.Resets(Region), cancellationToken);
    }

    public ValueTask DisposeAsync() => Connection.DisposeAsync();
}

/// <summary>All regions of the topology.</summary>
internal sealed class RegionLinks(IEnumerable<RegionLink> links) : IAsyncDisposable
{
    public IReadOnlyList<RegionLink> All { get; } = links.ToList();

    public RegionLink this[string region] => All.First(l => l.Name == region);

    public async ValueTask DisposeAsync()
    {
        foreach (var link in All)
        {
            await link.DisposeAsync();
        }
    }
}
