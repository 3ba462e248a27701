using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using AiMoviez.Aggregator.Barrier;

namespace AiMoviez.Aggregator;

/// <summary>
/// The aggregator's own instruments (meter <see cref="MeterName"/>), by region and shard; a lane of a region's vote
/// stream is its shard's part, so lane-level instruments carry the shard's name.
/// </summary>
internal sealed class AggregatorMetrics
{
    public const string MeterName = "AiMoviez.Aggregator";

    private readonly Counter<long> _deadLetters;
    private readonly Counter<long> _votesApplied;
    private readonly Histogram<int> _batchSize;
    private readonly Histogram<double> _commitDuration;
    private readonly Histogram<double> _tallyStaleness;
    private readonly ConcurrentDictionary<string, long> _streamDepth = new();
    private readonly ConcurrentDictionary<(string Region, string Lane), long> _consumerLag = new();

    public AggregatorMetrics(IMeterFactory meterFactory, AppliedWatermarks watermarks, TimeProvider time)
    {
        var meter = meterFactory.Create(MeterName);
        _deadLetters = meter.CreateCounter<long>("aimoviez.aggregator.dead_letters", "{message}", "Poison messages moved to a dead-letter stream.");
        _votesApplied = meter.CreateCounter<long>("aimoviez.aggregator.votes_counted", "{vote}", "Votes counted into shard tallies.");
        _batchSize = meter.CreateHistogram<int>("aimoviez.aggregator.batch_size", "{message}", "Messages per applied shard batch.");
        _commitDuration = meter.CreateHistogram<double>("aimoviez.aggregator.commit.duration", "s",
            "A shard batch's transaction, from its first read to its commit (including its wait for the batch before).");
        _tallyStaleness = meter.CreateHistogram<double>("aimoviez.aggregator.tally.staleness", "s",
            "From the edge's acceptance of a batch's oldest vote to the commit of the tallies that count it.");
        meter.CreateObservableGauge("aimoviez.aggregator.stream.depth",
            () => _streamDepth.Select(d => new Measurement<long>(d.Value, new KeyValuePair<string, object?>("region", d.Key))),
            "{message}", "Messages held by a region's vote stream.");
        meter.CreateObservableGauge("aimoviez.aggregator.consumer.lag",
            () => _consumerLag.Select(l => new Measurement<long>(l.Value, Tags(l.Key.Region, l.Key.Lane))),
            "{message}", "Messages of a lane not yet delivered to the aggregator's consumer.");
        meter.CreateObservableGauge("aimoviez.aggregator.consumer.oldest_unacked_age",
            () => watermarks.OldestUnappliedByLane().Select(l => new Measurement<double>(
                l.Oldest is { } oldest ? Math.Max(0, (time.GetUtcNow() - oldest).TotalSeconds) : 0, Tags(l.Region, l.Lane))),
            "s", "Age of a lane's oldest message delivered but not yet applied and acked.");
    }

    public void DeadLettered(string region) => _deadLetters.Add(1, new KeyValuePair<string, object?>("region", region));

    public void BatchApplied(string shard, int messages, int countedVotes)
    {
        _batchSize.Record(messages, new KeyValuePair<string, object?>("shard", shard));
        _votesApplied.Add(countedVotes, new KeyValuePair<string, object?>("shard", shard));
    }

    public void Committed(string shard, long startedAt, DateTimeOffset committedAt, DateTimeOffset? oldestVoteAcceptedAt)
    {
        var tag = new KeyValuePair<string, object?>("shard", shard);
        _commitDuration.Record(Stopwatch.GetElapsedTime(startedAt).TotalSeconds, tag);
        if (oldestVoteAcceptedAt is { } accepted)
        {
            _tallyStaleness.Record(Math.Max(0, (committedAt - accepted).TotalSeconds), tag);
        }
    }

    /// <summary>The latest stream and consumer state read from a region's JetStream (<see cref="Ingest.StreamMonitor"/>).</summary>
    public void StreamObserved(string region, long depth) => _streamDepth[region] = depth;

    public void ConsumerObserved(string region, string lane, long pending) => _consumerLag[(region, lane)] = pending;

    private static KeyValuePair<string, object?>[] Tags(string region, string lane) => [new("region", region), new("shard", lane)];
}
