using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;
using NATS.Client.Core;
using Npgsql;

namespace AiMoviez.Core.Infrastructure;

/// <summary>Turns every unhandled exception into problem+json without stack traces, SQL or host names.</summary>
public sealed class ProblemExceptionHandler(IProblemDetailsService problems, ILogger<ProblemExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        var (status, title, detail) = exception switch
        {
            BadHttpRequestException bad => (bad.StatusCode, "Invalid request",
                bad.StatusCode == StatusCodes.Status413PayloadTooLarge ? "The request body is too large." : "The request could not be read."),
            NpgsqlException or NatsException or TimeoutException or HttpRequestException =>
                (StatusCodes.Status503ServiceUnavailable, "Dependency unavailable", "A dependency did not answer; try again."),
            _ => (StatusCodes.Status500InternalServerError, "Internal error", "The request failed unexpectedly."),
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
            ProblemDetails = new ProblemDetails
            {
                Status = status,
                Title = title,
                Detail = detail,
                Extensions = { ["code"] = Problems.CodeFor(status) },
            },
        });
    }
}
