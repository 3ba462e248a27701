using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AiMoviez.Contracts;
using Microsoft.Extensions.Caching.Memory;

namespace AiMoviez.Edge.Catalog;

/// <summary>
/// Where a clip the snapshot does not list belongs, asked of core (<see cref="CatalogRoutes.Clip"/>). The snapshot holds
/// only active seasons' clips, so without it a vote on a clip of a draft, finished or archived season would be
/// CLIP_NOT_FOUND for a clip that exists. Answers are kept for <see cref="Remember"/>: clip ids are never reused and a
/// clip is rarely removed. Only a few lookups run at once, each waiting at most <c>Edge:ClipLookupTimeout</c>; a vote
/// beyond them, or while core is slow or down, is answered from what the edge knows (not found), so neither a flood of
/// made-up ids nor an outage of core reaches the vote path.
/// </summary>
internal sealed partial class ClipDirectory(IHttpClientFactory httpClients, ILogger<ClipDirectory> logger) : IDisposable
{
    public const string HttpClientName = "core-clips";

    private static readonly TimeSpan Remember = TimeSpan.FromMinutes(5);
    private const int MaxLookupsAtOnce = 4;
    private const int MaxRemembered = 100_000;

    private readonly MemoryCache _answers = new(new MemoryCacheOptions { SizeLimit = MaxRemembered });
    private readonly SemaphoreSlim _lookups = new(MaxLookupsAtOnce);

    /// <summary>What core says of the clip, or <see cref="ClipLookup.NotAsked"/> when it could not be asked.</summary>
    public async Task<ClipLookup> FindAsync(Guid clipId)
    {
        if (_answers.TryGetValue(clipId, out Answer? remembered))
        {
            return new ClipLookup(true, remembered!.Placement);
        }

        if (!_lookups.Wait(0))
        {
            return ClipLookup.NotAsked;
        }

        try
        {
            var placement = await AskCoreAsync(clipId);
            _answers.Set(clipId, new Answer(placement), new MemoryCacheEntryOptions { Size = 1, AbsoluteExpirationRelativeToNow = Remember });
            return new ClipLookup(true, placement);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException)
        {
            // Not remembered: the next vote on the clip asks again. Core being down is reported by the catalog sync.
            LogLookupFailed(logger, clipId, e.Message);
            return ClipLookup.NotAsked;
        }
        finally
        {
            _lookups.Release();
        }
    }

    private async Task<ClipPlacement?> AskCoreAsync(Guid clipId)
    {
        using var response = await httpClients.CreateClient(HttpClientName).GetAsync(CatalogRoutes.ClipOf(clipId));
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        response.EnsureSuccessStatusCode();
        return await response.Content.ReadFromJsonAsync(ContractsJson.Default.ClipPlacement)
            ?? throw new JsonException("Core answered an empty clip placement.");
    }

    public void Dispose()
    {
        _answers.Dispose();
        _lookups.Dispose();
    }

    /// <summary>Null when core has no such clip.</summary>
    private sealed record Answer(ClipPlacement? Placement);

    [LoggerMessage(LogLevel.Debug, "Looking up clip {ClipId} in core failed: {Reason}")]
    private static partial void LogLookupFailed(ILogger logger, Guid clipId, string reason);
}

/// <summary>
/// Core's answer about a clip: its placement, or null when core has no such clip; or no answer (<see cref="Answered"/>
/// false) when core was slow or down, or every lookup was taken.
/// </summary>
internal readonly record struct ClipLookup(bool Answered, ClipPlacement? Placement)
{
    public static ClipLookup NotAsked => new(false, null);
}
