using AiMoviez.Aggregator.Rules;
using AiMoviez.Contracts;

namespace AiMoviez.Aggregator.Shards;

/// <summary>
/// A batch's net change to the count tables, grouped per row in this process so each table takes one upsert per
/// touched row however many votes hit it (a hot clip is one tally row per batch). Counted new votes add, revoked
/// stored votes subtract; rows whose changes cancel out are left alone.
/// </summary>
internal sealed class BatchDeltas
{
    private BatchDeltas()
    {
    }

    public IReadOnlyList<((Guid SeasonId, int SlotPosition, Guid ClipId) Key, Delta Change)> Tallies { get; private init; } = [];

    public IReadOnlyList<((string VoterKey, Guid SeasonId, DateOnly Day) Key, Delta Change)> VoterDays { get; private init; } = [];

    public IReadOnlyList<((Guid CreatorId, Guid SeasonId, DateOnly Day) Key, Delta Change)> CreatorDays { get; private init; } = [];

    public IReadOnlyList<((Guid ClipId, Guid SeasonId, DateOnly Day) Key, Delta Change)> ClipDays { get; private init; } = [];

    public static BatchDeltas Of(BatchPlan plan)
    {
        var tallies = new Dictionary<(Guid, int, Guid), Delta>();
        // Nearly a row per vote (voters rarely vote twice in a batch), so sized once rather than grown.
        var voterDays = new Dictionary<(string, Guid, DateOnly), Delta>(plan.NewVotes.Count + plan.Revoked.Count);
        var creatorDays = new Dictionary<(Guid, Guid, DateOnly), Delta>();
        var clipDays = new Dictionary<(Guid, Guid, DateOnly), Delta>();
        foreach (var vote in plan.NewVotes)
        {
            if (vote.Status == VoteStatuses.Counted)
            {
                var c = vote.Cast;
                Add(c.SeasonId, c.SlotPosition, c.ClipId, c.CreatorId, c.VoterKey, vote.UtcDay, new Delta(1, c.Weight));
            }
        }

        foreach (var v in plan.Revoked)
        {
            Add(v.SeasonId, v.SlotPosition, v.ClipId, v.CreatorId, v.VoterKey, v.UtcDay, new Delta(-1, -v.Weight));
        }

        return new BatchDeltas
        {
            Tallies = NonZero(tallies),
            VoterDays = NonZero(voterDays),
            CreatorDays = NonZero(creatorDays),
            ClipDays = NonZero(clipDays),
        };

        void Add(Guid season, int slot, Guid clip, Guid creator, string voterKey, DateOnly day, Delta change)
        {
            Accumulate(tallies, (season, slot, clip), change);
            Accumulate(voterDays, (voterKey, season, day), change);
            Accumulate(creatorDays, (creator, season, day), change);
            Accumulate(clipDays, (clip, season, day), change);
        }
    }

    private static void Accumulate<TKey>(Dictionary<TKey, Delta> rows, TKey key, Delta change)
        where TKey : notnull
    {
        rows[key] = rows.TryGetValue(key, out var sum) ? new Delta(sum.Votes + change.Votes, sum.Weight + change.Weight) : change;
    }

    private static List<(TKey Key, Delta Change)> NonZero<TKey>(Dictionary<TKey, Delta> rows)
        where TKey : notnull
    {
        var nonZero = new List<(TKey Key, Delta Change)>(rows.Count);
        foreach (var (key, change) in rows)
        {
            if (change != default)
            {
                nonZero.Add((key, change));
            }
        }

        return nonZero;
    }
}

/// <summary>Counted votes and their weight added to (or, negative, taken from) one row.</summary>
internal readonly record struct Delta(long Votes, long Weight);
