using AiMoviez.Contracts;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AiMoviez.ServiceDefaults;

/// <summary>
/// RFC 9457 problem responses carrying the contract's <c>code</c> (CONTRACT.md section 3), from one table of codes, for
/// the responses handlers choose and for those the framework makes itself (unknown route, wrong method, crash).
/// </summary>
public static class Problems
{
    private static readonly Dictionary<string, (int Status, string Title)> Codes = new()
    {
        [ErrorCodes.InvalidRequest] = (400, "The request is invalid."),
        [ErrorCodes.AuthRequired] = (401, "Authentication is required."),
        [ErrorCodes.Forbidden] = (403, "Forbidden."),
        [ErrorCodes.VoterBanned] = (403, "This voter is banned."),
        [ErrorCodes.CaptchaRequired] = (403, "A valid captcha token is required."),
        [ErrorCodes.NotFound] = (404, "Not found."),
        [ErrorCodes.ClipNotFound] = (404, "Clip not found."),
        [ErrorCodes.AlreadyVoted] = (409, "Already voted for this clip."),
        [ErrorCodes.Conflict] = (409, "Conflict."),
        [ErrorCodes.PayloadTooLarge] = (413, "The request body is too large."),
        [ErrorCodes.ClipNotVotable] = (422, "The clip is not open for voting."),
        [ErrorCodes.VotingClosed] = (422, "Voting for this slot has closed."),
        [ErrorCodes.SlotLimit] = (422, "Vote type already used in this slot."),
        [ErrorCodes.RateLimited] = (429, "Too many requests."),
        [ErrorCodes.DailyLimit] = (429, "Daily vote limit reached."),
        [ErrorCodes.InternalError] = (500, "Internal error."),
        [ErrorCodes.VotingDisabled] = (503, "Voting is disabled."),
        [ErrorCodes.DependencyUnavailable] = (503, "A dependency is unavailable."),
    };

    public static ProblemHttpResult For(string code, string detail, IDictionary<string, object?>? extensions = null)
    {
        var (status, title) = Codes[code];
        var members = new Dictionary<string, object?>(extensions ?? new Dictionary<string, object?>()) { ["code"] = code };
        return TypedResults.Problem(detail: detail, statusCode: status, title: title, type: "about:blank", extensions: members);
    }

    public static int StatusFor(string code) => Codes[code].Status;

    /// <summary>400 INVALID_REQUEST, with the invalid members by name when there are any.</summary>
    public static ProblemHttpResult Invalid(string detail, IDictionary<string, string[]>? errors = null) =>
        For(ErrorCodes.InvalidRequest, detail, errors is { Count: > 0 } ? new Dictionary<string, object?> { ["errors"] = errors } : null);

    public static ProblemHttpResult NotFound(string detail, string code = ErrorCodes.NotFound) => For(code, detail);

    public static ProblemHttpResult Conflict(string detail) => For(ErrorCodes.Conflict, detail);

    public static ProblemHttpResult Forbidden(string detail) => For(ErrorCodes.Forbidden, detail);

    public static ProblemHttpResult Unavailable(string detail) => For(ErrorCodes.DependencyUnavailable, detail);

    /// <summary>The code for a response no handler chose one for.</summary>
    public static string CodeForStatus(int status) => status switch
    {
        401 => ErrorCodes.AuthRequired,
        403 => ErrorCodes.Forbidden,
        404 => ErrorCodes.NotFound,
        409 => ErrorCodes.Conflict,
        413 => ErrorCodes.PayloadTooLarge,
        429 => ErrorCodes.RateLimited,
        503 => ErrorCodes.DependencyUnavailable,
        >= 500 => ErrorCodes.InternalError,
        // 405, 406, 415 and other client errors are all a request the API cannot take.
        _ => ErrorCodes.InvalidRequest,
    };

    /// <summary>Fills in what framework-made problems lack: code, type, title and a detail.</summary>
    public static void Complete(Microsoft.AspNetCore.Http.ProblemDetailsContext context)
    {
        var problem = context.ProblemDetails;
        var status = problem.Status ?? context.HttpContext.Response.StatusCode;
        problem.Extensions.Remove("traceId");
        if (problem.Extensions.TryGetValue("code", out var chosen) && chosen is string code && Codes.ContainsKey(code))
        {
            problem.Title ??= Codes[code].Title;
        }
        else
        {
            code = CodeForStatus(status);
            problem.Extensions["code"] = code;
            problem.Title ??= Codes[code].Title;
        }

        problem.Type = "about:blank";
        problem.Detail ??= status switch
        {
            404 => "No resource at this address.",
            405 => $"Method {context.HttpContext.Request.Method} is not allowed here.",
            413 => "The request body is too large.",
            >= 500 => "The service could not complete the request; try again.",
            _ => problem.Title,
        };
    }
}
