using System.Data.Common;
using System.Net.Sockets;
using AiMoviez.Contracts;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Logging;
using NATS.Client.Core;

namespace AiMoviez.ServiceDefaults;

/// <summary>
/// Tells a dependency's failure apart from a fault of ours: a service registers one for each client library whose
/// exceptions are not among the ones every service shares (databases, NATS, timeouts, HTTP, sockets).
/// </summary>
public sealed record DependencyFailure(Func<Exception, bool> Matches);

/// <summary>
/// Every unhandled exception as problem+json, without stack traces, SQL or host names: an unreadable request is its 4xx,
/// a dependency that failed 503 DEPENDENCY_UNAVAILABLE, anything else 500 INTERNAL_ERROR.
/// </summary>
public sealed class ProblemExceptionHandler(IProblemDetailsService problems, IEnumerable<DependencyFailure> dependencyFailures,
    ILogger<ProblemExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        var (status, code, detail) = exception switch
        {
            BadHttpRequestException bad => (bad.StatusCode, Problems.CodeForStatus(bad.StatusCode),
                bad.StatusCode == StatusCodes.Status413PayloadTooLarge ? "The request body is too large." : "The request could not be read."),
            _ when IsDependencyFailure(exception) =>
                (StatusCodes.Status503ServiceUnavailable, ErrorCodes.DependencyUnavailable, "A dependency did not answer; try again."),
            _ => (StatusCodes.Status500InternalServerError, ErrorCodes.InternalError, "The request failed unexpectedly."),
        };
        if (status >= 500)
        {
            logger.LogError(exception, "Request {Method} {Path} failed", httpContext.Request.Method, httpContext.Request.Path);
        }

        httpContext.Response.StatusCode = status;
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            Exception = exception,
            ProblemDetails = new ProblemDetails { Status = status, Detail = detail, Extensions = { ["code"] = code } },
        });
    }

    private bool IsDependencyFailure(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is DbException or NatsException or TimeoutException or HttpRequestException or SocketException
                || dependencyFailures.Any(f => f.Matches(e)))
            {
                return true;
            }
        }

        return false;
    }
}
