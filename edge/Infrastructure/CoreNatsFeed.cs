using NATS.Client.Core;

namespace AiMoviez.Edge.Infrastructure;

/// <summary>
/// Follows one core NATS subject the aggregator publishes counts on (tallies, genre counts) for as long as the edge
/// runs: each message goes to <c>offer</c>; a subscription that fails is logged and made again a second later.
/// </summary>
internal static partial class CoreNatsFeed
{
    public static async Task FollowAsync<T>(INatsConnection nats, string subject, Action<T> offer, ILogger logger,
        CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await foreach (var message in nats.SubscribeAsync<T>(subject, cancellationToken: stoppingToken))
                {
                    if (message.Data is { } data)
                    {
                        offer(data);
                    }
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogSubscribeFailed(logger, subject, e.Message);
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken);
            }
        }
    }

    [LoggerMessage(LogLevel.Warning, "Subscription to {Subject} failed: {Reason}")]
    private static partial void LogSubscribeFailed(ILogger logger, string subject, string reason);
}
