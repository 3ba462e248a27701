using System.Buffers.Text;
using System.Text.Json;

namespace AiMoviez.Core.Infrastructure;

/// <summary>Opaque keyset cursors: base64url JSON of the last row's sort key.</summary>
internal static class Cursor
{
    public static string Encode<T>(T position) => Base64Url.EncodeToString(JsonSerializer.SerializeToUtf8Bytes(position));

    /// <summary>False when the text is not a cursor this API issued.</summary>
    public static bool TryDecode<T>(string? text, out T? position) where T : class
    {
        position = null;
        if (string.IsNullOrEmpty(text))
        {
            return true;
        }

        try
        {
            position = JsonSerializer.Deserialize<T>(Base64Url.DecodeFromChars(text));
            return position is not null;
        }
        catch (Exception e) when (e is FormatException or JsonException)
        {
            return false;
        }
    }
}

/// <summary>A page of a keyset listing.</summary>
internal sealed record Page<T>(IReadOnlyList<T> Items, string? NextCursor);
