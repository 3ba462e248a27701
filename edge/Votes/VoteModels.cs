namespace AiMoviez.Edge.Votes;

/// <summary>POST /v1/votes body; strings so a bad id or type is a clear 400 instead of a binder error.</summary>
public sealed record VoteRequest(string? ClipId, string? VoteType);

public sealed record RemainingVotes(int Standard, int Super, int Mega);

public sealed record VoteAccepted(
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

public sealed record VoteRevokeAccepted(Guid ClipId, string Status);

public sealed record VoteReceipt(Guid VoteId, string Status, string? Reason);
