using AiMoviez.Contracts;
using AiMoviez.Edge.Catalog;
using AiMoviez.Edge.Identity;
using AiMoviez.Edge.Infrastructure;
using AiMoviez.Edge.Tallies;
using AiMoviez.Edge.Votes;
using AiMoviez.ServiceDefaults;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace AiMoviez.Edge.Ballot;

internal static class BallotApi
{
    private const int DefaultLimit = 8;
    private const int MaxLimit = 20;

    public static IEndpointRouteBuilder MapBallotApi(this IEndpointRouteBuilder app)
    {
        // Personal (voted clips, allowance) and each answer counts views: never reused.
        app.MapGet("/v1/ballot", GetBallotAsync).RequirePublicReadLimit().WithCacheControl("private, no-store");
        return app;
    }

    public static async Task<Results<Ok<BallotResponse>, ProblemHttpResult>> GetBallotAsync(
        string? seasonId, string? limit, string? exclude, HttpContext context, CatalogStore catalog, TallyBoard board,
        VoteLedger ledger, ViewCounter views, IOptions<EdgeOptions> options, TimeProvider time)
    {
        if (Voter.From(context) is not { } voter)
        {
            return Problems.For(ErrorCodes.AuthRequired, "The bearer token is not valid.");
        }

        var count = DefaultLimit;
        if (limit is not null && (!int.TryParse(limit, out count) || count is < 1 or > MaxLimit))
        {
            return Problems.For(ErrorCodes.InvalidRequest, $"limit must be a whole number from 1 to {MaxLimit}.");
        }

        var excluded = new HashSet<Guid>();
        foreach (var id in (exclude ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!Guid.TryParse(id, out var clipId))
            {
                return Problems.For(ErrorCodes.InvalidRequest, "exclude must be a comma-separated list of UUIDs.");
            }

            excluded.Add(clipId);
        }

        var (season, problem) = SeasonSelection.Resolve(catalog.Current, seasonId);
        if (problem is not null)
        {
            return problem;
        }

        if (season!.CurrentSlot is not { } slot)
        {
            return Problems.For(ErrorCodes.NotFound, "The season has no voting slot now.");
        }

        var now = time.GetUtcNow();
        BallotVoterState state;
        try
        {
            state = await ledger.BallotStateAsync(voter.Key, season.Id, slot.Position, now);
        }
        catch (Exception e) when (e is StackExchange.Redis.RedisException or TimeoutException)
        {
            return Problems.For(ErrorCodes.DependencyUnavailable, "The vote store is not answering.");
        }

        var tally = board.Find(season.Id, slot.Position)?.Clips.ToDictionary(c => c.ClipId) ?? [];
        var settings = options.Value;
        var fairness = new BallotFairness(settings.BallotJitterViews, settings.FreshClipAge, settings.FreshClipViewFactor);
        var ordered = BallotOrdering.Order(season.Clips,
            clipId => (tally.TryGetValue(clipId, out var t) ? t.Views : 0) + views.Pending(season.Id, clipId),
            state.VotedClipIds.ToHashSet(), excluded, now, fairness, Random.Shared);
        var chosen = ordered.Take(count).ToList();
        try
        {
            views.Add(season.Id, await ledger.FirstViewsAsync(voter.Key, season.Id, slot.Position, [.. chosen.Select(c => c.Id)], now, slot.VotingEndsAt));
        }
        catch (Exception e) when (e is StackExchange.Redis.RedisException or TimeoutException)
        {
            return Problems.For(ErrorCodes.DependencyUnavailable, "The vote store is not answering.");
        }

        var clips = chosen.Select(c => tally.TryGetValue(c.Id, out var t)
            ? new BallotClip(c.Id, c.Title, c.CreatorId, c.Genre, c.VideoUrl, c.ThumbnailUrl, t.Votes, t.WeightedScore)
            : new BallotClip(c.Id, c.Title, c.CreatorId, c.Genre, c.VideoUrl, c.ThumbnailUrl, 0, 0)).ToList();
        return TypedResults.Ok(new BallotResponse(season.Id, season.Label, slot.Position, season.TotalSlots, slot.VotingEndsAt,
            clips, state.VotedClipIds, state.DayTotal,
            new RemainingVotes(Math.Max(0, settings.DailyWeightLimit - state.DayTotal), state.SuperUsed ? 0 : 1, state.MegaUsed ? 0 : 1),
            season.Clips.Count, ordered.Count > chosen.Count));
    }
}
