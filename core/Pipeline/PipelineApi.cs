using System.Security.Claims;
using AiMoviez.Contracts;
using AiMoviez.Core.Audit;
using AiMoviez.Core.Data;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AiMoviez.Core.Pipeline;

internal static class PipelineApi
{
    public static RouteGroupBuilder MapPipelineApi(this RouteGroupBuilder admin)
    {
        admin.MapGet("/pipeline", Get).WithSummary("Per region: stream depth, consumer lag, oldest unprocessed age; per shard: last applied batch");
        return admin;
    }

    private static async Task<Ok<PipelineStatus>> Get(ClaimsPrincipal user, PipelineReader reader, CatalogDatabase catalog, CancellationToken ct)
    {
        var status = await reader.ReadAsync(ct);
        await using var tx = await catalog.BeginAsync(ct);
        await tx.CommitAsync(AuditEntry.For(user, "pipeline.read", "pipeline", "all"), ct);
        return TypedResults.Ok(status);
    }
}
