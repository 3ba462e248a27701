using AiMoviez.Core.Data;

namespace AiMoviez.Core.Slots;

/// <summary>A slot's counts per clip, read from the shard that holds its season.</summary>
internal sealed class SlotTallies(ShardDatabases shards)
{
    public async Task<Dictionary<Guid, (long Votes, long WeightedScore)>> ReadAsync(
        int seasonNumber, Guid seasonId, int position, CancellationToken ct)
    {
        await using var command = shards.ForSeason(seasonNumber).CreateCommand(
            "select clip_id, votes, weighted_score from tallies where season_id = $1 and slot_position = $2");
        command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = seasonId });
        command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = position });
        var tallies = new Dictionary<Guid, (long, long)>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            tallies[reader.Get<Guid>("clip_id")] = (reader.Get<long>("votes"), reader.Get<long>("weighted_score"));
        }

        return tallies;
    }

    /// <summary>The candidates with their counts (0 for a clip with no tally row).</summary>
    public static List<Candidate> Apply(IReadOnlyList<Candidate> candidates, Dictionary<Guid, (long Votes, long WeightedScore)> tallies) =>
        candidates.Select(c => tallies.TryGetValue(c.ClipId, out var t) ? c with { Votes = t.Votes, WeightedScore = t.WeightedScore } : c).ToList();
}
