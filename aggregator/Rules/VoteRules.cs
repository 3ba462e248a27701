using AiMoviez.Contracts;

namespace AiMoviez.Aggregator.Rules;

/// <summary>A vote as the shard stores it, as far as the rules need it.</summary>
internal sealed record StoredVote(Guid VoteId, Guid SeasonId, int SlotPosition, Guid ClipId, Guid CreatorId, string VoterKey,
    string VoteType, int Weight, DateOnly UtcDay, string Status, string? Reason);

/// <summary>What a batch's rules read from its shard (inside the batch's transaction).</summary>
internal sealed record ShardState(
    IReadOnlyDictionary<Guid, StoredVote> VotesById,
    IReadOnlySet<Guid> Tombstones,
    IReadOnlyList<StoredVote> CountedVotesOfBatchVoters);

/// <summary>A vote new to the shard with the status the rules gave it.</summary>
internal sealed record NewVote(VoteCast Cast, DateOnly UtcDay, string Status, string? Reason)
{
    public string Status { get; set; } = Status;
}

/// <summary>Everything one batch changes, decided before it is written.</summary>
/// <param name="capacity">Messages in the batch: its lists take one entry per message at most, sized once.</param>
internal sealed class BatchPlan(int capacity = 0)
{
    public List<NewVote> NewVotes { get; } = new(capacity);

    /// <summary>Counted votes already stored that this batch revokes.</summary>
    public List<StoredVote> Revoked { get; } = [];

    public List<VoteRevoked> Tombstones { get; } = [];

    public List<ClipViewsReported> Views { get; } = [];

    /// <summary>Per origin region, the final word on each vote the batch touched.</summary>
    public List<(string Region, VoteDecision Decision)> Decisions { get; } = new(capacity);

    public HashSet<(Guid SeasonId, int SlotPosition)> TouchedSlots { get; } = [];

    public HashSet<Guid> SeasonsWithViews { get; } = [];

    /// <summary>Day-total changes made while deciding, to undo if the batch does not commit.</summary>
    public List<(string VoterKey, DateOnly Day, long Weight)> DailyChanges { get; } = new(capacity);

    public int CountedVotes => NewVotes.Count(v => v.Status == VoteStatuses.Counted);
}

