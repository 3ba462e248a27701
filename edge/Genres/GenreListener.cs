using AiMoviez.Contracts;
using NATS.Client.Core;

namespace AiMoviez.Edge.Genres;

/// <summary>Feeds <see cref="GenreBoard"/> from the aggregator's <c>genres.tally</c> messages.</summary>
internal sealed partial class GenreListener(INatsConnection nats, GenreBoard board, ILogger<GenreListener> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await foreach (var message in nats.SubscribeAsync<GenreTally>(Subjects.GenreTally, cancellationToken: stoppingToken))
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

    [LoggerMessage(LogLevel.Warning, "Genre count subscription failed: {Reason}")]
    private static partial void LogSubscribeFailed(ILogger logger, string reason);
}
