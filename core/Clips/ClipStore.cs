using AiMoviez.Core.Data;

namespace AiMoviez.Core.Clips;

/// <summary>Changes to clips outside moderation.</summary>
internal static class ClipStore
{
    /// <summary>Sets the fields given (null leaves one as it is); false when there is no such clip.</summary>
    public static async Task<bool> UpdateMetadataAsync(
        CatalogTransaction tx, Guid id, string? title, string? genre, string? thumbnailUrl, CancellationToken ct) =>
        await tx.ExecuteAsync("""
            update clips set title = coalesce($2, title), genre = coalesce($3, genre), thumbnail_url = coalesce($4, thumbnail_url)
            where id = $1
            """, ct, id, title, genre, thumbnailUrl) == 1;
}
