using AiMoviez.Contracts;
using AiMoviez.Edge.Catalog;
using AiMoviez.Edge.Infrastructure;
using AiMoviez.Edge.Votes;
using Microsoft.Extensions.Options;

namespace AiMoviez.Edge.Ballot;

/// <summary>Publishes the batched ballot views as <see cref="ClipViewsReported"/> about once a second.</summary>
internal sealed partial class ViewReporter(
    ViewCounter counter,
    CatalogStore catalog,
    VotePublisher publisher,
    RegionTopology region,
    IOptions<EdgeOptions> options,
    TimeProvider time,
    ILogger<ViewReporter> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.ViewFlush);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            foreach (var (seasonId, clips) in counter.Drain())
            {
                var views = clips.Where(c => c.Value > 0).Select(c => new ClipViewCount(c.Key, c.Value)).ToList();
                if (views.Count == 0 || catalog.Current?.Season(seasonId) is not { } season)
                {
                    continue;
                }

                try
                {
                    await publisher.PublishAsync(new ClipViewsReported
                    {
                        BatchId = Guid.NewGuid(),
                        SeasonId = seasonId,
                        SeasonNumber = season.Number,
                        Region = region.Name,
                        At = time.GetUtcNow(),
                        Views = views,
                    }, stoppingToken);
                }
                catch (PublishFailedException e)
                {
                    // Kept for the next batch rather than lost.
                    LogPublishFailed(logger, e.Message);
                    foreach (var view in views)
                    {
                        counter.Add(seasonId, [view.ClipId], view.Views);
                    }
                }
            }
        }
    }

    [LoggerMessage(LogLevel.Warning, "Views not reported yet: {Reason}")]
    private static partial void LogPublishFailed(ILogger logger, string reason);
}
