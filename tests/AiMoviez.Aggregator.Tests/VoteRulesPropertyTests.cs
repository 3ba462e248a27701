using AiMoviez.Aggregator.Rules;
using AiMoviez.Aggregator.Shards;
using AiMoviez.Contracts;
using CsCheck;

namespace AiMoviez.Aggregator.Tests;

/// <summary>
/// The rules on random streams of votes, revokes and redeliveries from a few voters on a few clips: the shard writer may
/// cut the same stream into batches anywhere (a redelivery, a restart, another batch size), and every cut must decide
/// every vote as DOMAIN.md's rules applied one message at a time do, and leave the count rows (tallies and the voter,
/// creator and clip days) at the sums of the votes counted.
/// </summary>
public sealed class VoteRulesPropertyTests
{
    private const int DailyWeightLimit = 200;
    private static readonly Guid SeasonA = new("0194a000-0000-7000-8000-00000000000a");
    private static readonly Guid SeasonB = new("0194a000-0000-7000-8000-00000000000b");
    private static readonly string[] Regions = ["us-east", "eu-west", "ap-south"];
    private static readonly DateTimeOffset LateEvening = new(2026, 12, 7, 23, 59, 0, TimeSpan.Zero);

    /// <summary>Day totals the voters bring from earlier batches: v1 has room for a super, v2 for standard votes only.</summary>
    private static readonly Dictionary<(string, DateOnly), long> EarlierToday = new()
    {
        [("v1", DateOnly.FromDateTime(LateEvening.UtcDateTime))] = 190,
        [("v2", DateOnly.FromDateTime(LateEvening.UtcDateTime))] = 198,
    };

    /// <summary>One message of the stream, as numbers the generator shrinks toward the plainest vote.</summary>
    private readonly record struct Step(int Kind, int Voter, int Clip, int Slot, int Type, int NextDay, int Region, int Extra);

    private static readonly Gen<Step> Steps = Gen.Select(
        Gen.Select(Gen.Int[0, 9], Gen.Int[0, 2], Gen.Int[0, 3], Gen.Int[1, 2]),
        Gen.Select(Gen.Int[0, 9], Gen.Int[0, 1], Gen.Int[0, 2], Gen.Int[0, 15]),
        (a, b) => new Step(a.Item1, a.Item2, a.Item3, a.Item4, b.Item1, b.Item2, b.Item3, b.Item4));

    private static readonly Gen<(Step[] Stream, int[] Cuts)> Streams = Gen.Select(Steps.Array[1, 40], Gen.Int[1, 8].Array[0, 8]);

    [Fact]
    public void Any_cut_of_a_stream_into_batches_decides_every_vote_as_the_rules_one_message_at_a_time()
    {
        Streams.Sample((steps, cuts) =>
        {
            var stream = Messages(steps);
            var model = new OneAtATime();
            foreach (var (region, message) in stream)
            {
                model.Apply(region, message);
            }

            var whole = new Shard();
            whole.Apply(stream);
            var cut = new Shard();
            foreach (var batch in Batches(stream, cuts))
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
        }, iter: 3000, print: s => string.Join(", ", s.Item1) + " | cuts " + string.Join(" ", s.Item2));
    }

    /// <summary>The stream the steps describe. Vote ids are numbered by cast, so a revoke can name a vote not cast yet.</summary>
    private static List<(string Region, VoteStreamEvent Message)> Messages(Step[] steps)
    {
        var stream = new List<(string, VoteStreamEvent)>();
        var casts = new List<VoteCast>();
        foreach (var step in steps)
        {
            var region = Regions[step.Region];
            switch (step.Kind)
            {
                case < 6:
                    var cast = Cast(casts.Count, step, region);
                    casts.Add(cast);
                    stream.Add((region, cast));
                    break;
                case < 8:
                    // Mostly a vote cast before; else the next one, whose revoke arrives first (another region's stream).
                    var target = step.Extra < 12 && casts.Count > 0 ? casts[step.Extra % casts.Count] : null;
                    stream.Add((region, new VoteRevoked
                    {
                        VoteId = target?.VoteId ?? VoteId(casts.Count), SeasonId = target?.SeasonId ?? SeasonOf(step.Clip),
                        SeasonNumber = 1, SlotPosition = target?.SlotPosition ?? step.Slot, ClipId = target?.ClipId ?? ClipId(step.Clip),
                        VoterKey = target?.VoterKey ?? "v" + step.Voter, Region = region, RevokedAt = LateEvening,
                    }));
                    break;
                default:
                    if (stream.Count > 0)
                    {
                        stream.Add(stream[step.Extra % stream.Count]);
                    }

                    break;
            }
        }

        return stream;
    }

