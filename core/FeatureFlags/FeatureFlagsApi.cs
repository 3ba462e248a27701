using System.Security.Claims;
using AiMoviez.Contracts;
using AiMoviez.Core.Audit;
using AiMoviez.Core.Data;
using AiMoviez.Core.Infrastructure;
using AiMoviez.ServiceDefaults;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AiMoviez.Core.FeatureFlags;

internal sealed record FeatureFlag(string Key, bool Enabled, DateTime UpdatedAt);

internal sealed record FeatureFlagList(IReadOnlyList<FeatureFlag> Items);

internal sealed record SetFeatureFlagRequest(bool? Enabled);

/// <summary>Public GET /v1/features and the admin flag switches.</summary>
internal static class FeatureFlagsApi
{
    public static RouteGroupBuilder MapFeaturesApi(this RouteGroupBuilder v1)
    {
        v1.MapGet("/features", List).WithTags("Features").WithSummary("Every feature flag")
            .RequirePublicReadLimit().WithCacheControl("public, max-age=5");
        return v1;
    }

    public static RouteGroupBuilder MapFeatureFlagAdminApi(this RouteGroupBuilder admin)
    {
        admin.MapGet("/feature-flags/{key}", Get).WithSummary("One feature flag");
        admin.MapPut("/feature-flags/{key}", Set).WithSummary("Switch a feature flag");
        return admin;
    }

    private static async Task<Ok<FeatureFlagList>> List(CatalogDatabase catalog, CancellationToken ct)
    {
        await using var tx = await catalog.BeginAsync(ct);
        await using var command = tx.Command("select key, enabled, updated_at from feature_flags order by key");
        return TypedResults.Ok(new FeatureFlagList(await ReadAsync(command, ct)));
    }

    private static async Task<Results<Ok<FeatureFlag>, ProblemHttpResult>> Get(string key, ClaimsPrincipal user, CatalogDatabase catalog, CancellationToken ct)
    {
        if (!FeatureFlagKeys.All.Contains(key))
        {
            return Problems.NotFound($"There is no feature flag '{key}'.");
        }

        await using var tx = await catalog.BeginAsync(ct);
        await using var command = tx.Command("select key, enabled, updated_at from feature_flags where key = $1", key);
        var flag = (await ReadAsync(command, ct))[0];
        await tx.CommitAsync(AuditEntry.For(user, "feature_flag.read", "feature_flag", key), ct);
        return TypedResults.Ok(flag);
    }

    private static async Task<Results<Ok<FeatureFlag>, ProblemHttpResult>> Set(
        string key, SetFeatureFlagRequest request, ClaimsPrincipal user, CatalogDatabase catalog, CancellationToken ct)
    {
        if (!FeatureFlagKeys.All.Contains(key))
        {
            return Problems.NotFound($"There is no feature flag '{key}'.");
        }

        if (request.Enabled is not { } enabled)
        {
            return Problems.Invalid("enabled (true or false) is required.");
        }

        await using var tx = await catalog.BeginAsync(ct);
        await using var command = tx.Command("""
            insert into feature_flags (key, enabled, updated_at) values ($1, $2, now())
            on conflict (key) do update set enabled = excluded.enabled, updated_at = excluded.updated_at
            returning key, enabled, updated_at
            """, key, enabled);
        var flag = (await ReadAsync(command, ct))[0];
        tx.CatalogChanged();
        await tx.CommitAsync(AuditEntry.For(user, "feature_flag.set", "feature_flag", key,
            new Dictionary<string, object?> { ["enabled"] = enabled }), ct);
        return TypedResults.Ok(flag);
    }

    private static async Task<List<FeatureFlag>> ReadAsync(Npgsql.NpgsqlCommand command, CancellationToken ct)
    {
        var flags = new List<FeatureFlag>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            flags.Add(new FeatureFlag(reader.Get<string>("key"), reader.Get<bool>("enabled"), reader.Get<DateTime>("updated_at")));
        }

        return flags;
    }
}
