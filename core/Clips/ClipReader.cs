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
            clips.Add(new ClipResponse(reader.GetGuid(0), reader.GetGuid(1), reader.GetGuid(2), reader.GetString(3), reader.GetString(4),
                reader.GetString(5), reader.GetNullableString(6), (double)reader.GetDecimal(7), reader.GetString(8),
                reader.GetNullableInt32(9), reader.GetDateTime(10), reader.GetNullableDateTime(11)));
        }

        return clips;
    }
}
