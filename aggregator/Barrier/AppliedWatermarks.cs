namespace AiMoviez.Aggregator.Barrier;

/// <summary>
/// Per region and lane (a shard's part of the region's vote stream), the highest stream sequence through which every
/// message of the lane is applied. Each lane has its own consumer, which delivers first deliveries in stream order:
/// applied-through = (lowest delivered but unapplied sequence of the lane) - 1, or, with none, the highest sequence
/// the lane's consumer has delivered, once this process has received every delivery the consumer made (its consumer
/// sequence), else the highest stream sequence received. A lane starts from its consumer's ack floor, which makes the
/// answer conservative after a restart.
/// </summary>
internal sealed class AppliedWatermarks
{
    private readonly Dictionary<(string Region, string Lane), LaneMarks> _lanes = [];

    public void Start(string region, string lane, ulong ackFloor)
    {
        lock (_lanes)
        {
            _lanes[(region, lane)] = new LaneMarks { HighestDelivered = ackFloor };
        }
    }

    /// <summary>The lane's consumer stopped here (its shard's lease was lost): another process answers for it now.</summary>
    public void Stop(string region, string lane)
    {
        lock (_lanes)
        {
            _lanes.Remove((region, lane));
        }
    }

    /// <summary>A message was delivered; <paramref name="awaitsApply"/> is false for poison, which is never applied.</summary>
    public void Delivered(string region, string lane, ulong sequence, ulong consumerSequence, DateTimeOffset storedAt, bool awaitsApply)
    {
        lock (_lanes)
        {
            if (!_lanes.TryGetValue((region, lane), out var marks))
            {
                return;
            }

            if (awaitsApply)
            {
                marks.Unapplied[sequence] = storedAt;
            }

            marks.HighestDelivered = Math.Max(marks.HighestDelivered, sequence);
            marks.HighestConsumerSequence = Math.Max(marks.HighestConsumerSequence, consumerSequence);
        }
    }

    public void Applied(string region, string lane, ulong sequence)
    {
        lock (_lanes)
        {
            if (_lanes.TryGetValue((region, lane), out var marks))
            {
                marks.Unapplied.Remove(sequence);
            }
        }
    }

    /// <summary>
    /// Null until the lane's consumer has started. <paramref name="consumerDelivered"/> is the consumer's state on the
    /// server, read before: a filtered consumer's delivered stream sequence also passes other lanes' messages, so it only
    /// counts once every delivery it made has arrived here.
    /// </summary>
    public ulong? AppliedThrough(string region, string lane, (ulong ConsumerSequence, ulong StreamSequence) consumerDelivered)
    {
        lock (_lanes)
        {
            if (!_lanes.TryGetValue((region, lane), out var marks))
            {
                return null;
            }

            if (marks.Unapplied.Count > 0)
            {
                return marks.Unapplied.Keys.First() - 1;
            }

            return marks.HighestConsumerSequence >= consumerDelivered.ConsumerSequence
                ? Math.Max(marks.HighestDelivered, consumerDelivered.StreamSequence)
                : marks.HighestDelivered;
        }
    }

    /// <summary>When the oldest delivered but unapplied message of the region was stored, if any.</summary>
    public DateTimeOffset? OldestUnapplied(string region)
    {
        lock (_lanes)
        {
            return _lanes.Where(l => l.Key.Region == region && l.Value.Unapplied.Count > 0)
                .Select(l => (DateTimeOffset?)l.Value.Unapplied.First().Value).Min();
        }
    }

    /// <summary>Per lane, when its oldest delivered but unapplied (so unacked) message was stored; null when none waits.</summary>
    public List<(string Region, string Lane, DateTimeOffset? Oldest)> OldestUnappliedByLane()
    {
        lock (_lanes)
        {
            return _lanes.Select(l => (l.Key.Region, l.Key.Lane, l.Value.Unapplied.Count > 0 ? l.Value.Unapplied.First().Value : (DateTimeOffset?)null))
                .ToList();
        }
    }

    private sealed class LaneMarks
    {
        public ulong HighestDelivered { get; set; }

        public ulong HighestConsumerSequence { get; set; }

        public SortedDictionary<ulong, DateTimeOffset> Unapplied { get; } = [];
    }
}
