using System.Security.Claims;
using AiMoviez.Core.Audit;
using AiMoviez.Core.Clips;

namespace AiMoviez.Core.Me;

/// <summary>CONTRACT section 5, <c>GET /v1/me/stats</c>: counted votes only, so the numbers agree with the tallies.</summary>
internal sealed record MyStats(
    long VotesToday,
    long RemainingToday,
    long TotalVotes,
    long WeightedTotal,
    int StreakDays,
    DateTime? FirstVoteAt,
    long ClipsSubmitted,
    long ClipsWon,
    long VotesReceived);

internal sealed record MyVote(
    Guid VoteId,
    Guid ClipId,
    Guid SeasonId,
    int SlotPosition,
    string VoteType,
    int Weight,
    string Status,
    DateTime AcceptedAt);

/// <summary>One of the caller's clips with the votes it received in every slot it competed in.</summary>
internal sealed record MyClip(
    Guid Id,
    Guid SeasonId,
    string Title,
    string Genre,
    string VideoUrl,
    string? ThumbnailUrl,
    double DurationSeconds,
    string Status,
    int? SlotPosition,
    DateTime CreatedAt,
    DateTime? ApprovedAt,
    long Votes,
    long WeightedScore)
{
    public static MyClip From(ClipResponse clip, long votes, long weightedScore) =>
        new(clip.Id, clip.SeasonId, clip.Title, clip.Genre, clip.VideoUrl, clip.ThumbnailUrl, clip.DurationSeconds, clip.Status,
            clip.SlotPosition, clip.CreatedAt, clip.ApprovedAt, votes, weightedScore);
}

/// <summary>The keys one signed-in user is known by: the JWT subject, the edges' voter key and the creator id of their clips.</summary>
internal sealed record UserKeys(string UserId, string VoterKey, Guid CreatorId)
{
    /// <summary>CONTRACT section 4: a signed-in voter's key is <c>user_&lt;sub&gt;</c>.</summary>
    public const string VoterKeyPrefix = "user_";

    public static UserKeys Of(ClaimsPrincipal user) => Of(user.Subject());

    public static UserKeys Of(string userId) => new(userId, VoterKeyPrefix + userId, Creators.IdOf(userId));
}
