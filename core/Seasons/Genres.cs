namespace AiMoviez.Core.Seasons;

/// <summary>DOMAIN.md's genres; input is matched case-insensitively and stored in this spelling.</summary>
public static class Genres
{
    public static readonly IReadOnlyList<string> All = ["Thriller", "Comedy", "Action", "Sci-Fi", "Romance", "Animation", "Horror"];

    public static string? Canonical(string? genre) =>
        All.FirstOrDefault(g => string.Equals(g, genre?.Trim(), StringComparison.OrdinalIgnoreCase));
}
