using System.Collections.Concurrent;
using AiMoviez.Contracts;

namespace AiMoviez.Aggregator.Republish;

/// <summary>The latest slot of every season the aggregator has counts for, and its shard: what the periodic republish covers.</summary>
internal sealed class KnownSlots
{
    private readonly ConcurrentDictionary<Guid, (string Shard, int Slot)> _latest = new();

    public void Observe(string shard, Guid seasonId, int slotPosition) =>
        _latest.AddOrUpdate(seasonId, (shard, slotPosition), (_, known) => slotPosition > known.Slot ? (shard, slotPosition) : known);

    public void Observe(string shard, IEnumerable<SlotTally> tallies)
    {
        foreach (var tally in tallies)
        {
            Observe(shard, tally.SeasonId, tally.SlotPosition);
        }
    }

    public int? LatestSlot(Guid seasonId) => _latest.TryGetValue(seasonId, out var known) ? known.Slot : null;

    public IEnumerable<(Guid SeasonId, int SlotPosition)> OfShard(string shard) =>
        _latest.Where(s => s.Value.Shard == shard).Select(s => (s.Key, s.Value.Slot));
}
