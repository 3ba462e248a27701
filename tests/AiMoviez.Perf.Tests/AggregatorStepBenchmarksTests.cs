using AiMoviez.Contracts;
using AiMoviez.Perf.Ingest;

namespace AiMoviez.Perf.Tests;

/// <summary>Each step benchmark does the aggregator's full work on every vote, so its time per vote means something.</summary>
public sealed class AggregatorStepBenchmarksTests
{
    [Theory]
    [InlineData(1_000)]
    [InlineData(1)]
    public void Every_vote_is_decoded_routed_counted_and_grouped(int clips)
    {
        var steps = new AggregatorStepBenchmarks { Clips = clips };
        steps.Setup();

        var plan = (AiMoviez.Aggregator.Rules.BatchPlan)steps.Decide();
        var deltas = (AiMoviez.Aggregator.Shards.BatchDeltas)steps.Deltas();

        Assert.Equal(AggregatorStepBenchmarks.BatchSize, steps.Decode());
        Assert.Equal(AggregatorStepBenchmarks.BatchSize, steps.DecodeGroups());
        Assert.Equal(AggregatorStepBenchmarks.BatchSize, plan.CountedVotes);
        Assert.All(plan.Decisions, d => Assert.Equal(VoteStatuses.Counted, d.Decision.Status));
        Assert.Equal(clips, deltas.Tallies.Count);
        Assert.Equal(AggregatorStepBenchmarks.BatchSize, deltas.VoterDays.Count);
    }
}
