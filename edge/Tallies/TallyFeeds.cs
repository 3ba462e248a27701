using System.Collections.Concurrent;
using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Text.Json;
using AiMoviez.Edge.Catalog;
using AiMoviez.Edge.Infrastructure;

namespace AiMoviez.Edge.Tallies;

/// <summary>
/// One shared broadcaster per season for SSE. An event is serialized once and linked to the next, so an idle
/// subscriber is only its request and one continuation on a shared task; no per-subscriber queue.
/// </summary>
public sealed class TallyFeeds
{
    private readonly ConcurrentDictionary<Guid, SeasonFeed> _feeds = new();

    public SeasonFeed For(Guid seasonId) => _feeds.GetOrAdd(seasonId, id => new SeasonFeed(id));

    public IEnumerable<SeasonFeed> All => _feeds.Values;

    public static async IAsyncEnumerable<SseItem<string>> SubscribeAsync(
        SeasonFeed feed, TalliesResponse? initial, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // Taken before the first write so no event published meanwhile is missed.
        var next = feed.Next;
        if (initial is not null)
        {
            yield return new SseItem<string>(JsonSerializer.Serialize(initial, EdgeJson.Default.TalliesResponse), SeasonFeed.TallyEvent);
        }

        while (!cancellationToken.IsCancellationRequested)
        {
            FeedEvent published;
            try
            {
                published = await next.WaitAsync(cancellationToken);
            }
            catch (OperationCanceledException)
            {
                yield break;
            }

            yield return new SseItem<string>(published.Data, published.Type);
            next = published.Next;
        }
    }
}

public sealed record FeedEvent(string Type, string Data, Task<FeedEvent> Next);

public sealed class SeasonFeed(Guid seasonId)
{
    public const string TallyEvent = "tally";
    public const string SlotEvent = "slot";

    private TaskCompletionSource<FeedEvent> _next = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Guid SeasonId { get; } = seasonId;

    public Task<FeedEvent> Next => Volatile.Read(ref _next).Task;

    /// <summary>What was last sent, so the pump only publishes changes.</summary>
    public string? LastCounts { get; set; }

    public int? LastSlot { get; set; }

    public void Publish(string type, string data)
    {
        var next = new TaskCompletionSource<FeedEvent>(TaskCreationOptions.RunContinuationsAsynchronously);
        var current = Interlocked.Exchange(ref _next, next);
        current.SetResult(new FeedEvent(type, data, next.Task));
    }
}

/// <summary>Once a second, publishes each watched season's slot change and changed counts (so at most one tally per second).</summary>
public sealed class TallyFeedPump(TallyFeeds feeds, TallyBoard board, CatalogStore catalog) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            if (catalog.Current is not { } view)
            {
                continue;
            }

            foreach (var feed in feeds.All)
            {
                Pump(feed, view);
            }
        }
    }

    private void Pump(SeasonFeed feed, CatalogView view)
    {
        var season = view.Season(feed.SeasonId);
        var slot = season?.CurrentSlot;
        if (slot?.Position != feed.LastSlot)
        {
            if (feed.LastCounts is not null || feed.LastSlot is not null)
            {
                feed.Publish(SeasonFeed.SlotEvent, JsonSerializer.Serialize(
                    new SlotChanged(feed.SeasonId, slot?.Position, slot?.Status, slot?.VotingEndsAt), EdgeJson.Default.SlotChanged));
            }

            feed.LastSlot = slot?.Position;
        }

        if (season is null || board.Current(season, view.Snapshot.GeneratedAt) is not { } tallies)
        {
            return;
        }

        var counts = string.Join(';', tallies.Clips.Select(c => $"{c.ClipId}:{c.Votes}:{c.WeightedScore}"));
        var key = tallies.SlotPosition + "|" + counts;
        if (key != feed.LastCounts)
        {
            feed.LastCounts = key;
            feed.Publish(SeasonFeed.TallyEvent, JsonSerializer.Serialize(tallies, EdgeJson.Default.TalliesResponse));
        }
    }
}
