using System.Globalization;
using AiMoviez.Aggregator.Rules;
using AiMoviez.Aggregator.Shards;
using AiMoviez.Contracts;
using CsCheck;

namespace AiMoviez.Aggregator.Tests;

/// <summary>One message of a random stream, as numbers the generator shrinks toward the plainest vote.</summary>
internal readonly record struct StreamStep(int Kind, int Voter, int Clip, int Slot, int Type, int NextDay, int Region, int Extra);

/// <summary>
/// The voters, clips, creators, seasons and vote ids a random stream's messages name: fresh ones for each sample, so
/// samples can share a shard. Clips 0 and 1 compete in season A, 2 and 3 in season B; one creator made clips 0 and 2,
/// another 1 and 3, so a creator's day rows gather votes from both seasons.
/// </summary>
internal sealed class StreamUniverse
{
    private readonly Guid[] _clips = [.. Enumerable.Range(0, 4).Select(_ => Guid.NewGuid())];
    private readonly Guid[] _creators = [Guid.NewGuid(), Guid.NewGuid()];
    private readonly Guid[] _voteIds = [.. Enumerable.Range(0, VoteStreams.MaxSteps + 1).Select(_ => Guid.NewGuid())];
    /// <summary>A signed-in voter and two device voters (<c>device_</c> and 32 hex digits), which the day ledger keeps apart.</summary>
    private readonly string[] _voters = ["user_" + Guid.NewGuid().ToString("N")[..8], "device_" + Guid.NewGuid().ToString("N"), "device_" + Guid.NewGuid().ToString("N")];

    public Guid SeasonA { get; } = Guid.NewGuid();

    public Guid SeasonB { get; } = Guid.NewGuid();

    public Guid Clip(int clip) => _clips[clip];

    public Guid CreatorOf(int clip) => _creators[clip % 2];

    public Guid SeasonOf(int clip) => clip < 2 ? SeasonA : SeasonB;

    public string Voter(int voter) => _voters[voter];

    /// <summary>Numbered by cast, so a revoke can name a vote not cast yet.</summary>
    public Guid VoteId(int number) => _voteIds[number];

    /// <summary>Day totals the voters bring from earlier batches: voter 1 has room for a super, voter 2 for standard votes only.</summary>
    public Dictionary<(string, DateOnly), long> EarlierToday => new()
    {
        [(Voter(1), VoteStreams.Today)] = 190,
        [(Voter(2), VoteStreams.Today)] = 198,
    };
}

/// <summary>
/// Random streams of votes, revokes and redeliveries from three voters on four clips in two seasons, over a UTC midnight
/// and from three regions, with ways to cut them into batches: what the shard writer's batches may hold.
/// </summary>
internal static class VoteStreams
{
    public const int DailyWeightLimit = 200;
    public const int MaxSteps = 40;
    private static readonly string[] Regions = ["us-east", "eu-west", "ap-south"];
    private static readonly DateTimeOffset LateEvening = new(2026, 12, 7, 23, 59, 0, TimeSpan.Zero);

    public static DateOnly Today { get; } = DateOnly.FromDateTime(LateEvening.UtcDateTime);

    private static readonly Gen<StreamStep> Steps = Gen.Select(
        Gen.Select(Gen.Int[0, 9], Gen.Int[0, 2], Gen.Int[0, 3], Gen.Int[1, 2]),
        Gen.Select(Gen.Int[0, 9], Gen.Int[0, 1], Gen.Int[0, 2], Gen.Int[0, 15]),
        (a, b) => new StreamStep(a.Item1, a.Item2, a.Item3, a.Item4, b.Item1, b.Item2, b.Item3, b.Item4));

    /// <summary>A stream's steps and the sizes of the batches it is cut into (the rest in a last batch).</summary>
    public static readonly Gen<(StreamStep[] Stream, int[] Cuts)> WithCuts = Gen.Select(Steps.Array[1, MaxSteps], Gen.Int[1, 8].Array[0, 8]);

    public static string Print((StreamStep[] Stream, int[] Cuts) s) => string.Join(", ", s.Stream) + " | cuts " + string.Join(" ", s.Cuts);

