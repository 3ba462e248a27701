namespace AiMoviez.Contracts;

/// <summary>The `code` extension member of every problem+json response (CONTRACT.md section 3).</summary>
public static class ErrorCodes
{
    public const string InvalidRequest = "INVALID_REQUEST";
    public const string AuthRequired = "AUTH_REQUIRED";
    public const string Forbidden = "FORBIDDEN";
    public const string VoterBanned = "VOTER_BANNED";
    public const string NotFound = "NOT_FOUND";
    public const string ClipNotFound = "CLIP_NOT_FOUND";
    public const string AlreadyVoted = "ALREADY_VOTED";
    public const string Conflict = "CONFLICT";
    public const string PayloadTooLarge = "PAYLOAD_TOO_LARGE";
    public const string ClipNotVotable = "CLIP_NOT_VOTABLE";
    public const string VotingClosed = "VOTING_CLOSED";
    public const string SlotLimit = "SLOT_LIMIT";
    public const string RateLimited = "RATE_LIMITED";
    public const string DailyLimit = "DAILY_LIMIT";
    public const string VotingDisabled = "VOTING_DISABLED";
    public const string DependencyUnavailable = "DEPENDENCY_UNAVAILABLE";
    public const string CaptchaRequired = "CAPTCHA_REQUIRED";
}
