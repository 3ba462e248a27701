namespace AiMoviez.Core.Infrastructure;

/// <summary>A request body that checks its own fields (<see cref="RequestValidation.WithRequestValidation{T}"/>).</summary>
internal interface IValidatedRequest
{
    /// <summary>The detail of the 400 problem when <see cref="Validate"/> finds errors.</summary>
    static abstract string InvalidDetail { get; }

    /// <summary>
    /// The detail of a 400 without field errors when the body as a whole is refused (an edit naming no field), else null;
    /// asked before <see cref="Validate"/>.
    /// </summary>
    string? WholeBodyProblem => null;

    /// <summary>Adds one entry per invalid field (camelCase name, messages).</summary>
    void Validate(Dictionary<string, string[]> errors);
}

internal static class RequestValidation
{
    /// <summary>
    /// Answers 400 <c>INVALID_REQUEST</c> with the body's field errors before the handler runs, so a handler sees only a
    /// valid body: one validation path and one error shape for every endpoint whose body checks itself.
    /// </summary>
    public static RouteHandlerBuilder WithRequestValidation<T>(this RouteHandlerBuilder builder) where T : IValidatedRequest =>
        builder.AddEndpointFilter(async (context, next) =>
        {
            if (context.Arguments.OfType<T>().FirstOrDefault() is { } request)
            {
                if (request.WholeBodyProblem is { } detail)
                {
                    return Problems.Invalid(detail);
                }

                var errors = new Dictionary<string, string[]>();
                request.Validate(errors);
                if (errors.Count > 0)
                {
                    return Problems.Invalid(T.InvalidDetail, errors);
                }
            }

            return await next(context);
        });
}
