using System.Diagnostics.CodeAnalysis;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AiMoviez.Core.Infrastructure;

/// <summary>
/// The page a keyset listing is asked for: after which row (its decoded <see cref="Cursor"/>; null for the first page)
/// and how many rows. Every keyset-paged endpoint validates <c>cursor</c> and <c>limit</c> here, with one message each.
/// </summary>
internal sealed record PageRequest<TPosition>(TPosition? After, int Take) where TPosition : class
{
    /// <summary>The most rows a page may ask for.</summary>
    public const int MaxLimit = 100;

    /// <param name="defaultLimit">The rows of a page when <paramref name="limit"/> is not given.</param>
    /// <param name="problem">400 <c>INVALID_REQUEST</c> for a limit out of range or a cursor this API did not issue.</param>
    public static bool TryParse(string? cursor, int? limit, int defaultLimit, [NotNullWhen(true)] out PageRequest<TPosition>? page,
        [NotNullWhen(false)] out ProblemHttpResult? problem)
    {
        page = null;
        problem = null;
        if (limit is < 1 or > MaxLimit)
        {
            problem = Problems.Invalid($"limit must be between 1 and {MaxLimit}.");
            return false;
        }

        if (!Cursor.TryDecode<TPosition>(cursor, out var after))
        {
            problem = Problems.Invalid("cursor is not valid.");
            return false;
        }

        page = new PageRequest<TPosition>(after, limit ?? defaultLimit);
        return true;
    }
}
