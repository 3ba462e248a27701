using AiMoviez.Contracts;
using AiMoviez.Edge.Catalog;
using AiMoviez.Edge.Identity;
using AiMoviez.Edge.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AiMoviez.Edge.Votes;

internal static class VotesApi
{
    private const int MaxIdempotencyKeyLength = 128;

    private static readonly (string Code, string Detail) BadToken = (ErrorCodes.AuthRequired, "The bearer token is not valid.");

    public static IEndpointRouteBuilder MapVotesApi(this IEndpointRouteBuilder app)
    {
        var votes = app.MapGroup("/v1/votes");
        votes.MapPost("", CastAsync);
        votes.MapDelete("/{clipId}", RevokeAsync);
        votes.MapGet("/{voteId}", GetReceiptAsync);
        return app;
    }

    public static async Task<Results<Accepted<VoteAccepted>, ProblemHttpResult>> CastAsync(
        HttpContext context, VoteCaster caster, EdgeTelemetry telemetry, CatalogStore catalog,
        CancellationToken cancellationToken)
    {
        // A bad token is refused like a bad body: counted in the rate windows, against the device the caller is.
        var voter = Voter.From(context);
        var body = await JsonBody.ReadAsync(context.Request, EdgeJson.Default.VoteRequest, cancellationToken);
        var idempotencyKey = context.Request.Headers["Idempotency-Key"].ToString();
        var invalid = voter is null ? BadToken
            : body.Code is { } code ? (code, body.Detail!)
            : Validate(body.Value!, idempotencyKey) is { } detail ? (ErrorCodes.InvalidRequest, detail)
            : ((string, string)?)null;
        // Not cancelled with the request once read: a vote is either published or its reservation undone. A refused
        // request goes to the caster too, as it counts in the rate windows.
        var captchaToken = context.Request.Headers["X-Captcha-Token"].ToString();
        var outcome = await caster.CastAsync(voter ?? Voter.Device(context), body.Value, invalid,
            idempotencyKey.Length > 0 ? idempotencyKey : null, captchaToken.Length > 0 ? captchaToken : null);
        outcome.RateLimit.WriteTo(context.Response);
        telemetry.VoteAnswered(outcome, catalog.Current, body.Value?.ClipId);
        return outcome.Accepted is { } accepted
            ? TypedResults.Accepted($"/v1/votes/{accepted.VoteId}", accepted)
            : Problems.For(outcome.Code!, outcome.Detail);
    }

    public static async Task<Results<Accepted<VoteRevokeAccepted>, ProblemHttpResult>> RevokeAsync(
        string clipId, HttpContext context, VoteCaster caster)
    {
        var voter = Voter.From(context);
        Guid? clip = Guid.TryParse(clipId, out var id) ? id : null;
        var outcome = await caster.RevokeAsync(voter ?? Voter.Device(context), clip, voter is null ? BadToken : null);
        outcome.RateLimit.WriteTo(context.Response);
        return outcome.Code is null
            ? TypedResults.Accepted((string?)null, new VoteRevokeAccepted(clip!.Value, VoteStatuses.Revoked))
            : Problems.For(outcome.Code, outcome.Detail);
    }

    public static async Task<Results<Ok<VoteReceipt>, ProblemHttpResult>> GetReceiptAsync(string voteId, VoteLedger ledger)
    {
        if (!Guid.TryParse(voteId, out var id))
        {
            return Problems.For(ErrorCodes.InvalidRequest, "voteId must be a UUID.");
        }

        try
        {
            return await ledger.ReceiptAsync(id) is { } receipt
                ? TypedResults.Ok(new VoteReceipt(id, receipt.Status, receipt.Reason))
                : Problems.For(ErrorCodes.NotFound, "No vote has this id.");
        }
        catch (Exception e) when (e is StackExchange.Redis.RedisException or TimeoutException)
        {
            return Problems.For(ErrorCodes.DependencyUnavailable, "The vote store is not answering.");
        }
    }

    private static string? Validate(VoteRequest request, string idempotencyKey)
    {
        if (request.ClipId is null || !Guid.TryParse(request.ClipId, out _))
        {
            return "clipId must be a UUID.";
        }

        if (request.VoteType is not null && !VoteTypes.IsKnown(request.VoteType))
        {
            return "voteType must be standard, super or mega.";
        }

        return idempotencyKey.Length > MaxIdempotencyKeyLength
            ? $"Idempotency-Key may be at most {MaxIdempotencyKeyLength} characters."
            : null;
    }
}
