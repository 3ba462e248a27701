namespace AiMoviez.Aggregator.Rules;

/// <summary>The weight a voter has counted on one UTC day, over all seasons and shards.</summary>
internal interface IDailyTotals
{
    long Get(string voterKey, DateOnly day);

    void Add(string voterKey, DateOnly day, long weight);
}

/// <summary>
/// The daily cap spans seasons, and seasons live on different shards, so no single shard transaction can decide it.
/// Aggregator instances converge on one holder of every shard's lease (<see cref="Shards.ShardLeases"/>), which keeps
/// the cross-shard day totals in its memory: loaded at start, and again when it takes a lease over
/// (<see cref="Shards.ShardWriters.ReadyAsync"/>), from every shard's voter_days (the durable record, written in each batch's transaction), then changed by
/// the shard writers under one lock while they decide a batch. A batch reserves its weights before its commit and
/// gives them back if the commit fails (a concurrent writer may meanwhile see the reservation: conservative, never
/// over the cap). Days older than those loaded at start are loaded from every shard on first use.
/// </summary>
internal sealed class DailyLedger : IDailyTotals
{
    private readonly Dictionary<(string VoterKey, DateOnly Day), long> _totals = [];
    private readonly HashSet<DateOnly> _loadedDays = [];
    private DateOnly _firstFreshDay = DateOnly.MaxValue;

    /// <summary>Held by a writer while it decides a batch against the totals.</summary>
    public Lock Sync { get; } = new();

    public long Get(string voterKey, DateOnly day) => _totals.GetValueOrDefault((voterKey, day));

    /// <summary>Ignored for a day that is not loaded: its stored total already has it when the day is loaded.</summary>
    public void Add(string voterKey, DateOnly day, long weight)
    {
        if (day < _firstFreshDay && !_loadedDays.Contains(day))
        {
            return;
        }

        var key = (voterKey, day);
        var total = _totals.GetValueOrDefault(key) + weight;
        if (total == 0)
        {
            _totals.Remove(key);
        }
        else
        {
            _totals[key] = total;
        }
    }

    /// <summary>
    /// Days from <paramref name="firstFreshDay"/> on had no vote applied before this process started: nothing to load.
    /// </summary>
    public void StartFresh(DateOnly firstFreshDay)
    {
        lock (Sync)
        {
            _firstFreshDay = firstFreshDay;
        }
    }

    /// <summary>
    /// Forgets every total, to load them again (<see cref="Load"/>): another process wrote the shards meanwhile.
    /// Days from <paramref name="firstFreshDay"/> on start empty, as in <see cref="StartFresh"/>.
    /// </summary>
    public void Reset(DateOnly firstFreshDay)
    {
        lock (Sync)
        {
            _totals.Clear();
            _loadedDays.Clear();
            _firstFreshDay = firstFreshDay;
        }
    }

    public bool IsLoaded(DateOnly day)
    {
        lock (Sync)
        {
            return day >= _firstFreshDay || _loadedDays.Contains(day);
        }
    }

    /// <summary>Adds one shard's stored totals of a day; call once per shard, then <see cref="MarkLoaded"/>.</summary>
    public void Load(IEnumerable<(string VoterKey, DateOnly Day, long Weight)> rows)
    {
        lock (Sync)
        {
            foreach (var (voterKey, day, weight) in rows)
            {
                var key = (voterKey, day);
                _totals[key] = _totals.GetValueOrDefault(key) + weight;
            }
        }
    }

    public void MarkLoaded(DateOnly day)
    {
        lock (Sync)
        {
            _loadedDays.Add(day);
        }
    }

    /// <summary>Forgets days before <paramref name="oldestKept"/>; they are reloaded if a late vote needs them.</summary>
    public void Prune(DateOnly oldestKept)
    {
        lock (Sync)
        {
            foreach (var key in _totals.Keys.Where(k => k.Day < oldestKept).ToList())
            {
                _totals.Remove(key);
            }

            _loadedDays.RemoveWhere(d => d < oldestKept);
            if (_firstFreshDay < oldestKept)
            {
                _firstFreshDay = oldestKept;
            }
        }
    }
}
