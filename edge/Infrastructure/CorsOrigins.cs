namespace AiMoviez.Edge.Infrastructure;

/// <summary>Matches browser origins against configured patterns; <c>http://localhost:*</c> allows any port.</summary>
public static class CorsOrigins
{
    public static bool IsAllowed(IEnumerable<string> patterns, string origin)
    {
        foreach (var pattern in patterns)
        {
            if (string.Equals(pattern, origin, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }

            if (pattern.EndsWith(":*", StringComparison.Ordinal)
                && origin.StartsWith(pattern[..^1], StringComparison.OrdinalIgnoreCase)
                && int.TryParse(origin.AsSpan(pattern.Length - 1), out var port) && port is > 0 and < 65536)
            {
                return true;
            }
        }

        return false;
    }
}