    /// <summary>
    /// The stream the steps describe: kinds 0-5 cast a vote (type 7-8 super, 9 mega; extra 14 a multi-vote, 15 one
    /// accepted after its voting ended), 6-7 revoke one (extra 12 and above: the next vote, whose revoke comes first),
    /// 8-9 deliver an earlier message again.
    /// </summary>
    public static List<(string Region, VoteStreamEvent Message)> Messages(StreamStep[] steps, StreamUniverse u)
    {
        var stream = new List<(string, VoteStreamEvent)>();
        var casts = new List<VoteCast>();
        foreach (var step in steps)
        {
            var region = Regions[step.Region];
            switch (step.Kind)
            {
                case < 6:
                    var cast = Cast(casts.Count, step, region, u);
                    casts.Add(cast);
                    stream.Add((region, cast));
                    break;
                case < 8:
                    var target = step.Extra < 12 && casts.Count > 0 ? casts[step.Extra % casts.Count] : null;
                    stream.Add((region, new VoteRevoked
                    {
                        VoteId = target?.VoteId ?? u.VoteId(casts.Count), SeasonId = target?.SeasonId ?? u.SeasonOf(step.Clip),
                        SeasonNumber = 1, SlotPosition = target?.SlotPosition ?? step.Slot, ClipId = target?.ClipId ?? u.Clip(step.Clip),
                        VoterKey = target?.VoterKey ?? u.Voter(step.Voter), Region = region, RevokedAt = LateEvening,
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

    public static IEnumerable<List<(string Region, VoteStreamEvent Message)>> Batches(List<(string Region, VoteStreamEvent Message)> stream, int[] cuts)
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

    public static DateOnly DayOf(VoteCast cast) => DateOnly.FromDateTime(cast.AcceptedAt.UtcDateTime);

    public static string Outcome(string status, string? reason) => reason is null ? status : status + ":" + reason;

    /// <summary>A count row, named by its table and key as PostgreSQL prints them.</summary>
    public static string Row(string table, params object[] key) =>
        table + ":" + string.Join("/", key.Select(k => k is DateOnly day ? day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) : k.ToString()));

    /// <summary>The count rows of a batch's net change, each named by <see cref="Row"/>.</summary>
    public static IEnumerable<(string Row, Delta Change)> RowsOf(BatchDeltas deltas) =>
        deltas.Tallies.Select(d => (Row("tally", d.Key.SeasonId, d.Key.SlotPosition, d.Key.ClipId), d.Change))
            .Concat(deltas.VoterDays.Select(d => (Row("voter day", d.Key.VoterKey, d.Key.SeasonId, d.Key.Day), d.Change)))
            .Concat(deltas.CreatorDays.Select(d => (Row("creator day", d.Key.CreatorId, d.Key.SeasonId, d.Key.Day), d.Change)))
            .Concat(deltas.ClipDays.Select(d => (Row("clip day", d.Key.ClipId, d.Key.SeasonId, d.Key.Day), d.Change)));

    private static VoteCast Cast(int number, StreamStep step, string region, StreamUniverse u)
    {
        var voteType = step.Type switch { < 7 => VoteTypes.Standard, < 9 => VoteTypes.Super, _ => VoteTypes.Mega };
        var acceptedAt = step.NextDay == 1 ? LateEvening.AddMinutes(2) : LateEvening;
        return new VoteCast
        {
            VoteId = u.VoteId(number),
            SeasonId = u.SeasonOf(step.Clip),
            SeasonNumber = 1,
            SlotPosition = step.Slot,
            ClipId = u.Clip(step.Clip),
            CreatorId = u.CreatorOf(step.Clip),
            VoterKey = u.Voter(step.Voter),
            VoteType = voteType,
            Weight = VoteTypes.Weight(voteType),
            Region = region,
            AcceptedAt = acceptedAt,
            VotingEndsAt = step.Extra == 15 ? acceptedAt.AddSeconds(-1) : acceptedAt.AddHours(1),
            MultiVote = step.Extra == 14,
        };
    }
}

/// <summary>Day totals in memory for the rules alone, from the totals voters bring (<paramref name="earlier"/>, changed in place).</summary>
internal sealed class Totals(Dictionary<(string, DateOnly), long> earlier) : IDailyTotals
{
    public Dictionary<(string, DateOnly), long> Values { get; } = earlier;

    public long Get(string voterKey, DateOnly day) => Values.GetValueOrDefault((voterKey, day));

    public void Add(string voterKey, DateOnly day, long weight) => Values[(voterKey, day)] = Get(voterKey, day) + weight;
}

/// <summary>
/// DOMAIN.md's rules applied to one message at a time, kept apart from the aggregator's rules: a vote's status is
/// decided when it first arrives and changes only by its revoke; a message seen before changes nothing.
/// </summary>
internal sealed class OneAtATime
{
    private readonly Dictionary<(string, DateOnly), long> _earlierToday;
    private readonly Dictionary<Guid, (VoteCast Cast, string Status, string? Reason)> _votes = [];

    public OneAtATime(StreamUniverse universe, IEnumerable<(string Region, VoteStreamEvent Message)> stream)
    {
        _earlierToday = universe.EarlierToday;
        foreach (var (region, message) in stream)
        {
            Apply(region, message);
        }
    }

    public List<(string Region, VoteDecision Decision)> Decisions { get; } = [];

    public HashSet<Guid> Tombstones { get; } = [];

    public SortedDictionary<Guid, string> Outcomes => new(_votes.ToDictionary(v => v.Key, v => VoteStreams.Outcome(v.Value.Status, v.Value.Reason)));

    /// <summary>Every voter's weight per day: what they brought, and their counted votes.</summary>
    public SortedDictionary<(string, DateOnly), long> DayTotals
    {
        get
        {
            var totals = new SortedDictionary<(string, DateOnly), long>(_earlierToday);
            foreach (var (cast, _, _) in Counted())
            {
                totals[(cast.VoterKey, VoteStreams.DayOf(cast))] = totals.GetValueOrDefault((cast.VoterKey, VoteStreams.DayOf(cast))) + cast.Weight;
            }

            return totals;
        }
    }

    /// <summary>Per count table and row, the votes counted and their weight.</summary>
    public SortedDictionary<string, Delta> CountRows => new(Counted()
        .SelectMany(v => new[]
        {
            VoteStreams.Row("tally", v.Cast.SeasonId, v.Cast.SlotPosition, v.Cast.ClipId),
            VoteStreams.Row("voter day", v.Cast.VoterKey, v.Cast.SeasonId, VoteStreams.DayOf(v.Cast)),
            VoteStreams.Row("creator day", v.Cast.CreatorId, v.Cast.SeasonId, VoteStreams.DayOf(v.Cast)),
            VoteStreams.Row("clip day", v.Cast.ClipId, v.Cast.SeasonId, VoteStreams.DayOf(v.Cast)),
        }.Select(row => (row, v.Cast.Weight)))
        .GroupBy(r => r.row)
        .ToDictionary(g => g.Key, g => new Delta(g.Count(), g.Sum(r => r.Weight))));

    /// <summary>
    /// An admin's reset of a slot: its votes go, each leaving a tombstone, and with the counted ones their counts. Returns
    /// the votes the edges must give back (all but the revoked ones, which their revokes gave back) and the counted weight
    /// removed per voter and day.
    /// </summary>
    public (SortedSet<(string Region, Guid VoteId)> Undos, SortedDictionary<(string, DateOnly), long> Removed) ResetSlot(Guid seasonId, int slot)
    {
        var gone = _votes.Values.Where(v => v.Cast.SeasonId == seasonId && v.Cast.SlotPosition == slot).ToList();
        var removed = new SortedDictionary<(string, DateOnly), long>(gone.Where(v => v.Status == VoteStatuses.Counted)
            .GroupBy(v => (v.Cast.VoterKey, VoteStreams.DayOf(v.Cast))).ToDictionary(g => g.Key, g => (long)g.Sum(v => v.Cast.Weight)));
        foreach (var vote in gone)
        {
            _votes.Remove(vote.Cast.VoteId);
            Tombstones.Add(vote.Cast.VoteId);
        }

        return (new(gone.Where(v => v.Status != VoteStatuses.Revoked).Select(v => (v.Cast.Region, v.Cast.VoteId))), removed);
    }

    private void Apply(string region, VoteStreamEvent message)
    {
        switch (message)
        {
            case VoteCast cast when _votes.TryGetValue(cast.VoteId, out var known):
                Decisions.Add((region, new VoteDecision(cast.VoteId, known.Status, known.Reason)));
                break;
            case VoteCast cast:
                var sameSlot = Counted().Where(v => v.Cast.VoterKey == cast.VoterKey && v.Cast.SeasonId == cast.SeasonId
                    && v.Cast.SlotPosition == cast.SlotPosition).ToList();
                var dayTotal = _earlierToday.GetValueOrDefault((cast.VoterKey, VoteStreams.DayOf(cast)))
                    + Counted().Where(v => v.Cast.VoterKey == cast.VoterKey && VoteStreams.DayOf(v.Cast) == VoteStreams.DayOf(cast)).Sum(v => v.Cast.Weight);
                string? reason = null;
                if (cast.LateCopy || cast.AcceptedAt > cast.VotingEndsAt)
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
                else if (dayTotal + cast.Weight > VoteStreams.DailyWeightLimit)
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
