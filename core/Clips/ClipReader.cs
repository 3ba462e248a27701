using AiMoviez.Core.Data;
using Npgsql;

namespace AiMoviez.Core.Clips;

internal static class ClipReader
{
    public const string Columns =
        "id, season_id, creator_id, title, genre, video_url, thumbnail_url, duration_seconds, status, slot_position, created_at, approved_at";

    public static async Task<ClipResponse?> ReadAsync(CatalogTransaction tx, Guid id, CancellationToken ct)
    {
        await using var command = tx.Command($"select {Columns} from clips where id = $1", id);
        return (await ReadAllAsync(command, ct)).FirstOrDefault();
    }

    public static async Task<List<ClipResponse>> ReadAllAsync(NpgsqlCommand command, CancellationToken ct)
    {
        var clips = new List<ClipResponse>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            clips.Add(new ClipResponse(reader.Get<Guid>("id"), reader.Get<Guid>("season_id"), reader.Get<Guid>("creator_id"),
                reader.Get<string>("title"), reader.Get<string>("genre"), reader.Get<string>("video_url"), reader.GetOrNull<string>("thumbnail_url"),
                (double)reader.Get<decimal>("duration_seconds"), reader.Get<string>("status"), reader.Get<int?>("slot_position"),
                reader.Get<DateTime>("created_at"), reader.Get<DateTime?>("approved_at")));
        }

        return clips;
    }
}
