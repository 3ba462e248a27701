using AiMoviez.Aggregator.Rules;
using AiMoviez.Contracts;
using static AiMoviez.Aggregator.Tests.AggregatorFixture;

namespace AiMoviez.Aggregator.Tests;

public sealed class VoteRulesTests
{
    private static readonly Guid Season = Guid.NewGuid();
    private static readonly ShardState Empty = new(new Dictionary<Guid, StoredVote>(), new HashSet<Guid>(), []);

    private static BatchPlan Decide(params VoteStreamEvent[] events) => Decide(new Totals([]), events);

    private static BatchPlan Decide(Totals totals, params VoteStreamEvent[] events) =>
        VoteRules.Decide(events.Select(e => ("us-east", e)).ToList(), Empty, totals, 200);

    private static string Outcome(BatchPlan plan, VoteCast vote) =>
        plan.NewVotes.Single(v => v.Cast.VoteId == vote.VoteId) is var v && v.Reason is null ? v.Status : $"{v.Status}:{v.Reason}";

    [Fact]
    public void Second_vote_on_a_clip_in_a_batch_is_already_voted_unless_multi_vote()
    {
        var clip = Guid.NewGuid();
        var first = Vote(1, Season, clip, "v");
        var second = Vote(1, Season, clip, "v");
        var multi = Vote(1, Season, clip, "v", multiVote: true);

        var plan = Decide(first, second, multi);

        Assert.Equal("counted", Outcome(plan, first));
        Assert.Equal("rejected:ALREADY_VOTED", Outcome(plan, second));
        Assert.Equal("counted", Outcome(plan, multi));
    }

    [Fact]
    public void Daily_cap_rejects_what_does_not_fit_but_a_smaller_vote_still_fits()
    {
        var totals = new Totals([]);
        totals.Add("v", DateOnly.FromDateTime(DateTime.UtcNow), 195);
        var mega = Vote(1, Season, Guid.NewGuid(), "v", voteType: VoteTypes.Mega);
        var standard = Vote(1, Season, Guid.NewGuid(), "v");

        var plan = Decide(totals, mega, standard);

        Assert.Equal("rejected:DAILY_LIMIT", Outcome(plan, mega));
        Assert.Equal("counted", Outcome(plan, standard));
        Assert.Equal(196, totals.Get("v", DateOnly.FromDateTime(DateTime.UtcNow)));
    }

    [Fact]
    public void One_super_per_slot_and_a_revoked_super_frees_it()
    {
        var super1 = Vote(1, Season, Guid.NewGuid(), "v", voteType: VoteTypes.Super);
        var super2 = Vote(1, Season, Guid.NewGuid(), "v", voteType: VoteTypes.Super);
        var revoke = new VoteRevoked
        {
            VoteId = super1.VoteId, SeasonId = Season, SeasonNumber = 1, SlotPosition = 1, ClipId = super1.ClipId, VoterKey = "v",
            Region = "us-east", RevokedAt = DateTimeOffset.UtcNow,
        };
        var super3 = Vote(1, Season, Guid.NewGuid(), "v", voteType: VoteTypes.Super);

        var plan = Decide(super1, super2, revoke, super3);

        Assert.Equal("revoked", Outcome(plan, super1));
        Assert.Equal("rejected:SLOT_LIMIT", Outcome(plan, super2));
        Assert.Equal("counted", Outcome(plan, super3));
    }

    [Fact]
    public void Revoke_before_vote_leaves_a_tombstone_and_the_vote_revoked()
    {
        var vote = Vote(1, Season, Guid.NewGuid(), "v");
        var revoke = new VoteRevoked
        {
            VoteId = vote.VoteId, SeasonId = Season, SeasonNumber = 1, SlotPosition = 1, ClipId = vote.ClipId, VoterKey = "v",
            Region = "eu-west", RevokedAt = DateTimeOffset.UtcNow,
        };

        var plan = Decide(revoke, vote);

        Assert.Single(plan.Tombstones);
        Assert.Equal("revoked", Outcome(plan, vote));
        Assert.Equal(0, plan.CountedVotes);
    }

