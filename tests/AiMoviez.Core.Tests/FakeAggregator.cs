using System.Collections.Concurrent;
using AiMoviez.Contracts;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace AiMoviez.Core.Tests;

/// <summary>
/// Plays the aggregator's internal HTTP for core: the close barrier (drained or not, per season, as the test says)
/// and the slot reset; records what core asked.
/// </summary>
public sealed class FakeAggregator : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<Guid, bool> _drained = new();

    private FakeAggregator(WebApplication app, string url)
    {
        _app = app;
        Url = url;
    }

    public string Url { get; }

    /// <summary>Seasons not set explicitly answer this.</summary>
    public bool DrainedByDefault { get; set; } = true;

    public ConcurrentQueue<(Guid SeasonId, int SeasonNumber, DateTimeOffset At)> BarrierCalls { get; } = new();

    public ConcurrentQueue<(Guid SeasonId, int SeasonNumber, int SlotPosition)> Resets { get; } = new();

    /// <summary>False plays an instance another holds the shards' leases from: it refuses resets with 503.</summary>
    public bool HoldsShards { get; set; } = true;

    public void SetDrained(Guid seasonId, bool drained) => _drained[seasonId] = drained;

    public static async Task<FakeAggregator> StartAsync(string url)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls(url);
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var fake = new FakeAggregator(app, url);
        app.MapGet(BarrierRoutes.Barrier, (Guid seasonId, int seasonNumber) =>
        {
            fake.BarrierCalls.Enqueue((seasonId, seasonNumber, DateTimeOffset.UtcNow));
            var status = new BarrierStatus
            {
                SeasonId = seasonId,
                Shard = "shard-x",
                Drained = fake._drained.TryGetValue(seasonId, out var drained) ? drained : fake.DrainedByDefault,
                CheckedAt = DateTimeOffset.UtcNow,
                Regions = [],
            };
            return Results.Json(status, ContractsJson.Default.BarrierStatus);
        });
        app.MapPost("/internal/reset", (Guid seasonId, int seasonNumber, int slotPosition) =>
        {
            if (!fake.HoldsShards)
            {
                return Results.Problem(statusCode: StatusCodes.Status503ServiceUnavailable);
            }

            fake.Resets.Enqueue((seasonId, seasonNumber, slotPosition));
            return Results.NoContent();
        });
        await app.StartAsync();
        return fake;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
