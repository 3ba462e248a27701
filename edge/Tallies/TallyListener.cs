using AiMoviez.Contracts;
using NATS.Client.Core;

namespace AiMoviez.Edge.Tallies;

/// <summary>Feeds <see cref="TallyBoard"/> from the aggregator's <c>tallies.&lt;seasonId&gt;</c> messages.</summary>
internal sealed partial class TallyListener(INatsConnection nats, TallyBoard board, ILogger<TallyListener> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await foreach (var message in nats.SubscribeAsync<SlotTally>(Subjects.AllTallies, cancellationToken: stoppingToken))
                {
                    if (message.Data is { } tally)
                    {
                        board.Offer(tally);
                    }
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogSubscribeFailed(logger, e.Message);
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken);
            }
        }
    }

    [LoggerMessage(LogLevel.Warning, "Tally subscription failed: {Reason}")]
    private static partial void LogSubscribeFailed(ILogger logger, string reason);
}
