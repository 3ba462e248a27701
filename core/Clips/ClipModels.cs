using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using AiMoviez.Core.Audit;
using AiMoviez.Core.Infrastructure;
using AiMoviez.Core.Seasons;

namespace AiMoviez.Core.Clips;

internal sealed record ClipResponse(
    Guid Id,
    Guid SeasonId,
    Guid CreatorId,
    string Title,
    string Genre,
    string VideoUrl,
    string? ThumbnailUrl,
    double DurationSeconds,
    string Status,
    int? SlotPosition,
    DateTime CreatedAt,
    DateTime? ApprovedAt);

internal sealed record CreateClipRequest(Guid? SeasonId, string? Title, string? Genre, string? VideoUrl, string? ThumbnailUrl, double? DurationSeconds)
    : IValidatedRequest
{
    public static string InvalidDetail => "The clip is not valid.";

    public void Validate(Dictionary<string, string[]> errors)
    {
        if (SeasonId is null || SeasonId == Guid.Empty)
        {
            errors["seasonId"] = ["seasonId is required."];
        }

        ClipRules.CheckTitle(Title, errors);
        SeasonRules.CheckGenre(Genre, errors);
        if (!ClipRules.IsMediaUrl(VideoUrl, required: true))
        {
            errors["videoUrl"] = ["videoUrl must be an https URL or a relative path."];
        }

        ClipRules.CheckThumbnailUrl(ThumbnailUrl, errors);

        if (DurationSeconds is not (> 0 and <= ClipsApi.MaxDurationSeconds))
        {
            errors["durationSeconds"] = [$"durationSeconds must be greater than 0 and at most {ClipsApi.MaxDurationSeconds}."];
        }
    }
}

internal static class ClipStatuses
{
    public const string Pending = "pending";
    public const string Active = "active";
    public const string Locked = "locked";
    public const string Rejected = "rejected";
}

internal static class Creators
{
    /// <summary>
    /// Creator ids are UUIDs (the shards key creator_days by uuid). A JWT subject that is a UUID is used as is; any
    /// other subject maps to a stable name-based UUID (SHA-256 of the subject, RFC 9562 version 8 layout).
    /// </summary>
    public static Guid IdOf(ClaimsPrincipal user) => IdOf(user.Subject());

    public static Guid IdOf(string subject)
    {
        if (Guid.TryParse(subject, out var id))
        {
            return id;
        }

        var hash = SHA256.HashData(Encoding.UTF8.GetBytes("aimoviez-creator:" + subject)).AsSpan(0, 16).ToArray();
        hash[6] = (byte)((hash[6] & 0x0F) | 0x80);
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80);
        return new Guid(hash, bigEndian: true);
    }
}
