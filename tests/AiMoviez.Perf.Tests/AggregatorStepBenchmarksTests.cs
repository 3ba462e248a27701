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

/// <summary>The edge's step benchmark times the voter key of the browser request it sets up.</summary>
public sealed class EdgeStepBenchmarksTests
{
    [Fact]
    public void The_voter_key_is_the_one_of_the_browser_request_set_up()
    {
        var steps = new EdgeStepBenchmarks();
        steps.Setup();

        // sha256 of "203.0.113.7|<the User-Agent>|en-US,en;q=0.9|<Sec-CH-UA>|\"Linux\"|?0|gzip, deflate, br, zstd", computed apart.
        Assert.Equal("device_f61ebacf4cd7e2e47365a25ec4a2a34c", steps.VoterKey());
    }
}
