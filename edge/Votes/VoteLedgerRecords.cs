using AiMoviez.Contracts;

namespace AiMoviez.Edge.Votes;

/// <summary>A vote's place in Redis: what identifies it and the limits it is checked against.</summary>
internal sealed record VoteAttempt(
    string VoterKey,
    string ClientIp,
    Guid VoteId,
    string VoteType,
    SeasonSnapshot? Season,
    int SlotPosition,
    Guid? ClipId,
    string? IdempotencyKey,
    bool MultiVote,
    VoteFlags BaseFlags,
    DateTimeOffset Now,
    DateTimeOffset? VotingEndsAt,
    string? Verdict,
    string? CaptchaKey = null);

/// <summary>What the cast script decided, with what the 202 body and the X-RateLimit headers need.</summary>
internal sealed record CastDecision(
    string Code,
    int VoterCount,
    long ResetMs,
    int DayTotal,
    bool SuperUsed,
    bool MegaUsed,
    VoteFlags Flags,
    long RetryMs,
    Guid? VoteId,
    ReplayedVote? Replay,
    UndecidedVote? Held = null);

/// <summary>
/// The vote an ALREADY_VOTED found on its clip while still undecided: what publishing it again needs, and when it was
/// last published again (null: never).
/// </summary>
internal sealed record UndecidedVote(Guid VoteId, string VoteType, VoteFlags Flags, bool MultiVote, DateTimeOffset? RepublishedAt);

/// <summary>
/// What a replay (a retry with an earlier vote's Idempotency-Key) finds: the first answer, the receipt's status, and the
/// vote's flags and multi-vote mark as its cast gave them (<see cref="MultiVote"/> null for a receipt from before
/// receipts held them).
/// </summary>
internal sealed record ReplayedVote(VoteAccepted Answer, string Status, VoteFlags Flags, bool? MultiVote);

/// <summary>What a revoke found: <see cref="Code"/> is RATE_LIMITED (nothing else looked at) or empty.</summary>
internal sealed record FoundVote(
    string Code, int VoterCount, long ResetMs, long RetryMs, Guid? VoteId, string VoteType, int Weight, string DayKey, string IdempotencyKey);

/// <summary>
/// What the genre script decided: <see cref="Code"/> is OK, RATE_LIMITED or the edge's verdict; <see cref="Before"/> the
/// voter's genre before (null: none); <see cref="Sequence"/> the change's, for OK.
/// </summary>
internal sealed record GenreDecision(string Code, int VoterCount, long ResetMs, long RetryMs, string? Before, long Sequence);

internal sealed record BallotVoterState(int DayTotal, bool SuperUsed, bool MegaUsed, IReadOnlyList<Guid> VotedClipIds);
