using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using AiMoviez.Edge.Catalog;
using AiMoviez.Edge.Infrastructure;
using Microsoft.Extensions.Options;

namespace AiMoviez.Edge.Tallies;

/// <summary>
/// One shared broadcaster per season for SSE. An event is encoded once and linked to the next, so an idle
/// subscriber is only its request and one continuation on a shared task; no per-subscriber queue or timer.
/// </summary>
internal sealed class TallyFeeds(IOptions<EdgeOptions> options, TimeProvider time) : IDisposable
{
    // Lazy so a lost GetOrAdd race never starts a second heartbeat timer for a season.
    private readonly ConcurrentDictionary<Guid, Lazy<SeasonFeed>> _feeds = new();
    private readonly TimeSpan _heartbeat = options.Value.SseHeartbeat;

    public SeasonFeed For(Guid seasonId) =>
        _feeds.GetOrAdd(seasonId, id => new Lazy<SeasonFeed>(() => new SeasonFeed(id, time, _heartbeat))).Value;

    public IEnumerable<SeasonFeed> All => _feeds.Values.Select(f => f.Value);

    public void Dispose()
    {
        foreach (var feed in All)
        {
            feed.Dispose();
        }
    }
}

internal sealed record FeedEvent(ReadOnlyMemory<byte> Frame, Task<FeedEvent> Next);

internal sealed class SeasonFeed : IDisposable
{
    public const string TallyEvent = "tally";
    public const string SlotEvent = "slot";

    /// <summary>An SSE comment: clients ignore it, proxies see traffic on an otherwise idle stream.</summary>
    private static readonly ReadOnlyMemory<byte> KeepAlive = ": keep-alive\n\n"u8.ToArray();

    private readonly ITimer _heartbeat;
    private TaskCompletionSource<FeedEvent> _next = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Event ids count up from the feed's start time in milliseconds, so they also grow across restarts.</summary>
    private long _lastEventId;

    public SeasonFeed(Guid seasonId, TimeProvider time, TimeSpan heartbeat)
    {
        SeasonId = seasonId;
        _lastEventId = time.GetUtcNow().ToUnixTimeMilliseconds();
        _heartbeat = time.CreateTimer(static feed => ((SeasonFeed)feed!).Publish(KeepAlive), this, heartbeat, heartbeat);
    }

    public Guid SeasonId { get; }

    public Task<FeedEvent> Next => Volatile.Read(ref _next).Task;

    /// <summary>What was last sent, so the pump only publishes changes.</summary>
    public string? LastCounts { get; set; }

    public SlotChanged? LastSlot { get; set; }

    /// <summary>The id of the newest event; a subscriber's first frames, the current state, carry it too.</summary>
    public long LastEventId => Interlocked.Read(ref _lastEventId);

    /// <summary>An SSE event as sent; its data is compact JSON, which has no line breaks, so one data line holds it.</summary>
    public static byte[] Frame(long id, string type, string data) => Encoding.UTF8.GetBytes($"id: {id}\nevent: {type}\ndata: {data}\n\n");

    public void Publish(string type, string data) => Publish(Frame(Interlocked.Increment(ref _lastEventId), type, data));

    /// <summary>Safe from the pump and the heartbeat timer at once: whoever swaps a link out completes it.</summary>
    private void Publish(ReadOnlyMemory<byte> frame)
    {
        var next = new TaskCompletionSource<FeedEvent>(TaskCreationOptions.RunContinuationsAsynchronously);
        var current = Interlocked.Exchange(ref _next, next);
        current.SetResult(new FeedEvent(frame, next.Task));
    }

    public void Dispose() => _heartbeat.Dispose();
}

/// <summary>Once a second, publishes each watched season's slot change and changed counts (so at most one tally per second).</summary>
internal sealed class TallyFeedPump(TallyFeeds feeds, TallyBoard board, CatalogStore catalog) : BackgroundService
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
        var slot = SlotChanged.Of(view, feed.SeasonId);
        if (slot != feed.LastSlot)
        {
            if (feed.LastSlot is not null)
            {
                feed.Publish(SeasonFeed.SlotEvent, JsonSerializer.Serialize(slot, EdgeJson.Default.SlotChanged));
            }

            feed.LastSlot = slot;
        }

        var season = view.Season(feed.SeasonId);
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
