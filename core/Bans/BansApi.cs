using System.Security.Claims;
using AiMoviez.Core.Audit;
using AiMoviez.Core.Data;
using AiMoviez.Core.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AiMoviez.Core.Bans;

internal sealed record SetBanRequest(bool? Banned);

/// <summary>The ban state of a user id or a voter key.</summary>
internal sealed record Ban(string Kind, string Subject, bool Banned, DateTime? BannedAt);

/// <summary>Admin: ban and unban users and voter keys, list the bans; edges read the lists from the catalog snapshot.</summary>
internal static class BansApi
{
    public const int MaxSubjectLength = 200;

    public static RouteGroupBuilder MapBansApi(this RouteGroupBuilder admin)
    {
        admin.MapGet("/bans", List).WithSummary("The banned user ids and voter keys, newest ban first (keyset)");
        admin.MapPut("/users/{userId}/ban", (string userId, SetBanRequest request, ClaimsPrincipal user, CatalogDatabase catalog, CancellationToken ct) =>
            SetBan(BanStore.UserKind, userId, request, user, catalog, ct)).WithName("BanUser").WithSummary("Ban or unban a user id");
        admin.MapPut("/voters/{voterKey}/ban", (string voterKey, SetBanRequest request, ClaimsPrincipal user, CatalogDatabase catalog, CancellationToken ct) =>
            SetBan(BanStore.VoterKind, voterKey, request, user, catalog, ct)).WithName("BanVoter").WithSummary("Ban or unban a voter key");
        return admin;
    }

    private static async Task<Results<Ok<Page<Ban>>, ProblemHttpResult>> List(
        string? cursor, int? limit, ClaimsPrincipal user, CatalogDatabase catalog, CancellationToken ct)
    {
        if (!PageRequest<BanStore.Position>.TryParse(cursor, limit, defaultLimit: 50, out var page, out var problem))
        {
            return problem;
        }

        var (after, take) = page;
        await using var tx = await catalog.BeginAsync(ct);
        var bans = await BanStore.ListAsync(tx, after, take + 1, ct);
        await tx.CommitAsync(AuditEntry.For(user, "bans.read", "ban", cursor ?? "first"), ct);
        var next = bans.Count > take ? Cursor.Encode(new BanStore.Position(bans[take - 1].BannedAt!.Value, bans[take - 1].Kind, bans[take - 1].Subject)) : null;
        return TypedResults.Ok(new Page<Ban>(bans.Take(take).ToList(), next));
    }

    private static async Task<Results<Ok<Ban>, ProblemHttpResult>> SetBan(
        string kind, string subject, SetBanRequest request, ClaimsPrincipal user, CatalogDatabase catalog, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(subject) || subject.Length > MaxSubjectLength)
        {
            return Problems.Invalid($"The {kind} id must be 1 to {MaxSubjectLength} characters.");
        }

        if (request.Banned is not { } banned)
        {
            return Problems.Invalid("banned (true or false) is required.");
        }

        await using var tx = await catalog.BeginAsync(ct);
        DateTime? bannedAt = null;
        if (banned)
        {
            bannedAt = await BanStore.BanAsync(tx, kind, subject, ct);
        }
        else
        {
            await BanStore.UnbanAsync(tx, kind, subject, ct);
        }

        tx.CatalogChanged();
        await tx.CommitAsync(AuditEntry.For(user, banned ? kind + ".ban" : kind + ".unban", kind, subject,
            new Dictionary<string, object?> { ["banned"] = banned }), ct);
        return TypedResults.Ok(new Ban(kind, subject, banned, bannedAt));
    }
}
