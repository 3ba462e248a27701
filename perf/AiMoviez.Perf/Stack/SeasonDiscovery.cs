using System.Net.Http.Json;
using System.Text.Json;
using AiMoviez.Contracts;

namespace AiMoviez.Perf.Stack;

/// <summary>Finds the season to vote in through the public API: core's seasons, then an edge's ballot for the clips.</summary>
public sealed class SeasonDiscovery(HttpClient http, StackAddresses stack)
{
    private const int MaxBallotPages = 20;

    public async Task<SeasonTarget> DiscoverAsync(Guid? seasonId, int? clipLimit, CancellationToken cancellationToken)
    {
        var season = seasonId is { } id
            ? await GetSeasonAsync(id, cancellationToken)
            : await NewestActiveSeasonAsync(cancellationToken);
        if (season.Status != "active")
        {
            throw new InvalidOperationException($"Season {season.Id} is '{season.Status}', not active.");
        }

        // The list may omit slots; the single-season read has them.
        var detailed = season.Slots is null ? await GetSeasonAsync(season.Id, cancellationToken) : season;
        var slot = detailed.Slots?.FirstOrDefault(s => s.Status == SlotStatuses.Voting)
            ?? throw new InvalidOperationException($"Season {season.Label} has no slot in voting.");

        var clips = await VotableClipsAsync(season.Id, cancellationToken);
        if (clips.Count == 0)
        {
            throw new InvalidOperationException($"Season {season.Label} slot {slot.Position} has no votable clips.");
        }

        var shardMap = new ShardMap(stack.Topology);
        var shardName = shardMap.ShardFor(season.Number)
            ?? throw new InvalidOperationException($"No shard holds season number {season.Number}.");
        return new SeasonTarget
        {
            SeasonId = season.Id,
            SeasonNumber = season.Number,
            SeasonLabel = season.Label,
            SlotPosition = slot.Position,
            VotingEndsAt = slot.VotingEndsAt,
            Clips = clips.Order().Take(clipLimit ?? int.MaxValue).ToList(),
            ShardName = shardName,
            ShardConnectionString = LoopbackGuard.CheckConnectionString(stack.Topology.Shard(shardName).ConnectionString),
        };
    }

    private async Task<SeasonBody> NewestActiveSeasonAsync(CancellationToken cancellationToken)
    {
        var document = await http.GetFromJsonAsync(new Uri(stack.CoreUri, "/v1/seasons"), ApiJson.Default.JsonElement, cancellationToken);
        // The contract names the resource, not the envelope: accept a bare array or an object holding one.
        var list = document.ValueKind == JsonValueKind.Array
            ? document
            : document.EnumerateObject().Select(p => p.Value).FirstOrDefault(v => v.ValueKind == JsonValueKind.Array);
        if (list.ValueKind != JsonValueKind.Array)
        {
            throw new InvalidOperationException("GET /v1/seasons did not return a list of seasons.");
        }

        var seasons = list.Deserialize(ApiJson.Default.ListSeasonBody) ?? [];
        return seasons.Where(s => s.Status == "active").OrderByDescending(s => s.ActivatedAt).FirstOrDefault()
            ?? throw new InvalidOperationException("No active season: run `./aimoviez up` (it seeds a demo season).");
    }

    private async Task<SeasonBody> GetSeasonAsync(Guid id, CancellationToken cancellationToken) =>
        await http.GetFromJsonAsync(new Uri(stack.CoreUri, $"/v1/seasons/{id}"), ApiJson.Default.SeasonBody, cancellationToken)
        ?? throw new InvalidOperationException($"Season {id} not found.");

    private async Task<List<Guid>> VotableClipsAsync(Guid seasonId, CancellationToken cancellationToken)
    {
        var edge = stack.Edges[0].BaseUri;
        var clips = new HashSet<Guid>();
        for (var page = 0; page < MaxBallotPages; page++)
        {
            var exclude = string.Join(',', clips);
            var uri = new Uri(edge, $"/v1/ballot?seasonId={seasonId}&limit=20" + (clips.Count > 0 ? $"&exclude={exclude}" : ""));
            var ballot = await http.GetFromJsonAsync(uri, ApiJson.Default.BallotBody, cancellationToken)
                ?? throw new InvalidOperationException("Empty ballot.");
            var before = clips.Count;
            clips.UnionWith(ballot.Clips.Select(c => c.ClipId));
            if (!ballot.HasMoreClips || clips.Count == before || clips.Count >= ballot.TotalClipsInSlot)
            {
                break;
            }
        }

        return clips.ToList();
    }
}
