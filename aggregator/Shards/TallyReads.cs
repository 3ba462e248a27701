using AiMoviez.Contracts;
using Npgsql;

namespace AiMoviez.Aggregator.Shards;

/// <summary>The shard's tallies and genre counts as the regions receive them: read after each batch and by the republisher.</summary>
internal static class TallyReads
{
    public const string ReadTallies = """
        select t.season_id, t.slot_position, t.clip_id, t.votes, t.weighted_score, coalesce(cv.views, 0) as views
        from tallies t
        join unnest($1::uuid[], $2::int[]) as k(season_id, slot_position) on t.season_id = k.season_id and t.slot_position = k.slot_position
        left join clip_views cv on cv.season_id = t.season_id and cv.clip_id = t.clip_id
        order by t.season_id, t.slot_position, t.weighted_score desc, t.votes desc, t.clip_id
        """;

    /// <summary>The genre vote's counts per genre.</summary>
    public const string ReadGenreCounts = "select genre, votes from genre_counts";

    /// <summary>Reads rows of <see cref="ReadTallies"/> into one tally per asked slot (empty when it has no counts).</summary>
    /// <param name="asOf">Taken before the read, so the tally is never newer than it says.</param>
    public static async Task<List<SlotTally>> ReadSlotTalliesAsync(NpgsqlDataReader reader,
        IEnumerable<(Guid SeasonId, int SlotPosition)> slots, DateTimeOffset asOf, CancellationToken cancellationToken)
    {
        var clips = slots.ToDictionary(s => s, _ => new List<ClipTally>());
        while (await reader.ReadAsync(cancellationToken))
        {
            clips[(reader.Get<Guid>("season_id"), reader.Get<int>("slot_position"))].Add(new ClipTally(
                reader.Get<Guid>("clip_id"), reader.Get<long>("votes"), reader.Get<long>("weighted_score"), reader.Get<long>("views")));
        }

        return clips.Select(c => new SlotTally { SeasonId = c.Key.SeasonId, SlotPosition = c.Key.SlotPosition, AsOf = asOf, Clips = c.Value }).ToList();
    }

    /// <summary>Reads the rows of <see cref="ReadGenreCounts"/>.</summary>
    public static async Task<Dictionary<string, long>> ReadGenreCountsAsync(NpgsqlDataReader reader, CancellationToken cancellationToken)
    {
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        while (await reader.ReadAsync(cancellationToken))
        {
            counts[reader.Get<string>("genre")] = reader.Get<long>("votes");
        }

        return counts;
    }
}
