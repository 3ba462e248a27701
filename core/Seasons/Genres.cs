using AiMoviez.Contracts;

namespace AiMoviez.Core.Seasons;

/// <summary>DOMAIN.md's genres; input is matched case-insensitively and stored in this spelling.</summary>
internal static class Genres
{
    public static IReadOnlyList<string> All => GenreVoting.Genres;

    public static string? Canonical(string? genre) => GenreVoting.Canonical(genre);
}
