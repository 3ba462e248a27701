using AiMoviez.Contracts;
using AiMoviez.Edge.Catalog;

namespace AiMoviez.Edge.Tallies;

internal sealed record TalliesResponse(
    Guid SeasonId,
    int SlotPosition,
    DateTimeOffset? VotingEndsAt,
    DateTimeOffset AsOf,
    bool Approximate,
    IReadOnlyList<ClipCount> Clips);

internal sealed record ClipCount(Guid ClipId, long Votes, long WeightedScore);

/// <summary>
/// The SSE <c>slot</c> event: the slot that locked last and its winner, and the slot open now (null when none is, as after
/// the season's last slot). <c>SeasonStatus</c> is null when the season is no longer in the catalog (deleted, archived).
/// </summary>
internal sealed record SlotChanged(Guid SeasonId, int? ClosedPosition, Guid? WinnerClipId, int? SlotPosition, DateTimeOffset? VotingEndsAt,
    string? SeasonStatus)
{
    public static SlotChanged Of(CatalogView view, Guid seasonId)
    {
        if (view.Season(seasonId) is { } season)
        {
            return new SlotChanged(seasonId, season.LastLockedSlot?.Position, season.LastLockedSlot?.WinnerClipId,
                season.CurrentSlot?.Position, season.CurrentSlot?.VotingEndsAt, SeasonStatuses.Active);
        }

        var finished = view.Snapshot.FinishedSeasons.FirstOrDefault(s => s.Id == seasonId);
        return new SlotChanged(seasonId, finished?.LastLockedSlot.Position, finished?.LastLockedSlot.WinnerClipId, null, null,
            finished is null ? null : SeasonStatuses.Finished);
    }
}
