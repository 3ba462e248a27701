using AiMoviez.Core.Catalog;
using AiMoviez.Core.Data;
using Microsoft.AspNetCore.Http.HttpResults;
using NATS.Client.Core;
using Npgsql;

namespace AiMoviez.Core.Infrastructure;

public sealed record Readiness(string Status, IReadOnlyDictionary<string, string> Checks);

/// <summary>/healthz: the process is alive. /readyz: the catalog database and every region's NATS answer.</summary>
public static class HealthApi
{
    public static IEndpointRouteBuilder MapHealthApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/healthz", () => TypedResults.Ok(new Readiness("ok", new Dictionary<string, string>()))).WithTags("Health");
        app.MapGet("/readyz", Ready).WithTags("Health");
        return app;
    }

    private static async Task<Results<Ok<Readiness>, JsonHttpResult<Readiness>>> Ready(CatalogDatabase catalog, RegionNats nats, CancellationToken ct)
    {
        var checks = new Dictionary<string, string>();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(3));
        try
        {
            await using var command = catalog.DataSource.CreateCommand("select 1");
            await command.ExecuteScalarAsync(timeout.Token);
            checks["catalog"] = "ok";
        }
        catch (Exception e) when (e is NpgsqlException or OperationCanceledException or TimeoutException)
        {
            checks["catalog"] = "unavailable";
        }

        foreach (var (region, connection) in nats.Connections)
        {
            try
            {
                await connection.PingAsync(timeout.Token);
                checks["nats:" + region] = "ok";
            }
            catch (Exception e) when (e is NatsException or OperationCanceledException or TimeoutException)
            {
                checks["nats:" + region] = "unavailable";
            }
        }

        return checks.Values.All(v => v == "ok")
            ? TypedResults.Ok(new Readiness("ready", checks))
            : TypedResults.Json(new Readiness("unavailable", checks), statusCode: StatusCodes.Status503ServiceUnavailable);
    }
}
