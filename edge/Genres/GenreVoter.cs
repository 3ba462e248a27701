using AiMoviez.Contracts;
using AiMoviez.Edge.Catalog;
using AiMoviez.Edge.Identity;
using AiMoviez.Edge.Infrastructure;
using AiMoviez.Edge.Votes;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace AiMoviez.Edge.Genres;

/// <summary>The outcome of a genre vote change: the caller's genre now, or an error code, plus the rate-limit headers.</summary>
internal sealed record GenreOutcome(string? MyGenre, string? Code, string Detail, RateLimitHeaders RateLimit);

/// <summary>
/// Sets and withdraws genre votes the way <see cref="VoteCaster"/> casts votes: the ban rule in memory, the rate windows
/// and the voter's genre in one script call (every request that gets this far counts in the windows, refused or not),
/// then the JetStream publish to the genre shard's lane; a change whose publish failed is taken back in Redis and
/// answered 503.
/// </summary>
internal sealed partial class GenreVoter(
    CatalogStore catalog,
    VoteLedger ledger,
    VotePublisher publisher,
    LedgerRepairs repairs,
    RegionTopology region,
    IOptions<EdgeOptions> options,
    TimeProvider time,
    ILogger<GenreVoter> logger)
{
    private readonly EdgeOptions _options = options.Value;

    /// <param name="genre">The genre to vote for, canonical; null to withdraw.</param>
    /// <param name="refused">Why the request was refused before it was looked at (bad token or body, unknown genre), or null.</param>
    public async Task<GenreOutcome> ChangeAsync(Voter voter, string? genre, (string Code, string Detail)? refused)
    {
        var now = time.GetUtcNow();
        var (verdict, detail) = refused ?? Judge(voter);
        GenreDecision decision;
        try
        {
            decision = await ledger.ChangeGenreAsync(voter.Key, voter.ClientIp, verdict, genre, now);
        }
        catch (Exception e) when (IsRedisFailure(e))
        {
            // Should Redis still run the script late, the voter's genre there is one never published until their next change.
            LogRedisFailed(logger, e.Message);
            return Unavailable("The vote store is not answering; the genre vote was not changed.");
        }

        var headers = RateLimitHeaders.ForVoter(_options.VotesPerVoterPerWindow, decision.Code, decision.VoterCount, decision.ResetMs,
            decision.RetryMs);
        if (decision.Code != "OK")
        {
            return new GenreOutcome(null, decision.Code,
                decision.Code == ErrorCodes.RateLimited ? "Too many votes in a short time; slow down." : detail, headers);
        }

        try
        {
            await publisher.PublishAsync(new GenreVoteChanged
            {
                ChangeId = Guid.CreateVersion7(now),
                VoterKey = voter.Key,
                Genre = genre,
                Sequence = decision.Sequence,
                Region = region.Name,
                ChangedAt = now,
            }, CancellationToken.None);
        }
        catch (PublishFailedException e)
        {
            LogPublishFailed(logger, e.InnerException?.Message ?? e.Message);
            await UndoAsync(voter.Key, decision);
            return Unavailable("The vote stream did not acknowledge the genre vote; it was not changed.");
        }

        return new GenreOutcome(genre, null, "", headers);
    }

    private (string? Code, string Detail) Judge(Voter voter) =>
        catalog.Current is not { } view ? (ErrorCodes.DependencyUnavailable, "The catalog has not been loaded yet.")
        : view.IsBanned(voter.Key, voter.UserId) ? (ErrorCodes.VoterBanned, "This voter may not vote.")
        : (null, "");

    private async Task UndoAsync(string voterKey, GenreDecision decision)
    {
        try
        {
            await ledger.UndoGenreAsync(voterKey, decision);
        }
        catch (Exception e) when (IsRedisFailure(e))
        {
            repairs.Enqueue("the undo of a genre vote change", () => ledger.UndoGenreAsync(voterKey, decision));
        }
    }

    private GenreOutcome Unavailable(string detail) =>
        new(null, ErrorCodes.DependencyUnavailable, detail, RateLimitHeaders.Unknown(_options.VotesPerVoterPerWindow, _options.RateWindow));

    private static bool IsRedisFailure(Exception e) => e is RedisException or TimeoutException;

    [LoggerMessage(LogLevel.Warning, "Genre vote refused, Redis failed: {Reason}")]
    private static partial void LogRedisFailed(ILogger logger, string reason);

    [LoggerMessage(LogLevel.Warning, "Genre vote refused, publish failed: {Reason}")]
    private static partial void LogPublishFailed(ILogger logger, string reason);
}
