using AiMoviez.Contracts;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AiMoviez.Edge.Infrastructure;

/// <summary>RFC 9457 problem responses carrying the contract's <c>code</c> (CONTRACT.md section 3).</summary>
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
        [ErrorCodes.RateLimited] = (429, "Too many votes."),
        [ErrorCodes.DailyLimit] = (429, "Daily vote limit reached."),
        [ErrorCodes.VotingDisabled] = (503, "Voting is disabled."),
        [ErrorCodes.DependencyUnavailable] = (503, "A dependency is unavailable."),
    };

    public static ProblemHttpResult For(string code, string detail, IDictionary<string, object?>? extensions = null)
    {
        var (status, title) = Codes[code];
        var members = new Dictionary<string, object?>(extensions ?? new Dictionary<string, object?>()) { ["code"] = code };
        return TypedResults.Problem(detail: detail, statusCode: status, title: title, type: "about:blank", extensions: members);
    }

    /// <summary>The code for responses the framework produces itself (unknown route, wrong method, oversized body, crash).</summary>
    public static string CodeForStatus(int status) => status switch
    {
        401 => ErrorCodes.AuthRequired,
        403 => ErrorCodes.Forbidden,
        404 => ErrorCodes.NotFound,
        409 => ErrorCodes.Conflict,
        413 => ErrorCodes.PayloadTooLarge,
        429 => ErrorCodes.RateLimited,
        >= 500 => ErrorCodes.DependencyUnavailable,
        _ => ErrorCodes.InvalidRequest,
    };

    /// <summary>Fills in what framework-made problems lack: code, type and a detail.</summary>
    public static void Complete(ProblemDetailsContext context)
    {
        var problem = context.ProblemDetails;
        var status = problem.Status ?? context.HttpContext.Response.StatusCode;
        problem.Extensions.Remove("traceId");
        if (!problem.Extensions.ContainsKey("code"))
        {
            var code = CodeForStatus(status);
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
