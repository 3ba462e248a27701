using AiMoviez.Contracts;
using AiMoviez.Edge.Identity;
using AiMoviez.Edge.Infrastructure;
using AiMoviez.Edge.Votes;
using AiMoviez.ServiceDefaults;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AiMoviez.Edge.Genres;

internal static class GenreVoteApi
{
    private static readonly (string Code, string Detail) BadToken = (ErrorCodes.AuthRequired, "The bearer token is not valid.");

    public static IEndpointRouteBuilder MapGenreVoteApi(this IEndpointRouteBuilder app)
    {
        var genreVote = app.MapGroup("/v1/genre-vote");
        // Private: the answer carries the caller's own genre. A PUT or DELETE of the same address invalidates a cached copy.
        genreVote.MapGet("", GetAsync).RequirePublicReadLimit().WithCacheControl("private, max-age=1");
        genreVote.MapPut("", PutAsync);
        genreVote.MapDelete("", DeleteAsync);
        return app;
    }

    public static async Task<Results<Ok<GenreVoteResponse>, ProblemHttpResult>> GetAsync(HttpContext context, VoteLedger ledger, GenreBoard board)
    {
        if (Voter.From(context) is not { } voter)
        {
            return Problems.For(BadToken.Code, BadToken.Detail);
        }

        try
        {
            return TypedResults.Ok(board.Answer(await ledger.GenreOfAsync(voter.Key)));
        }
        catch (Exception e) when (e is StackExchange.Redis.RedisException or TimeoutException)
        {
            return Problems.For(ErrorCodes.DependencyUnavailable, "The vote store is not answering.");
        }
    }

    public static async Task<Results<Ok<GenreVoteResponse>, ProblemHttpResult>> PutAsync(HttpContext context, GenreVoter genreVoter,
        GenreBoard board, CancellationToken cancellationToken)
    {
        // Refused requests count in the rate windows as refused votes do, against the device for a bad token.
        var voter = Voter.From(context);
        var body = await JsonBody.ReadAsync(context.Request, EdgeJson.Default.GenreVoteRequest, cancellationToken);
        var genre = GenreVoting.Canonical(body.Value?.Genre);
        var refused = voter is null ? BadToken
            : body.Code is { } code ? (code, body.Detail!)
            : genre is null ? (ErrorCodes.InvalidRequest, "genre must be one of " + string.Join(", ", GenreVoting.Genres) + ".")
            : ((string, string)?)null;
        return Answer(context, board, await genreVoter.ChangeAsync(voter ?? Voter.Device(context), genre, refused));
    }

    public static async Task<Results<Ok<GenreVoteResponse>, ProblemHttpResult>> DeleteAsync(HttpContext context, GenreVoter genreVoter,
        GenreBoard board)
    {
        var voter = Voter.From(context);
        return Answer(context, board, await genreVoter.ChangeAsync(voter ?? Voter.Device(context), null, voter is null ? BadToken : null));
    }

    private static Results<Ok<GenreVoteResponse>, ProblemHttpResult> Answer(HttpContext context, GenreBoard board, GenreOutcome outcome)
    {
        outcome.RateLimit.WriteTo(context.Response);
        return outcome.Code is null ? TypedResults.Ok(board.Answer(outcome.MyGenre)) : Problems.For(outcome.Code, outcome.Detail);
    }
}
