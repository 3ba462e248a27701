using System.Buffers;
using System.Globalization;
using System.Runtime.InteropServices;

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
/// the cross-shard day totals in its memory: loaded at start, and again when it takes a lease over unless no other
/// process wrote any shard since (<see cref="Shards.ShardWriters.ReadyAsync"/>, <see cref="HasSeen"/>), from every
/// shard's voter_days (the durable record, written in each batch's transaction), then changed by
/// the shard writers under one lock while they decide a batch. A batch reserves its weights before its commit and
/// gives them back if the commit fails (a concurrent writer may meanwhile see the reservation: conservative, never
/// over the cap). Days older than those loaded at start are loaded from every shard on first use.
/// </summary>
internal sealed class DailyLedger : IDailyTotals
{
    /// <summary>
    /// Device voters (anonymous: millions on a busy day) by day, then by their key's 128 bits: entries without
    /// references, which the garbage collector neither marks nor scans, and no string kept per voter.
    /// </summary>
    private readonly Dictionary<DateOnly, Dictionary<DeviceKey, long>> _deviceTotals = [];

    /// <summary>Every other voter key (signed-in voters) as it is.</summary>
    private readonly Dictionary<(string VoterKey, DateOnly Day), long> _otherTotals = [];

    private readonly HashSet<DateOnly> _loadedDays = [];

    /// <summary>
    /// Each shard's write count as the totals last saw it: the count its rows were read at, then moved on by each batch
    /// this process commits right after it. A count that moved otherwise means another process wrote the shard since.
    /// </summary>
    private readonly Dictionary<string, long> _seenWrites = [];

    private DateOnly _firstFreshDay = DateOnly.MaxValue;

    /// <summary>Held by a writer while it decides a batch against the totals.</summary>
    public Lock Sync { get; } = new();

    public long Get(string voterKey, DateOnly day) => DeviceKey.Of(voterKey) is { } device
        ? _deviceTotals.GetValueOrDefault(day)?.GetValueOrDefault(device) ?? 0
        : _otherTotals.GetValueOrDefault((voterKey, day));

    /// <summary>Ignored for a day that is not loaded: its stored total already has it when the day is loaded.</summary>
    public void Add(string voterKey, DateOnly day, long weight)
    {
        if (day < _firstFreshDay && !_loadedDays.Contains(day))
        {
            return;
        }

        Change(voterKey, day, weight);
    }

    private void Change(string voterKey, DateOnly day, long weight)
    {
        if (DeviceKey.Of(voterKey) is { } device)
        {
            Change(device, day, weight);
        }
        else
        {
            Change(_otherTotals, (voterKey, day), weight);
        }
    }

    private void Change(DeviceKey voter, DateOnly day, long weight)
    {
        ref var ofDay = ref CollectionsMarshal.GetValueRefOrAddDefault(_deviceTotals, day, out _);
        Change(ofDay ??= [], voter, weight);
    }