    private static VoteCast Cast(int number, Step step, string region)
    {
        var voteType = step.Type switch { < 7 => VoteTypes.Standard, < 9 => VoteTypes.Super, _ => VoteTypes.Mega };
        var acceptedAt = step.NextDay == 1 ? LateEvening.AddMinutes(2) : LateEvening;
        return new VoteCast
        {
            VoteId = VoteId(number),
            SeasonId = SeasonOf(step.Clip),
            SeasonNumber = 1,
            SlotPosition = step.Slot,
            ClipId = ClipId(step.Clip),
            CreatorId = CreatorOf(step.Clip),
            VoterKey = "v" + step.Voter,
            VoteType = voteType,
            Weight = VoteTypes.Weight(voteType),
            Region = region,
            AcceptedAt = acceptedAt,
            VotingEndsAt = step.Extra == 15 ? acceptedAt.AddSeconds(-1) : acceptedAt.AddHours(1),
            MultiVote = step.Extra == 14,
        };
    }

    private static Guid VoteId(int number) => new($"0194a000-0000-7000-8000-{number:x12}");

    private static Guid ClipId(int clip) => new($"0194a000-0000-7000-9000-{clip:x12}");

    /// <summary>One creator made clips 0 and 2, another 1 and 3: a creator's day rows gather votes from both seasons' clips.</summary>
    private static Guid CreatorOf(int clip) => new($"0194a000-0000-7000-a000-{clip % 2:x12}");

    /// <summary>Clips 0 and 1 compete in season A, 2 and 3 in season B.</summary>
    private static Guid SeasonOf(int clip) => clip < 2 ? SeasonA : SeasonB;

    private static IEnumerable<List<(string, VoteStreamEvent)>> Batches(List<(string, VoteStreamEvent)> stream, int[] cuts)
    {
        var start = 0;
        foreach (var size in cuts.Append(stream.Count))
        {
            if (start >= stream.Count)
            {
                yield break;
            }

            var count = Math.Min(size, stream.Count - start);
            yield return stream.GetRange(start, count);
            start += count;
        }
    }

    private static DateOnly DayOf(VoteCast cast) => DateOnly.FromDateTime(cast.AcceptedAt.UtcDateTime);

    /// <summary>
    /// DOMAIN.md's rules applied to one message at a time, kept apart from <see cref="VoteRules"/>: a vote's status is
    /// decided when it first arrives and changes only by its revoke; a message seen before changes nothing.
    /// </summary>
    private sealed class OneAtATime
    {
        private readonly Dictionary<Guid, (VoteCast Cast, string Status, string? Reason)> _votes = [];

        public List<(string Region, VoteDecision Decision)> Decisions { get; } = [];

        public HashSet<Guid> Tombstones { get; } = [];

        public SortedDictionary<Guid, string> Outcomes => new(_votes.ToDictionary(v => v.Key, v => Outcome(v.Value.Status, v.Value.Reason)));

        public SortedDictionary<(string, DateOnly), long> DayTotals
        {
            get
            {
                var totals = new SortedDictionary<(string, DateOnly), long>(EarlierToday);
                foreach (var (cast, _, _) in Counted())
                {
                    totals[(cast.VoterKey, DayOf(cast))] = totals.GetValueOrDefault((cast.VoterKey, DayOf(cast))) + cast.Weight;
                }

                return totals;
            }
        }

        /// <summary>Per count table and row, the votes counted and their weight.</summary>
        public SortedDictionary<string, Delta> CountRows => new(Counted()
            .SelectMany(v => Rows(v.Cast.SeasonId, v.Cast.SlotPosition, v.Cast.ClipId, v.Cast.CreatorId, v.Cast.VoterKey, DayOf(v.Cast))
                .Select(row => (row, v.Cast.Weight)))
            .GroupBy(r => r.row)
            .ToDictionary(g => g.Key, g => new Delta(g.Count(), g.Sum(r => r.Weight))));

