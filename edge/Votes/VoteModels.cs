namespace AiMoviez.Edge.Votes;

/// <summary>POST /v1/votes body; strings so a bad id or type is a clear 400 instead of a binder error.</summary>
internal sealed record VoteRequest(string? ClipId, string? VoteType);

internal sealed record RemainingVotes(int Standard, int Super, int Mega);

internal sealed record VoteAccepted(
    Guid VoteId,
    Guid ClipId,
    Guid SeasonId,
    int SlotPosition,
    string VoteType,
    int Weight,
    string Region,
    string Status,
    int TotalVotesToday,
    RemainingVotes RemainingVotes);

internal sealed record VoteRevokeAccepted(Guid ClipId, string Status);

internal sealed record VoteReceipt(Guid VoteId, string Status, string? Reason);
