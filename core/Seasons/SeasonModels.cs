using AiMoviez.Contracts;
using AiMoviez.Core.Infrastructure;

namespace AiMoviez.Core.Seasons;

internal sealed record SeasonResponse(
    Guid Id,
    int Number,
    string Label,
    string Genre,
    string Status,
    int TotalSlots,
    int SlotDurationSeconds,
    DateTime CreatedAt,
    DateTime? ActivatedAt,
    IReadOnlyList<SlotResponse> Slots);

/// <param name="Winner">A locked slot's winning clip with its final counts, so a story page needs no other call.</param>
internal sealed record SlotResponse(int Position, string Status, DateTime? VotingEndsAt, Guid? WinnerClipId, SlotWinner? Winner);

/// <param name="Votes">Null for a slot locked before final counts were kept.</param>
internal sealed record SlotWinner(Guid ClipId, string Title, Guid CreatorId, string VideoUrl, string? ThumbnailUrl, long? Votes, long? WeightedScore);

internal sealed record SeasonList(IReadOnlyList<SeasonResponse> Items);

internal sealed record CreateSeasonRequest(string? Label, string? Genre, int? TotalSlots, int? SlotDurationSeconds) : IValidatedRequest
{
    public static string InvalidDetail => "The season is not valid.";

    public void Validate(Dictionary<string, string[]> errors)
    {
        SeasonRules.CheckLabel(Label, errors);
        SeasonRules.CheckGenre(Genre, errors);
        SeasonRules.CheckTotalSlots(TotalSlots, errors);
        SeasonRules.CheckSlotDuration(SlotDurationSeconds, errors);
    }
}

/// <summary>An admin's edit of a season: the fields given change, the others stay, so only those given are checked.</summary>
internal sealed record UpdateSeasonRequest(string? Label, string? Genre, int? TotalSlots, int? SlotDurationSeconds, string? Status)
    : IValidatedRequest
{
    public static string InvalidDetail => "The season change is not valid.";

    public void Validate(Dictionary<string, string[]> errors)
    {
        if (Label is not null)
        {
            SeasonRules.CheckLabel(Label, errors);
        }

        if (Genre is not null)
        {
            SeasonRules.CheckGenre(Genre, errors);
        }

        SeasonRules.CheckTotalSlots(TotalSlots, errors);
        SeasonRules.CheckSlotDuration(SlotDurationSeconds, errors);
        if (Status is not null and not SeasonStatuses.Archived)
        {
            errors["status"] = ["status can only be set to archived (a finished season); use activate to start one."];
        }

        if (this is { Label: null, Genre: null, TotalSlots: null, SlotDurationSeconds: null, Status: null })
        {
            errors["body"] = ["Nothing to change."];
        }
    }
}

internal static class SeasonRules
{
    public const int MaxSlots = 1000;

    /// <summary>30 days.</summary>
    public const int MaxSlotDurationSeconds = 2_592_000;

    public static void CheckLabel(string? label, Dictionary<string, string[]> errors)
    {
        if (string.IsNullOrWhiteSpace(label) || label.Length > 200)
        {
            errors["label"] = ["label is required, at most 200 characters."];
        }
    }

    public static void CheckGenre(string? genre, Dictionary<string, string[]> errors)
    {
        if (Genres.Canonical(genre) is null)
        {
            errors["genre"] = ["genre must be one of " + string.Join(", ", Genres.All) + "."];
        }
    }

    public static void CheckTotalSlots(int? totalSlots, Dictionary<string, string[]> errors)
    {
        if (totalSlots is < 1 or > MaxSlots)
        {
            errors["totalSlots"] = [$"totalSlots must be between 1 and {MaxSlots}."];
        }
    }

    public static void CheckSlotDuration(int? seconds, Dictionary<string, string[]> errors)
    {
        if (seconds is < 1 or > MaxSlotDurationSeconds)
        {
            errors["slotDurationSeconds"] = [$"slotDurationSeconds must be between 1 and {MaxSlotDurationSeconds}."];
        }
    }
}
