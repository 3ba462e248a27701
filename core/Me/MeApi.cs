using System.Security.Claims;
using AiMoviez.Core.Audit;
using AiMoviez.Core.Erasure;
using AiMoviez.Core.Data;
using AiMoviez.Core.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace AiMoviez.Core.Me;

/// <summary>Signed-in users' view of themselves (CONTRACT section 5): stats, vote history and clips across every shard.</summary>
internal static class MeApi
{
    /// <summary>CONTRACT section 5: the exact words that confirm an account's erasure.</summary>
    public const string ConfirmErase = "DELETE MY ACCOUNT";

    public static RouteGroupBuilder MapMeApi(this RouteGroupBuilder v1)
    {
        var me = v1.MapGroup("/me").RequireAuthorization().WithTags("Me");
        me.MapGet("/stats", Stats).WithSummary("The caller's votes today, totals, streak and how their clips did");
        me.MapGet("/votes", Votes).WithSummary("The caller's votes, newest first (keyset)");
        me.MapGet("/clips", Clips).WithSummary("The caller's clips with status and votes, newest first (keyset)");
        me.MapGet("/export", Export).WithSummary("Everything stored about the caller, in the catalog and on every shard, as one document");
        me.MapDelete("", Erase).WithSummary("Erase the caller's data everywhere (confirm=DELETE MY ACCOUNT); completes in the background");
        return v1;
    }

    private static async Task<Ok<MyStats>> Stats(ClaimsPrincipal user, ShardDatabases shards, CatalogDatabase catalog,
        IOptions<MeOptions> options, TimeProvider time, HttpResponse response, CancellationToken ct)
    {
        response.Headers.CacheControl = "private, no-store";
        var today = DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);
        return TypedResults.Ok(await MeQueries.StatsAsync(UserKeys.Of(user), shards, catalog, options.Value.DailyWeightLimit, today, ct));
    }

    private static async Task<Results<Ok<Page<MyVote>>, ProblemHttpResult>> Votes(
        string? cursor, int? limit, ClaimsPrincipal user, ShardDatabases shards, HttpResponse response, CancellationToken ct)
    {
        if (!PageRequest<MeQueries.Position>.TryParse(cursor, limit, defaultLimit: 50, out var page, out var problem))
        {
            return problem;
        }

        response.Headers.CacheControl = "private, no-store";
        var (after, take) = page;
        var votes = await MeQueries.VotesAsync(UserKeys.Of(user), shards, after, take + 1, ct);
        var next = votes.Count > take ? Cursor.Encode(new MeQueries.Position(votes[take - 1].AcceptedAt, votes[take - 1].VoteId)) : null;
        return TypedResults.Ok(new Page<MyVote>(votes.Take(take).ToList(), next));
    }

    private static async Task<Ok<MyExport>> Export(ClaimsPrincipal user, ShardDatabases shards, CatalogDatabase catalog, TimeProvider time,
        HttpResponse response, CancellationToken ct)
    {
        response.Headers.CacheControl = "private, no-store";
        return TypedResults.Ok(await MeExport.ReadAsync(UserKeys.Of(user), shards, catalog, time.GetUtcNow().UtcDateTime, ct));
    }

    private static async Task<Results<Accepted<ErasureAccepted>, ProblemHttpResult>> Erase(
        string? confirm, ClaimsPrincipal user, ErasureRequests erasures, CancellationToken ct)
    {
        if (confirm != ConfirmErase)
        {
            return Problems.Invalid($"To erase this account, confirm with confirm={Uri.EscapeDataString(ConfirmErase)}.");
        }

        var accepted = await erasures.RequestAsync(UserKeys.Of(user), AuditEntry.For(user, "user.erase", "user", user.Subject()), ct);
        return TypedResults.Accepted((string?)null, accepted);
    }

    private static async Task<Results<Ok<Page<MyClip>>, ProblemHttpResult>> Clips(
        string? cursor, int? limit, ClaimsPrincipal user, ShardDatabases shards, CatalogDatabase catalog, HttpResponse response, CancellationToken ct)
    {
        if (!PageRequest<MeQueries.ClipPosition>.TryParse(cursor, limit, defaultLimit: 20, out var page, out var problem))
        {
            return problem;
        }

        response.Headers.CacheControl = "private, no-store";
        var (after, take) = page;
        var clips = await MeQueries.ClipsAsync(UserKeys.Of(user), shards, catalog, after, take + 1, ct);
        var next = clips.Count > take ? Cursor.Encode(new MeQueries.ClipPosition(clips[take - 1].CreatedAt, clips[take - 1].Id)) : null;
        return TypedResults.Ok(new Page<MyClip>(clips.Take(take).ToList(), next));
    }
}
