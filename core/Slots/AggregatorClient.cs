using System.Globalization;
using System.Net.Http.Json;
using AiMoviez.Contracts;

namespace AiMoviez.Core.Slots;

/// <summary>Every aggregator instance's base address, from the topology (<c>aggregatorUrls</c>, else <c>aggregator.url</c>).</summary>
internal sealed record AggregatorUrls(IReadOnlyList<Uri> All);

/// <summary>
/// The aggregator's internal endpoints (resilience from the standard handler, one circuit per instance). Where several
/// instances share the shards, each is asked in turn until one answers: any of them answers the close barrier for
/// every shard, and only the holder of a shard's lease resets one of its slots (the others answer 503).
/// </summary>
internal sealed class AggregatorClient(HttpClient http, AggregatorUrls urls, ILogger<AggregatorClient> logger)
{
    /// <summary>True only when an aggregator answers drained; unreachable or unsure counts as "not yet".</summary>
    public async Task<bool> IsDrainedAsync(Guid seasonId, int seasonNumber, CancellationToken ct)
    {
        foreach (var baseUrl in urls.All)
        {
            try
            {
                var status = await http.GetFromJsonAsync(new Uri(baseUrl,
                    $"{BarrierRoutes.Barrier}?seasonId={seasonId:D}&seasonNumber={seasonNumber.ToString(CultureInfo.InvariantCulture)}"),
                    ContractsJson.Default.BarrierStatus, ct);
                return status is { Drained: true } && status.SeasonId == seasonId;
            }
            catch (Exception e) when (IsUnavailable(e, ct))
            {
                logger.LogWarning("Close barrier for season {SeasonId} not available at {Aggregator}: {Error}", seasonId, baseUrl, e.Message);
            }
        }

        return false;
    }

    /// <summary>Removes every vote and count of a slot on its shard; false when no aggregator did it.</summary>
    public async Task<bool> ResetSlotAsync(Guid seasonId, int seasonNumber, int slotPosition, CancellationToken ct)
    {
        foreach (var baseUrl in urls.All)
        {
            try
            {
                using var response = await http.PostAsync(new Uri(baseUrl,
                    FormattableString.Invariant($"/internal/reset?seasonId={seasonId:D}&seasonNumber={seasonNumber}&slotPosition={slotPosition}")), null, ct);
                if (response.IsSuccessStatusCode)
                {
                    return true;
                }

                logger.LogWarning("Reset of season {SeasonId} slot {Slot} refused by {Aggregator}: {Status}", seasonId, slotPosition, baseUrl,
                    (int)response.StatusCode);
            }
            catch (Exception e) when (IsUnavailable(e, ct))
            {
                logger.LogWarning("Reset of season {SeasonId} slot {Slot} failed at {Aggregator}: {Error}", seasonId, slotPosition, baseUrl, e.Message);
            }
        }

        return false;
    }

    /// <summary>Has the aggregator holding the shard review the votes; null when none did (the review is idempotent).</summary>
    public async Task<VoteReviewResult?> ReviewVotesAsync(VoteReviewRequest request, CancellationToken ct)
    {
        foreach (var baseUrl in urls.All)
        {
            try
            {
                using var response = await http.PostAsJsonAsync(new Uri(baseUrl, VoteReviewRequest.Route), request,
                    ContractsJson.Default.VoteReviewRequest, ct);
                if (response.IsSuccessStatusCode)
                {
                    return await response.Content.ReadFromJsonAsync(ContractsJson.Default.VoteReviewResult, ct);
                }

                logger.LogWarning("Review of {Count} votes on {Shard} refused by {Aggregator}: {Status}", request.VoteIds.Count, request.Shard,
                    baseUrl, (int)response.StatusCode);
            }
            catch (Exception e) when (IsUnavailable(e, ct))
            {
                logger.LogWarning("Review of {Count} votes on {Shard} failed at {Aggregator}: {Error}", request.VoteIds.Count, request.Shard,
                    baseUrl, e.Message);
            }
        }

        return null;
    }

    private static bool IsUnavailable(Exception e, CancellationToken ct) =>
        !ct.IsCancellationRequested && e is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException or TimeoutException
            or Polly.Timeout.TimeoutRejectedException or Polly.CircuitBreaker.BrokenCircuitException;
}
