using System.Diagnostics.Metrics;

namespace AiMoviez.Aggregator;

/// <summary>The aggregator's own instruments (meter <see cref="MeterName"/>).</summary>
public sealed class AggregatorMetrics
{
    public const string MeterName = "AiMoviez.Aggregator";

    private readonly Counter<long> _deadLetters;
    private readonly Counter<long> _votesApplied;
    private readonly Histogram<int> _batchSize;

    public AggregatorMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        _deadLetters = meter.CreateCounter<long>("aimoviez.aggregator.dead_letters", description: "Poison messages moved to a dead-letter stream.");
        _votesApplied = meter.CreateCounter<long>("aimoviez.aggregator.votes_counted", description: "Votes counted into shard tallies.");
        _batchSize = meter.CreateHistogram<int>("aimoviez.aggregator.batch_size", description: "Messages per applied shard batch.");
    }

    public void DeadLettered(string region) => _deadLetters.Add(1, new KeyValuePair<string, object?>("region", region));

    public void BatchApplied(string shard, int messages, int countedVotes)
    {
        _batchSize.Record(messages, new KeyValuePair<string, object?>("shard", shard));
        _votesApplied.Add(countedVotes, new KeyValuePair<string, object?>("shard", shard));
    }
}
