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

/// <summary>The ledger load benchmark loads every row it times, each a voter of its own.</summary>
public sealed class LedgerLoadBenchmarksTests
{
    [Fact]
    public void Every_row_is_a_voters_day_total_after_the_load()
    {
        var load = new LedgerLoadBenchmarks();
        load.Setup();

        var ledger = (AiMoviez.Aggregator.Rules.DailyLedger)load.Load();

        var today = DateOnly.FromDateTime(DateTime.UtcNow);
        for (var i = 0; i < LedgerLoadBenchmarks.Shards * LedgerLoadBenchmarks.RowsPerShard; i += 997)
        {
            var voter = "device_" + i.ToString("x32", System.Globalization.CultureInfo.InvariantCulture);
            Assert.Equal((1 + (i % 5), 0), (ledger.Get(voter, today.AddDays(-(i % 2))), ledger.Get(voter, today.AddDays(-1 + (i % 2)))));
        }
    }
}
