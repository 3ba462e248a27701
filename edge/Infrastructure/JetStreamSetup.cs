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
                await EnsureStreamAsync(new StreamConfig(region.VoteStream, [Subjects.VoteStreamSubjects(region.Name)])
                {
                    Storage = StreamConfigStorage.File,
                    DuplicateWindow = StreamLimits.VotesDuplicateWindow,
                    MaxAge = StreamLimits.VotesMaxAge,
                    NumReplicas = region.StreamReplicas,
                }, stoppingToken);
                await EnsureStreamAsync(new StreamConfig(region.ReceiptStream, [Subjects.Receipts(region.Name)])
                {
                    Storage = StreamConfigStorage.File,
                    MaxAge = StreamLimits.ReceiptsMaxAge,
                    NumReplicas = region.StreamReplicas,
                }, stoppingToken);
                await EnsureStreamAsync(new StreamConfig(region.ResetStream, [Subjects.SlotResets(region.Name)])
                {
                    Storage = StreamConfigStorage.File,
                    MaxAge = StreamLimits.ResetsMaxAge,
                }, stoppingToken);
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

    private async Task EnsureStreamAsync(StreamConfig config, CancellationToken cancellationToken)
    {
        try
        {
            await jetStream.GetStreamAsync(config.Name!, cancellationToken: cancellationToken);
        }
        catch (NatsJSApiException e) when (e.Error.Code == 404)
        {
            try
            {
                await jetStream.CreateStreamAsync(config, cancellationToken);
            }
            catch (NatsJSApiException raced) when (raced.Error.ErrCode == 10058)
            {
                // Another edge or the aggregator created it meanwhile.
            }
        }
    }

    [LoggerMessage(LogLevel.Warning, "JetStream streams not ready yet: {Reason}")]
    private static partial void LogSetupFailed(ILogger logger, string reason);
}