    private static void Change<TKey>(Dictionary<TKey, long> totals, TKey key, long weight) where TKey : notnull
    {
        ref var total = ref CollectionsMarshal.GetValueRefOrAddDefault(totals, key, out _);
        total += weight;
        if (total == 0)
        {
            totals.Remove(key);
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
            _deviceTotals.Clear();
            _otherTotals.Clear();
            _loadedDays.Clear();
            _seenWrites.Clear();
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

    /// <summary>Adds one shard's stored day rows (a voter's seasons add up); call once per shard, then <see cref="MarkLoaded"/>.</summary>
    public void Load(LedgerRows rows)
    {
        lock (Sync)
        {
            foreach (var (voter, day, weight) in rows.Devices)
            {
                Change(voter, day, weight);
            }

            foreach (var (voter, day, weight) in rows.Others)
            {
                Change(_otherTotals, (voter, day), weight);
            }
        }
    }

    /// <summary>Records that the totals hold <paramref name="shard"/>'s rows as of its write count <paramref name="writes"/>.</summary>
    public void Saw(string shard, long writes)
    {
        lock (Sync)
        {
            _seenWrites[shard] = writes;
        }
    }

    /// <summary>
    /// A write of this process committed to <paramref name="shard"/>, bringing its write count to <paramref name="writes"/>:
    /// its day totals are here already (a batch's reserved when it was decided, a reset's given back, a review's held), so
    /// the shard stays seen if nothing came between.
    /// </summary>
    public void Follow(string shard, long writes)
    {
        lock (Sync)
        {
            if (_seenWrites.TryGetValue(shard, out var seen) && seen == writes - 1)
            {
                _seenWrites[shard] = writes;
            }
        }
    }

    /// <summary>Whether every shard's write count is the one the totals last saw: no other process wrote any shard since.</summary>
    public bool HasSeen(IReadOnlyDictionary<string, long> writes)
    {
        lock (Sync)
        {
            return writes.All(w => _seenWrites.TryGetValue(w.Key, out var seen) && seen == w.Value);
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
            foreach (var day in _deviceTotals.Keys.Where(d => d < oldestKept).ToList())
            {
                _deviceTotals.Remove(day);
            }

            foreach (var key in _otherTotals.Keys.Where(k => k.Day < oldestKept).ToList())
            {
                _otherTotals.Remove(key);
            }

            _loadedDays.RemoveWhere(d => d < oldestKept);
            if (_firstFreshDay < oldestKept)
            {
                _firstFreshDay = oldestKept;
            }
        }
    }
}

/// <summary>
/// A device voter key (<c>device_</c> and 32 lower-case hex digits, CONTRACT.md section 4) as the 128-bit number its
/// digits spell, whole: two keys are one voter exactly when their numbers are equal.
/// </summary>
internal readonly record struct DeviceKey(ulong High, ulong Low)
{
    private const string Prefix = "device_";

    private static readonly SearchValues<char> LowerHexDigits = SearchValues.Create("0123456789abcdef");

    /// <summary>
    /// Null for any other key. Upper-case digits make no device key: they would spell the number of another key.
    /// </summary>
    public static DeviceKey? Of(string voterKey)
    {
        if (voterKey.Length != Prefix.Length + 32 || !voterKey.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return null;
        }

        var digits = voterKey.AsSpan(Prefix.Length);
        if (digits.ContainsAnyExcept(LowerHexDigits))
        {
            return null;
        }

        return new DeviceKey(ulong.Parse(digits[..16], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture),
            ulong.Parse(digits[16..], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture));
    }
}

/// <summary>
/// Stored day totals as read, before the ledger takes them. A device voter's rows hold its key's 128 bits, in a list
/// without references: a busy day's millions of rows are then neither copied with write barriers as the list grows nor
/// scanned by the garbage collector while they wait, and no string is kept per device voter.
/// </summary>
internal sealed class LedgerRows
{
    public List<(DeviceKey Voter, DateOnly Day, long Weight)> Devices { get; } = [];

    public List<(string Voter, DateOnly Day, long Weight)> Others { get; } = [];

    public int Count => Devices.Count + Others.Count;

    /// <summary>The shard's write count when the rows were read (its <c>shard_status.writes</c>, in the same snapshot).</summary>
    public long Writes { get; init; }

    public static LedgerRows Of(IEnumerable<(string VoterKey, DateOnly Day, long Weight)> rows)
    {
        var read = new LedgerRows();
        foreach (var (voterKey, day, weight) in rows)
        {
            read.Add(voterKey, day, weight);
        }

        return read;
    }

    public void Add(string voterKey, DateOnly day, long weight)
    {
        if (DeviceKey.Of(voterKey) is { } device)
        {
            Devices.Add((device, day, weight));
        }
        else
        {
            Others.Add((voterKey, day, weight));
        }
    }
}
