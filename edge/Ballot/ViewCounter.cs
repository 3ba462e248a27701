using System.Collections.Concurrent;

namespace AiMoviez.Edge.Ballot;

/// <summary>Ballot views not yet reported, per season and clip; drained by <see cref="ViewReporter"/>.</summary>
internal sealed class ViewCounter
{
    private ConcurrentDictionary<Guid, ConcurrentDictionary<Guid, int>> _pending = new();

    public void Add(Guid seasonId, IEnumerable<Guid> clipIds, int views = 1)
    {
        var season = _pending.GetOrAdd(seasonId, _ => new ConcurrentDictionary<Guid, int>());
        foreach (var clip in clipIds)
        {
            season.AddOrUpdate(clip, views, (_, held) => held + views);
        }
    }

    /// <summary>Views counted here but not yet in a tally, so ballots keep rotating between reports.</summary>
    public int Pending(Guid seasonId, Guid clipId) =>
        _pending.TryGetValue(seasonId, out var season) ? season.GetValueOrDefault(clipId) : 0;

    public IReadOnlyDictionary<Guid, ConcurrentDictionary<Guid, int>> Drain() =>
        Interlocked.Exchange(ref _pending, new ConcurrentDictionary<Guid, ConcurrentDictionary<Guid, int>>());
}
