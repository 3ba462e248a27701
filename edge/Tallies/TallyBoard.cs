using System.Collections.Concurrent;
using AiMoviez.Contracts;

namespace AiMoviez.Edge.Tallies;

/// <summary>The newest tally the aggregator published for each season's slot, kept in memory.</summary>
internal sealed class TallyBoard
{
    private readonly ConcurrentDictionary<(Guid Season, int Slot), SlotTally> _tallies = new();

    public void Offer(SlotTally tally) =>
        _tallies.AddOrUpdate((tally.SeasonId, tally.SlotPosition), tally,
            (_, held) => tally.AsOf >= held.AsOf ? tally : held);

    public SlotTally? Find(Guid seasonId, int slot) => _tallies.GetValueOrDefault((seasonId, slot));

    /// <summary>
    /// The season's current slot counts: clips from the catalog (0 until tallied), highest weighted score first.
    /// Null when the season has no current slot.
    /// </summary>
    public TalliesResponse? Current(SeasonSnapshot season, DateTimeOffset catalogTime)
    {
        if (season.CurrentSlot is not { } slot)
        {
            return null;
        }

        var tally = Find(season.Id, slot.Position);
        var counts = tally?.Clips.ToDictionary(c => c.ClipId) ?? [];
        var clips = season.Clips
            .Select(c => counts.TryGetValue(c.Id, out var t) ? new ClipCount(c.Id, t.Votes, t.WeightedScore) : new ClipCount(c.Id, 0, 0))
            .OrderByDescending(c => c.WeightedScore).ThenByDescending(c => c.Votes).ThenBy(c => c.ClipId)
            .ToList();
        return new TalliesResponse(season.Id, slot.Position, slot.VotingEndsAt, tally?.AsOf ?? catalogTime, true, clips);
    }
}