/// <summary>
/// The rules only the aggregator can enforce exactly, decided for a batch in delivery order as if its messages were
/// applied one by one: one counted vote per (voter, clip, slot) unless the vote is a multi-vote, one super and one mega
/// per (voter, season, slot), the daily weight cap over all seasons, and votingEndsAt. A revoke that arrives before
/// its vote leaves a tombstone, so the vote is stored revoked when it comes. A copy of a stored vote gets the stored
/// decision again; a late copy (<see cref="VoteCast.LateCopy"/>) of a vote not stored is rejected VOTING_CLOSED.
/// </summary>
internal static class VoteRules
{
    /// <param name="final">
    /// Told each new vote once its row can no longer change within this batch, so the writer can store it while the
    /// rules go on: at once, unless a revoke of the same vote comes later in the batch, then after the last message.
    /// Every vote of <see cref="BatchPlan.NewVotes"/> is told exactly once.
    /// </param>
    public static BatchPlan Decide(IReadOnlyCollection<(string Region, VoteStreamEvent Event)> batch, ShardState state, IDailyTotals totals,
        int dailyWeightLimit, Action<NewVote>? final = null)
    {
        var plan = new BatchPlan(batch.Count);
        var revokedLater = final is null ? [] : batch.Select(m => m.Event).OfType<VoteRevoked>().Select(r => r.VoteId).ToHashSet();
        var counted = new CountedVotes(state.CountedVotesOfBatchVoters, batch.Count);
        var stored = new Dictionary<Guid, StoredVote>(state.VotesById);
        var fresh = new Dictionary<Guid, NewVote>(batch.Count);
        var tombstones = new HashSet<Guid>(state.Tombstones);
        var viewBatches = new HashSet<Guid>();

        foreach (var (region, evt) in batch)
        {
            switch (evt)
            {
                case VoteCast cast:
                    Cast(cast, region);
                    break;
                case VoteRevoked revoke:
                    Revoke(revoke, region);
                    break;
                case ClipViewsReported views when viewBatches.Add(views.BatchId):
                    plan.Views.Add(views);
                    plan.SeasonsWithViews.Add(views.SeasonId);
                    break;
            }
        }

        if (final is not null && revokedLater.Count > 0)
        {
            foreach (var vote in plan.NewVotes.Where(v => revokedLater.Contains(v.Cast.VoteId)))
            {
                final(vote);
            }
        }

        return plan;

        void Cast(VoteCast cast, string region)
        {
            if (stored.TryGetValue(cast.VoteId, out var known))
            {
                plan.Decisions.Add((region, new VoteDecision(cast.VoteId, known.Status, known.Reason)));
                return;
            }

            if (fresh.TryGetValue(cast.VoteId, out var again))
            {
                plan.Decisions.Add((region, new VoteDecision(cast.VoteId, again.Status, again.Reason)));
                return;
            }

            var day = DateOnly.FromDateTime(cast.AcceptedAt.UtcDateTime);
            var reason = tombstones.Contains(cast.VoteId) ? null
                : cast.LateCopy || cast.AcceptedAt > cast.VotingEndsAt ? ErrorCodes.VotingClosed
                : !cast.MultiVote && counted.HasClipVote(cast) ? ErrorCodes.AlreadyVoted
                : cast.VoteType != VoteTypes.Standard && counted.HasTypeVote(cast) ? ErrorCodes.SlotLimit
                : totals.Get(cast.VoterKey, day) + cast.Weight > dailyWeightLimit ? ErrorCodes.DailyLimit
                : null;
            var status = tombstones.Contains(cast.VoteId) ? VoteStatuses.Revoked
                : reason is null ? VoteStatuses.Counted
                : VoteStatuses.Rejected;
            var vote = new NewVote(cast, day, status, reason);
            fresh[cast.VoteId] = vote;
            plan.NewVotes.Add(vote);
            if (final is not null && !revokedLater.Contains(cast.VoteId))
            {
                final(vote);
            }

            if (status == VoteStatuses.Counted)
            {
                counted.Add(cast.VoteId, cast.VoterKey, cast.SeasonId, cast.SlotPosition, cast.ClipId, cast.VoteType);
                ChangeDay(cast.VoterKey, day, cast.Weight);
                plan.TouchedSlots.Add((cast.SeasonId, cast.SlotPosition));
            }

            plan.Decisions.Add((region, new VoteDecision(cast.VoteId, status, reason)));
        }

        void Revoke(VoteRevoked revoke, string region)
        {
            if (tombstones.Add(revoke.VoteId))
            {
                plan.Tombstones.Add(revoke);
            }

            var status = VoteStatuses.Revoked;
            string? reason = null;
            if (fresh.TryGetValue(revoke.VoteId, out var vote))
            {
                if (vote.Status == VoteStatuses.Counted)
                {
                    vote.Status = VoteStatuses.Revoked;
                    counted.Remove(revoke.VoteId, vote.Cast.VoterKey, vote.Cast.SeasonId, vote.Cast.SlotPosition);
                    ChangeDay(vote.Cast.VoterKey, vote.UtcDay, -vote.Cast.Weight);
                    plan.TouchedSlots.Add((vote.Cast.SeasonId, vote.Cast.SlotPosition));
                }

                (status, reason) = (vote.Status, vote.Status == VoteStatuses.Rejected ? vote.Reason : null);
            }
            else if (stored.TryGetValue(revoke.VoteId, out var known))
            {
                if (known.Status == VoteStatuses.Counted)
                {
                    plan.Revoked.Add(known);
                    stored[known.VoteId] = known with { Status = VoteStatuses.Revoked };
                    counted.Remove(known.VoteId, known.VoterKey, known.SeasonId, known.SlotPosition);
                    ChangeDay(known.VoterKey, known.UtcDay, -known.Weight);
                    plan.TouchedSlots.Add((known.SeasonId, known.SlotPosition));
                }
                else
                {
                    (status, reason) = (known.Status, known.Reason);
                }
            }

            plan.Decisions.Add((region, new VoteDecision(revoke.VoteId, status, reason)));
        }

        void ChangeDay(string voterKey, DateOnly day, long weight)
        {
            totals.Add(voterKey, day, weight);
            plan.DailyChanges.Add((voterKey, day, weight));
        }
    }

    /// <summary>Counted votes per (voter, season, slot): the scope of the per-clip and super/mega rules.</summary>
    private sealed class CountedVotes
    {
        private static readonly List<(Guid VoteId, Guid ClipId, string VoteType)> None = [];
        private readonly Dictionary<(string, Guid, int), List<(Guid VoteId, Guid ClipId, string VoteType)>> _byVoterSlot;

        /// <param name="newVotes">At most this many more (voter, season, slot) keys come while deciding.</param>
        public CountedVotes(IReadOnlyCollection<StoredVote> votes, int newVotes)
        {
            _byVoterSlot = new(votes.Count + newVotes);
            foreach (var v in votes)
            {
                Add(v.VoteId, v.VoterKey, v.SeasonId, v.SlotPosition, v.ClipId, v.VoteType);
            }
        }

        public bool HasClipVote(VoteCast cast) => Of(cast).Any(v => v.ClipId == cast.ClipId);

        public bool HasTypeVote(VoteCast cast) => Of(cast).Any(v => v.VoteType == cast.VoteType);

        public void Add(Guid voteId, string voterKey, Guid seasonId, int slot, Guid clipId, string voteType)
        {
            var key = (voterKey, seasonId, slot);
            if (!_byVoterSlot.TryGetValue(key, out var list))
            {
                // Most voters cast one vote per slot.
                list = new(1);
                _byVoterSlot[key] = list;
            }

            list.Add((voteId, clipId, voteType));
        }

        public void Remove(Guid voteId, string voterKey, Guid seasonId, int slot)
        {
            if (_byVoterSlot.TryGetValue((voterKey, seasonId, slot), out var list))
            {
                list.RemoveAll(v => v.VoteId == voteId);
            }
        }

        private List<(Guid VoteId, Guid ClipId, string VoteType)> Of(VoteCast cast) =>
            _byVoterSlot.GetValueOrDefault((cast.VoterKey, cast.SeasonId, cast.SlotPosition)) ?? None;
    }
}
