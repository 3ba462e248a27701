using AiMoviez.Contracts;
using AiMoviez.Edge.Infrastructure;
using Microsoft.Extensions.Options;
using NATS.Client.Core;

namespace AiMoviez.Edge.Catalog;

/// <summary>Keeps <see cref="CatalogStore"/> fresh: refetches at once on <c>catalog.changed</c>, and polls as the fallback.</summary>
internal sealed partial class CatalogSync(
    CatalogClient client,
    CatalogStore store,
    INatsConnection nats,
    IOptions<EdgeOptions> options,
    ILogger<CatalogSync> logger) : BackgroundService
{
    private readonly SemaphoreSlim _changed = new(0, 1);

    // Either loop ending on an error it does not expect stops the host: an edge whose catalog silently stopped updating
    // would go on voting against the last one.
    protected override async Task ExecuteAsync(CancellationToken stoppingToken) =>
        await await Task.WhenAny(ListenForChangesAsync(stoppingToken), PollAsync(stoppingToken));

    private async Task PollAsync(CancellationToken stoppingToken)
    {
        var interval = options.Value.CatalogPoll;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var snapshot = await client.FetchAsync(stoppingToken);
                if (snapshot is not null && store.Offer(snapshot))
                {
                    LogUpdated(logger, snapshot.Version);
                }
            }
            catch (Exception e) when (e is HttpRequestException or InvalidDataException or System.Text.Json.JsonException
                                          or TaskCanceledException or TimeoutException or Polly.ExecutionRejectedException
                                      && !stoppingToken.IsCancellationRequested)
            {
                LogFetchFailed(logger, e.Message);
            }

            try
            {
                await _changed.WaitAsync(interval, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task ListenForChangesAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await foreach (var _ in nats.SubscribeAsync(Subjects.CatalogChanged, serializer: NatsRawSerializer<byte[]>.Default, cancellationToken: stoppingToken))
                {
                    Signal();
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogSubscribeFailed(logger, e.Message);
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken);
            }
        }
    }

    private void Signal()
    {
        try
        {
            _changed.Release();
        }
        catch (SemaphoreFullException)
        {
            // A refetch is already due.
        }
    }

    public override void Dispose()
    {
        _changed.Dispose();
        base.Dispose();
    }

    [LoggerMessage(LogLevel.Information, "Catalog snapshot version {Version} loaded")]
    private static partial void LogUpdated(ILogger logger, long version);

    [LoggerMessage(LogLevel.Warning, "Catalog fetch failed, serving the last snapshot: {Reason}")]
    private static partial void LogFetchFailed(ILogger logger, string reason);

    [LoggerMessage(LogLevel.Warning, "catalog.changed subscription failed: {Reason}")]
    private static partial void LogSubscribeFailed(ILogger logger, string reason);
}
