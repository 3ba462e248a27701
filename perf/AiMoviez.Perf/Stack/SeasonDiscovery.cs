using System.Net.Http.Json;
using AiMoviez.Contracts;

namespace AiMoviez.Perf.Stack;

/// <summary>Reads the season to vote in through the public API: core's season with its slots, then an edge's ballot for the clips.</summary>
public sealed class SeasonDiscovery(HttpClient http, StackAddresses stack)
{
    private const int MaxBallotPages = 20;

    public async Task<SeasonTarget> DiscoverAsync(Guid seasonId, int? clipLimit, CancellationToken cancellationToken)
    {
        var season = await GetSeasonAsync(seasonId, cancellationToken);
        if (season.Status != "active")
        {
            throw new InvalidOperationException($"Season {season.Id} is '{season.Status}', not active.");
        }

        var slot = season.Slots?.FirstOrDefault(s => s.Status == SlotStatuses.Voting)
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
