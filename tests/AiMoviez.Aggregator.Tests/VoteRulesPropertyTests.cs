using AiMoviez.Aggregator.Rules;
using AiMoviez.Aggregator.Shards;
using AiMoviez.Contracts;
using CsCheck;

namespace AiMoviez.Aggregator.Tests;

/// <summary>
/// The rules on random streams of votes, revokes and redeliveries (<see cref="VoteStreams"/>): the shard writer may cut
/// the same stream into batches anywhere (a redelivery, a restart, another batch size), and every cut must decide every
/// vote as DOMAIN.md's rules applied one message at a time do, and leave the count rows (tallies and the voter, creator
/// and clip days) at the sums of the votes counted.
/// </summary>
public sealed class VoteRulesPropertyTests
{
    [Fact]
    public void Any_cut_of_a_stream_into_batches_decides_every_vote_as_the_rules_one_message_at_a_time()
    {
        VoteStreams.WithCuts.Sample((steps, cuts) =>
        {
            var universe = new StreamUniverse();
            var stream = VoteStreams.Messages(steps, universe);
            var model = new OneAtATime(universe, stream);

            var whole = new Shard(universe);
            whole.Apply(stream);
            var cut = new Shard(universe);
            foreach (var batch in VoteStreams.Batches(stream, cuts))
            {
                cut.Apply(batch);
            }

            foreach (var shard in new[] { whole, cut })
            {
                Assert.Equal(model.Decisions, shard.Decisions);
                Assert.Equal(model.Outcomes, shard.Outcomes);
                Assert.Equal(model.Tombstones.Order(), shard.Tombstones.Order());
                Assert.Equal(model.DayTotals, shard.DayTotals);
                Assert.Equal(model.CountRows, shard.CountRows);
            }
        }, iter: 3000, print: VoteStreams.Print);
    }

    /// <summary>
    /// A shard as the writer keeps it: each batch decided by <see cref="VoteRules"/> on what the batches before it stored,
    /// then stored as the writer stores a plan. Checks that each new vote is handed over once, with its final status.
    /// </summary>
    private sealed class Shard(StreamUniverse universe)
    {
        private readonly Dictionary<Guid, StoredVote> _votes = [];
        private readonly Totals _totals = new(universe.EarlierToday);
        private readonly Dictionary<string, Delta> _rows = [];

        public List<(string Region, VoteDecision Decision)> Decisions { get; } = [];

        public HashSet<Guid> Tombstones { get; } = [];

        public SortedDictionary<Guid, string> Outcomes => new(_votes.ToDictionary(v => v.Key, v => VoteStreams.Outcome(v.Value.Status, v.Value.Reason)));

        public SortedDictionary<(string, DateOnly), long> DayTotals => new(_totals.Values.Where(t => t.Value != 0).ToDictionary());

        public SortedDictionary<string, Delta> CountRows => new(_rows.Where(r => r.Value != default).ToDictionary());

        public void Apply(List<(string, VoteStreamEvent)> batch)
        {
            var state = new ShardState(new Dictionary<Guid, StoredVote>(_votes), new HashSet<Guid>(Tombstones),
                _votes.Values.Where(v => v.Status == VoteStatuses.Counted).ToList());
            var handedOver = new List<(Guid, string)>();
            var plan = VoteRules.Decide(batch, state, _totals, VoteStreams.DailyWeightLimit, vote => handedOver.Add((vote.Cast.VoteId, vote.Status)));

            Assert.Equal(plan.NewVotes.Select(v => (v.Cast.VoteId, v.Status)).Order(), handedOver.Order());
            foreach (var vote in plan.NewVotes)
            {
                var cast = vote.Cast;
                _votes.Add(cast.VoteId, new StoredVote(cast.VoteId, cast.SeasonId, cast.SlotPosition, cast.ClipId, cast.CreatorId, cast.VoterKey,
                    cast.VoteType, cast.Weight, vote.UtcDay, vote.Status, vote.Reason));
            }

            foreach (var revoked in plan.Revoked)
            {
                _votes[revoked.VoteId] = revoked with { Status = VoteStatuses.Revoked, Reason = null };
            }

            Tombstones.UnionWith(plan.Tombstones.Select(t => t.VoteId));
            Decisions.AddRange(plan.Decisions);

            // As the batch's upserts apply them: each row takes the batch's net change.
            foreach (var (row, change) in VoteStreams.RowsOf(BatchDeltas.Of(plan)))
            {
                var sum = _rows.GetValueOrDefault(row);
                _rows[row] = new Delta(sum.Votes + change.Votes, sum.Weight + change.Weight);
            }
        }
    }
}
