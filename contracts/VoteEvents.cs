using System.Text.Json.Serialization;

namespace AiMoviez.Contracts;

/// <summary>Vote types and their weights (standard 1, super 3, mega 10).</summary>
public static class VoteTypes
{
    public const string Standard = "standard";
    public const string Super = "super";
    public const string Mega = "mega";

    public static bool IsKnown(string voteType) => voteType is Standard or Super or Mega;

    public static int Weight(string voteType) => voteType switch
    {
        Standard => 1,
        Super => 3,
        Mega => 10,
        _ => throw new ArgumentOutOfRangeException(nameof(voteType), voteType, "Unknown vote type."),
    };
}

/// <summary>Why a vote looked suspicious; suspicious votes are counted but flagged.</summary>
[Flags]
public enum VoteFlags
{
    None = 0,
    HeadlessClient = 1,
    AtRateLimit = 2,
    ManyVoterKeysFromIp = 4,
}

/// <summary>Version of the vote events below; the aggregator dead-letters versions it does not know.</summary>
public static class EventSchema
{
    public const int Version = 1;
}

/// <summary>
/// One event of a region's vote stream, as the aggregator applies it: <see cref="VoteCast"/>, <see cref="VoteRevoked"/>,
/// <see cref="ClipViewsReported"/> or <see cref="GenreVoteChanged"/>, and no other (the constructor is this assembly's).
/// Its subject says which (<see cref="Subjects.VoteKindOf"/>); it adds nothing to the wire.
/// </summary>
public abstract record VoteStreamEvent
{
    private protected VoteStreamEvent()
    {
    }
}

/// <summary>An accepted vote, published by an edge to its region's stream (subject <see cref="Subjects.VoteCast"/>).</summary>
public sealed record VoteCast : VoteStreamEvent
{
    public int SchemaVersion { get; init; } = EventSchema.Version;
    public required Guid VoteId { get; init; }
    public required Guid SeasonId { get; init; }
    public required int SeasonNumber { get; init; }
    public required int SlotPosition { get; init; }
    public required Guid ClipId { get; init; }
    public required Guid CreatorId { get; init; }
    public required string VoterKey { get; init; }
    public required string VoteType { get; init; }
    public required int Weight { get; init; }
    public required string Region { get; init; }
    public required DateTimeOffset AcceptedAt { get; init; }
    public required DateTimeOffset VotingEndsAt { get; init; }
    public bool MultiVote { get; init; }
    public VoteFlags Flags { get; init; }

    /// <summary>
    /// A copy an edge published again after the vote's slot stopped taking votes (a retry found the vote undecided,
    /// and its first publish may never have reached the stream): it stands only if the vote was stored already, else
    /// it is rejected VOTING_CLOSED, since the slot may have been closed on its tallies. Left out when false.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public bool LateCopy { get; init; }
}

/// <summary>
/// Votes an edge accepted together (subject <see cref="Subjects.VoteCasts"/>): those that arrived for one lane while the
/// edge's previous publish to it was in flight, so the stream and the aggregator pay their cost per message once for
/// all of them. Nats-Msg-Id is <c>casts-</c> and the first vote's id.
/// </summary>
public sealed record VoteCasts
{
    public int SchemaVersion { get; init; } = EventSchema.Version;
    public required IReadOnlyList<VoteCast> Votes { get; init; }
}

/// <summary>A vote taken back by its voter (subject <see cref="Subjects.VoteRevoked"/>).</summary>
public sealed record VoteRevoked : VoteStreamEvent
{
    public int SchemaVersion { get; init; } = EventSchema.Version;
    public required Guid VoteId { get; init; }
    public required Guid SeasonId { get; init; }
    public required int SeasonNumber { get; init; }
    public required int SlotPosition { get; init; }
    public required Guid ClipId { get; init; }
    public required string VoterKey { get; init; }
    public required string Region { get; init; }
    public required DateTimeOffset RevokedAt { get; init; }
}

/// <summary>Ballot views batched by an edge (subject <see cref="Subjects.ClipViews"/>).</summary>
public sealed record ClipViewsReported : VoteStreamEvent
{
    public int SchemaVersion { get; init; } = EventSchema.Version;
    public required Guid BatchId { get; init; }
    public required Guid SeasonId { get; init; }
    public required int SeasonNumber { get; init; }
    public required string Region { get; init; }
    public required DateTimeOffset At { get; init; }
    public required IReadOnlyList<ClipViewCount> Views { get; init; }
}

public sealed record ClipViewCount(Guid ClipId, int Views);

/// <summary>
/// Votes of one slot an admin's reset removed from the shard, sent to the region that accepted them (subject
/// <see cref="Subjects.SlotResets"/>) so its edges free their voters in Redis: the vote per clip, the super/mega of the
/// slot, and the weight charged to the vote's UTC day. Applying it twice changes nothing more.
/// </summary>
public sealed record SlotVotesReset
{
    public int SchemaVersion { get; init; } = EventSchema.Version;
    public required Guid SeasonId { get; init; }
    public required int SlotPosition { get; init; }
    public required IReadOnlyList<ResetVote> Votes { get; init; }
}

/// <summary>One removed vote: whose, on what, and what it charged (<see cref="UtcDay"/> is the day it was accepted).</summary>
public sealed record ResetVote(Guid VoteId, string VoterKey, Guid ClipId, string VoteType, int Weight, DateOnly UtcDay);

public static class VoteStatuses
{
    public const string Accepted = "accepted";
    public const string Counted = "counted";
    public const string Rejected = "rejected";
    public const string Revoked = "revoked";

    /// <summary>The reason of a receipt <see cref="Revoked"/> by an admin's slot reset rather than by its voter.</summary>
    public const string SlotResetReason = "SLOT_RESET";
}

/// <summary>The aggregator's final word on votes, published to the region they came from.</summary>
public sealed record VoteDecisions
{
    public required IReadOnlyList<VoteDecision> Decisions { get; init; }
}

public sealed record VoteDecision(Guid VoteId, string Status, string? Reason);
