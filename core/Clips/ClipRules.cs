namespace AiMoviez.Core.Clips;

/// <summary>What a clip's fields may hold, for creators' submissions and admins' edits alike.</summary>
internal static class ClipRules
{
    public const int MaxTitleLength = 200;

    public static void CheckTitle(string? title, Dictionary<string, string[]> errors)
    {
        if (string.IsNullOrWhiteSpace(title) || title.Length > MaxTitleLength)
        {
            errors["title"] = [$"title is required, at most {MaxTitleLength} characters."];
        }
    }

    public static void CheckThumbnailUrl(string? url, Dictionary<string, string[]> errors)
    {
        if (!IsMediaUrl(url, required: false))
        {
            errors["thumbnailUrl"] = ["thumbnailUrl must be an https URL or a relative path."];
        }
    }

    /// <summary>https://host/... or a relative path like /media/a.mp4 or media/a.mp4; no other scheme, no protocol-relative URL.</summary>
    public static bool IsMediaUrl(string? url, bool required)
    {
        if (string.IsNullOrWhiteSpace(url))
        {
            return !required && url is null;
        }

        if (url.Length > 2048 || url.Any(char.IsWhiteSpace) || url.StartsWith("//", StringComparison.Ordinal))
        {
            return false;
        }

        if (Uri.TryCreate(url, UriKind.Absolute, out var absolute) && !url.StartsWith('/'))
        {
            return absolute.Scheme == Uri.UriSchemeHttps && !string.IsNullOrEmpty(absolute.Host);
        }

        return Uri.TryCreate(url, UriKind.Relative, out _) && !url.Contains(':', StringComparison.Ordinal);
    }
}