    [Fact]
    public void Vote_already_stored_is_not_applied_again_and_keeps_its_decision()
    {
        var vote = Vote(1, Season, Guid.NewGuid(), "v");
        var stored = new StoredVote(vote.VoteId, Season, 1, vote.ClipId, vote.CreatorId, "v", VoteTypes.Standard, 1, DateOnly.FromDateTime(DateTime.UtcNow),
            VoteStatuses.Counted, null);
        var state = new ShardState(new Dictionary<Guid, StoredVote> { [vote.VoteId] = stored }, new HashSet<Guid>(), [stored]);

        var plan = VoteRules.Decide([("us-east", vote)], state, new Totals([]), 200);

        Assert.Empty(plan.NewVotes);
        Assert.Equal(new VoteDecision(vote.VoteId, VoteStatuses.Counted, null), plan.Decisions.Single().Decision);
    }

    [Fact]
    public void A_late_copy_stands_only_for_a_vote_stored_already_and_is_otherwise_rejected_voting_closed()
    {
        var original = Vote(1, Season, Guid.NewGuid(), "v");
        var neverStored = Vote(1, Season, Guid.NewGuid(), "w") with { LateCopy = true };
        var stored = Vote(1, Season, Guid.NewGuid(), "x");
        var storedRow = new StoredVote(stored.VoteId, Season, 1, stored.ClipId, stored.CreatorId, "x", VoteTypes.Standard, 1,
            DateOnly.FromDateTime(DateTime.UtcNow), VoteStatuses.Counted, null);
        var state = new ShardState(new Dictionary<Guid, StoredVote> { [stored.VoteId] = storedRow }, new HashSet<Guid>(), [storedRow]);

        var plan = VoteRules.Decide(new VoteStreamEvent[] { original, original with { LateCopy = true }, neverStored, stored with { LateCopy = true } }
            .Select(e => ("us-east", e)).ToList(), state, new Totals([]), 200);

        Assert.Equal("counted", Outcome(plan, original));
        Assert.Equal("rejected:VOTING_CLOSED", Outcome(plan, neverStored));
        Assert.Equal(2, plan.NewVotes.Count);
        Assert.Equal(1, plan.CountedVotes);
        Assert.Equal(
            [new VoteDecision(original.VoteId, VoteStatuses.Counted, null), new VoteDecision(original.VoteId, VoteStatuses.Counted, null),
             new VoteDecision(neverStored.VoteId, VoteStatuses.Rejected, ErrorCodes.VotingClosed), new VoteDecision(stored.VoteId, VoteStatuses.Counted, null)],
            plan.Decisions.Select(d => d.Decision));
    }

    /// <summary>The writer stores each vote as soon as the rules hand it over, so a handed-over row must never change.</summary>
    [Fact]
    public void Every_new_vote_is_handed_over_once_with_its_final_status_and_a_vote_revoked_later_only_at_the_end()
    {
        var kept = Vote(1, Season, Guid.NewGuid(), "v");
        var revokedLater = Vote(1, Season, Guid.NewGuid(), "w");
        var duplicate = Vote(1, Season, kept.ClipId, "v");
        var revoke = new VoteRevoked
        {
            VoteId = revokedLater.VoteId, SeasonId = Season, SeasonNumber = 1, SlotPosition = 1, ClipId = revokedLater.ClipId,
            VoterKey = "w", Region = "us-east", RevokedAt = DateTimeOffset.UtcNow,
        };
        var handedOver = new List<(Guid VoteId, string Status)>();

        var plan = VoteRules.Decide(new VoteStreamEvent[] { kept, revokedLater, duplicate, kept, revoke }.Select(e => ("us-east", e)).ToList(), Empty,
            new Totals([]), 200, vote => handedOver.Add((vote.Cast.VoteId, vote.Status)));

        Assert.Equal(
            [(kept.VoteId, VoteStatuses.Counted), (duplicate.VoteId, VoteStatuses.Rejected), (revokedLater.VoteId, VoteStatuses.Revoked)],
            handedOver);
        Assert.Equal(plan.NewVotes.Select(v => (v.Cast.VoteId, v.Status)).Order(), handedOver.Order());
    }
}
