using AiMoviez.Core.Data;
using Npgsql;

namespace AiMoviez.Core.Seasons;

/// <summary>Reads seasons with their slots, inside a change's transaction or on their own.</summary>
internal static class SeasonReader
{
    private const string SeasonColumns =
        "id, number, label, genre, status, total_slots, slot_duration_seconds, created_at, activated_at";

    private const string SlotsQuery = """
        select sl.season_id, sl.position, sl.status, sl.voting_ends_at, sl.winner_clip_id,
               c.title, c.creator_id, c.video_url, c.thumbnail_url, sl.winner_votes, sl.winner_weighted_score
        from slots sl left join clips c on c.id = sl.winner_clip_id and sl.status = 'locked'
        """;

    public static async Task<SeasonResponse?> ReadAsync(CatalogTransaction tx, Guid id, CancellationToken ct)
    {
        await using var command = tx.Command($"select {SeasonColumns} from seasons where id = $1", id);
        var seasons = await ReadSeasonsAsync(command, ct);
        if (seasons.Count == 0)
        {
            return null;
        }

        await using var slots = tx.Command($"{SlotsQuery} where sl.season_id = $1 order by sl.position", id);
        return (await AttachSlotsAsync(seasons, slots, ct))[0];
    }

    public static async Task<SeasonResponse?> ReadAsync(CatalogDatabase catalog, Guid id, CancellationToken ct)
    {
        await using var tx = await catalog.BeginAsync(ct);
        return await ReadAsync(tx, id, ct);
    }

    public static async Task<IReadOnlyList<SeasonResponse>> ListAsync(CatalogDatabase catalog, CancellationToken ct)
    {
        await using var tx = await catalog.BeginAsync(ct);
        await using var command = tx.Command($"select {SeasonColumns} from seasons order by number desc");
        var seasons = await ReadSeasonsAsync(command, ct);
        await using var slots = tx.Command($"{SlotsQuery} order by sl.season_id, sl.position");
        return await AttachSlotsAsync(seasons, slots, ct);
    }

    private static async Task<List<SeasonResponse>> ReadSeasonsAsync(NpgsqlCommand command, CancellationToken ct)
    {
        var seasons = new List<SeasonResponse>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            seasons.Add(new SeasonResponse(reader.Get<Guid>("id"), reader.Get<int>("number"), reader.Get<string>("label"),
                reader.Get<string>("genre"), reader.Get<string>("status"), reader.Get<int>("total_slots"), reader.Get<int>("slot_duration_seconds"),
                reader.Get<DateTime>("created_at"), reader.Get<DateTime?>("activated_at"), []));
        }

        return seasons;
    }

    private static async Task<IReadOnlyList<SeasonResponse>> AttachSlotsAsync(List<SeasonResponse> seasons, NpgsqlCommand slotsCommand, CancellationToken ct)
    {
        var slots = new Dictionary<Guid, List<SlotResponse>>();
        await using (var reader = await slotsCommand.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                var seasonId = reader.Get<Guid>("season_id");
                if (!slots.TryGetValue(seasonId, out var list))
                {
                    slots[seasonId] = list = [];
                }

                var winnerClipId = reader.Get<Guid?>("winner_clip_id");
                var winner = reader.GetOrNull<string>("title") is { } title
                    ? new SlotWinner(winnerClipId!.Value, title, reader.Get<Guid>("creator_id"), reader.Get<string>("video_url"),
                        reader.GetOrNull<string>("thumbnail_url"), reader.Get<long?>("winner_votes"), reader.Get<long?>("winner_weighted_score"))
                    : null;
                list.Add(new SlotResponse(reader.Get<int>("position"), reader.Get<string>("status"), reader.Get<DateTime?>("voting_ends_at"),
                    winnerClipId, winner));
            }
        }

        return seasons.Select(s => s with { Slots = slots.GetValueOrDefault(s.Id) ?? [] }).ToList();
    }
}
