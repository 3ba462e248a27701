using AiMoviez.Contracts;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace AiMoviez.Edge.Infrastructure;

/// <summary>
/// Creates the region's vote, receipt and reset streams when missing (the aggregator may create them too, so an existing
/// stream is left as it is). Retries until NATS answers; <see cref="Ready"/> completes once all exist.
/// </summary>
internal sealed partial class JetStreamSetup(INatsJSContext jetStream, RegionTopology region, ILogger<JetStreamSetup> logger)
    : BackgroundService
{
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task Ready => _ready.Task;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await jetStream.EnsureStreamAsync(RegionStreams.Votes(region), stoppingToken);
                await jetStream.EnsureStreamAsync(RegionStreams.Receipts(region), stoppingToken);
                await jetStream.EnsureStreamAsync(RegionStreams.Resets(region), stoppingToken);
                _ready.TrySetResult();
                return;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogSetupFailed(logger, e.Message);
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken);
            }
        }
    }

    [LoggerMessage(LogLevel.Warning, "JetStream streams not ready yet: {Reason}")]
    private static partial void LogSetupFailed(ILogger logger, string reason);
}
