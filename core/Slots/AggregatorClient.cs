using System.Globalization;
using System.Net.Http.Json;
using AiMoviez.Contracts;

namespace AiMoviez.Core.Slots;

/// <summary>The aggregator's internal endpoints (base address from the topology, resilience from the standard handler).</summary>
public sealed class AggregatorClient(HttpClient http, ILogger<AggregatorClient> logger)
{
    /// <summary>True only when the aggregator answers drained; unreachable or unsure counts as "not yet".</summary>
    public async Task<bool> IsDrainedAsync(Guid seasonId, int seasonNumber, CancellationToken ct)
    {
        try
        {
            var status = await http.GetFromJsonAsync(
                $"{BarrierRoutes.Barrier}?seasonId={seasonId:D}&seasonNumber={seasonNumber.ToString(CultureInfo.InvariantCulture)}",
                ContractsJson.Default.BarrierStatus, ct);
            return status is { Drained: true } && status.SeasonId == seasonId;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException or TimeoutException
                                      or Polly.Timeout.TimeoutRejectedException or Polly.CircuitBreaker.BrokenCircuitException)
        {
            if (ct.IsCancellationRequested)
            {
                throw;
            }

            logger.LogWarning("Close barrier for season {SeasonId} not available: {Error}", seasonId, e.Message);
            return false;
        }
    }

    /// <summary>Removes every vote and count of a slot on its shard; false when the aggregator did not do it.</summary>
    public async Task<bool> ResetSlotAsync(Guid seasonId, int seasonNumber, int slotPosition, CancellationToken ct)
    {
        try
        {
            using var response = await http.PostAsync(
                FormattableString.Invariant($"/internal/reset?seasonId={seasonId:D}&seasonNumber={seasonNumber}&slotPosition={slotPosition}"), null, ct);
            return response.IsSuccessStatusCode;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or TimeoutException
                                      or Polly.Timeout.TimeoutRejectedException or Polly.CircuitBreaker.BrokenCircuitException)
        {
            if (ct.IsCancellationRequested)
            {
                throw;
            }

            logger.LogWarning("Reset of season {SeasonId} slot {Slot} failed: {Error}", seasonId, slotPosition, e.Message);
            return false;
        }
    }
}
