namespace AiMoviez.Aggregator.Barrier;

/// <summary>
/// Per region and shard, the highest stream sequence through which every message routed to the shard is applied.
/// JetStream's ack floor cannot pass a message of a shard that is down, so the barrier tracks each shard's own
/// unapplied sequences: applied-through = (lowest unapplied sequence of the shard) - 1, or, with none, the highest
/// sequence delivered so far (first deliveries arrive in stream order, so everything below it has been seen).
/// A region starts from its consumer's ack floor, which makes the answer conservative after a restart.
/// </summary>
public sealed class AppliedWatermarks
{
    private readonly Dictionary<string, RegionMarks> _regions = [];

    public void Start(string region, ulong ackFloor)
    {
        lock (_regions)
        {
            _regions[region] = new RegionMarks { HighestDelivered = ackFloor };
        }
    }

    /// <summary>A message was delivered; <paramref name="shard"/> is null when it needs no shard (poison).</summary>
    public void Delivered(string region, string? shard, ulong sequence, DateTimeOffset storedAt)
    {
        lock (_regions)
        {
            var marks = _regions[region];
            if (shard is not null)
            {
                marks.Unapplied(shard)[sequence] = storedAt;
            }

            marks.HighestDelivered = Math.Max(marks.HighestDelivered, sequence);
        }
    }

    public void Applied(string region, string shard, ulong sequence)
    {
        lock (_regions)
        {
            if (_regions.TryGetValue(region, out var marks))
            {
                marks.Unapplied(shard).Remove(sequence);
            }
        }
    }

    /// <summary>Null until the region's consumer has started.</summary>
    public ulong? AppliedThrough(string region, string shard)
    {
        lock (_regions)
        {
            if (!_regions.TryGetValue(region, out var marks))
            {
                return null;
            }

            var unapplied = marks.Unapplied(shard);
            return unapplied.Count == 0 ? marks.HighestDelivered : unapplied.Keys.First() - 1;
        }
    }

    /// <summary>When the oldest delivered but unapplied message of the region was stored, if any.</summary>
    public DateTimeOffset? OldestUnapplied(string region)
    {
        lock (_regions)
        {
            return _regions.TryGetValue(region, out var marks)
                ? marks.Shards.Values.Where(s => s.Count > 0).Select(s => (DateTimeOffset?)s.First().Value).Min()
                : null;
        }
    }

    private sealed class RegionMarks
    {
        public ulong HighestDelivered { get; set; }

        public Dictionary<string, SortedDictionary<ulong, DateTimeOffset>> Shards { get; } = [];

        public SortedDictionary<ulong, DateTimeOffset> Unapplied(string shard)
        {
            if (!Shards.TryGetValue(shard, out var unapplied))
            {
                unapplied = [];
                Shards[shard] = unapplied;
            }

            return unapplied;
        }
    }
}
