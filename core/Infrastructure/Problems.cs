using AiMoviez.Contracts;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AiMoviez.Core.Infrastructure;

/// <summary>problem+json results carrying the contract's `code` member.</summary>
public static class Problems
{
    public static ProblemHttpResult Invalid(string detail, IDictionary<string, string[]>? errors = null)
    {
        var extensions = new Dictionary<string, object?> { ["code"] = ErrorCodes.InvalidRequest };
        if (errors is { Count: > 0 })
        {
            extensions["errors"] = errors;
        }

        return TypedResults.Problem(detail, statusCode: StatusCodes.Status400BadRequest, title: "Invalid request", extensions: extensions);
    }

    public static ProblemHttpResult NotFound(string detail, string code = ErrorCodes.NotFound) =>
        Create(StatusCodes.Status404NotFound, "Not found", detail, code);

    public static ProblemHttpResult ClipNotFound(Guid clipId) =>
        NotFound($"Clip {clipId} does not exist.", ErrorCodes.ClipNotFound);

    public static ProblemHttpResult Conflict(string detail) =>
        Create(StatusCodes.Status409Conflict, "Conflict", detail, ErrorCodes.Conflict);

    public static ProblemHttpResult Unavailable(string detail) =>
        Create(StatusCodes.Status503ServiceUnavailable, "Dependency unavailable", detail, ErrorCodes.DependencyUnavailable);

    public static ProblemHttpResult Create(int status, string title, string detail, string code) =>
        TypedResults.Problem(detail, statusCode: status, title: title,
            extensions: new Dictionary<string, object?> { ["code"] = code });

    /// <summary>The code for a status no endpoint chose one for (unknown route, 405, framework 400s).</summary>
    public static string CodeFor(int status) => status switch
    {
        StatusCodes.Status401Unauthorized => ErrorCodes.AuthRequired,
        StatusCodes.Status403Forbidden => ErrorCodes.Forbidden,
        StatusCodes.Status404NotFound => ErrorCodes.NotFound,
        StatusCodes.Status409Conflict => ErrorCodes.Conflict,
        StatusCodes.Status413PayloadTooLarge => ErrorCodes.PayloadTooLarge,
        StatusCodes.Status429TooManyRequests => ErrorCodes.RateLimited,
        StatusCodes.Status503ServiceUnavailable => ErrorCodes.DependencyUnavailable,
        // The contract has no code for server faults; INTERNAL_ERROR is the honest one.
        >= 500 => "INTERNAL_ERROR",
        // 405, 406, 415 and other client errors are all a request the API cannot take.
        _ => ErrorCodes.InvalidRequest,
    };
}