        public void Apply(string region, VoteStreamEvent message)
        {
            switch (message)
            {
                case VoteCast cast when _votes.TryGetValue(cast.VoteId, out var known):
                    Decisions.Add((region, new VoteDecision(cast.VoteId, known.Status, known.Reason)));
                    break;
                case VoteCast cast:
                    var sameSlot = Counted().Where(v => v.Cast.VoterKey == cast.VoterKey && v.Cast.SeasonId == cast.SeasonId
                        && v.Cast.SlotPosition == cast.SlotPosition).ToList();
                    var dayTotal = EarlierToday.GetValueOrDefault((cast.VoterKey, DayOf(cast)))
                        + Counted().Where(v => v.Cast.VoterKey == cast.VoterKey && DayOf(v.Cast) == DayOf(cast)).Sum(v => v.Cast.Weight);
                    string? reason = null;
                    if (cast.AcceptedAt > cast.VotingEndsAt)
                    {
                        reason = ErrorCodes.VotingClosed;
                    }
                    else if (!cast.MultiVote && sameSlot.Any(v => v.Cast.ClipId == cast.ClipId))
                    {
                        reason = ErrorCodes.AlreadyVoted;
                    }
                    else if (cast.VoteType != VoteTypes.Standard && sameSlot.Any(v => v.Cast.VoteType == cast.VoteType))
                    {
                        reason = ErrorCodes.SlotLimit;
                    }
                    else if (dayTotal + cast.Weight > DailyWeightLimit)
                    {
                        reason = ErrorCodes.DailyLimit;
                    }

                    var decided = Tombstones.Contains(cast.VoteId) ? (cast, VoteStatuses.Revoked, (string?)null)
                        : reason is null ? (cast, VoteStatuses.Counted, null)
                        : (cast, VoteStatuses.Rejected, reason);
                    _votes[cast.VoteId] = decided;
                    Decisions.Add((region, new VoteDecision(cast.VoteId, decided.Item2, decided.Item3)));
                    break;
                case VoteRevoked revoke:
                    Tombstones.Add(revoke.VoteId);
                    var status = VoteStatuses.Revoked;
                    string? kept = null;
                    if (_votes.TryGetValue(revoke.VoteId, out var vote))
                    {
                        if (vote.Status == VoteStatuses.Counted)
                        {
                            _votes[revoke.VoteId] = (vote.Cast, VoteStatuses.Revoked, null);
                        }
                        else
                        {
                            (status, kept) = (vote.Status, vote.Reason);
                        }
                    }

                    Decisions.Add((region, new VoteDecision(revoke.VoteId, status, kept)));
                    break;
            }
        }

        private IEnumerable<(VoteCast Cast, string Status, string? Reason)> Counted() =>
            _votes.Values.Where(v => v.Status == VoteStatuses.Counted);
    }

    /// <summary>
    /// A shard as the writer keeps it: each batch decided by <see cref="VoteRules"/> on what the batches before it stored,
    /// then stored as the writer stores a plan. Checks that each new vote is handed over once, with its final status.
    /// </summary>
    private sealed class Shard
    {
        private readonly Dictionary<Guid, StoredVote> _votes = [];
        private readonly Totals _totals = new();

        public List<(string Region, VoteDecision Decision)> Decisions { get; } = [];

        public HashSet<Guid> Tombstones { get; } = [];

        public SortedDictionary<Guid, string> Outcomes => new(_votes.ToDictionary(v => v.Key, v => Outcome(v.Value.Status, v.Value.Reason)));

        public SortedDictionary<(string, DateOnly), long> DayTotals => new(_totals.Values.Where(t => t.Value != 0).ToDictionary());

        public SortedDictionary<string, Delta> CountRows => new(_rows.Where(r => r.Value != default).ToDictionary());

        private readonly Dictionary<string, Delta> _rows = [];

        public void Apply(List<(string, VoteStreamEvent)> batch)
        {
            var state = new ShardState(new Dictionary<Guid, StoredVote>(_votes), new HashSet<Guid>(Tombstones),
                _votes.Values.Where(v => v.Status == VoteStatuses.Counted).ToList());
            var handedOver = new List<(Guid, string)>();
            var plan = VoteRules.Decide(batch, state, _totals, DailyWeightLimit, vote => handedOver.Add((vote.Cast.VoteId, vote.Status)));

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
            var deltas = BatchDeltas.Of(plan);
            Add(deltas.Tallies.Select(d => (Row("tally", d.Key.SeasonId, d.Key.SlotPosition, d.Key.ClipId), d.Change)));
            Add(deltas.VoterDays.Select(d => (Row("voter day", d.Key.VoterKey, d.Key.SeasonId, d.Key.Day), d.Change)));
            Add(deltas.CreatorDays.Select(d => (Row("creator day", d.Key.CreatorId, d.Key.SeasonId, d.Key.Day), d.Change)));
            Add(deltas.ClipDays.Select(d => (Row("clip day", d.Key.ClipId, d.Key.SeasonId, d.Key.Day), d.Change)));
        }

        private void Add(IEnumerable<(string Row, Delta Change)> changes)
        {
            foreach (var (row, change) in changes)
            {
                var sum = _rows.GetValueOrDefault(row);
                _rows[row] = new Delta(sum.Votes + change.Votes, sum.Weight + change.Weight);
            }
        }
    }

    private sealed class Totals : IDailyTotals
    {
        public Dictionary<(string, DateOnly), long> Values { get; } = new(EarlierToday);

        public long Get(string voterKey, DateOnly day) => Values.GetValueOrDefault((voterKey, day));

        public void Add(string voterKey, DateOnly day, long weight) => Values[(voterKey, day)] = Get(voterKey, day) + weight;
    }

    /// <summary>The count rows a counted vote adds to, each named by its table and key.</summary>
    private static string[] Rows(Guid season, int slot, Guid clip, Guid creator, string voter, DateOnly day) =>
        [Row("tally", season, slot, clip), Row("voter day", voter, season, day), Row("creator day", creator, season, day), Row("clip day", clip, season, day)];

    private static string Row(string table, params object[] key) => table + ":" + string.Join("/", key);

    private static string Outcome(string status, string? reason) => reason is null ? status : status + ":" + reason;
}
