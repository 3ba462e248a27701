using System.Text.Json;
using System.Text.Json.Serialization;

namespace AiMoviez.Contracts;

/// <summary>Source-generated JSON for every wire type (no reflection, so Native AOT stays clean).</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, UseStringEnumConverter = false)]
[JsonSerializable(typeof(Topology))]
[JsonSerializable(typeof(VoteCast))]
[JsonSerializable(typeof(VoteCasts))]
[JsonSerializable(typeof(VoteRevoked))]
[JsonSerializable(typeof(ClipViewsReported))]
[JsonSerializable(typeof(VoteDecisions))]
[JsonSerializable(typeof(SlotVotesReset))]
[JsonSerializable(typeof(SlotTally))]
[JsonSerializable(typeof(GenreVoteChanged))]
[JsonSerializable(typeof(GenreTally))]
[JsonSerializable(typeof(CatalogSnapshot))]
[JsonSerializable(typeof(ClipPlacement))]
[JsonSerializable(typeof(BarrierStatus))]
[JsonSerializable(typeof(PipelineStatus))]
[JsonSerializable(typeof(VoteReviewRequest))]
[JsonSerializable(typeof(VoteReviewResult))]
public sealed partial class ContractsJson : JsonSerializerContext;

public static class TopologyFile
{
    /// <summary>Reads and checks a topology file; a bad file stops the caller with a message naming it.</summary>
    public static Topology Load(string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"Topology file '{path}' does not exist.", path);
        }

        using var stream = File.OpenRead(path);
        var topology = JsonSerializer.Deserialize(stream, ContractsJson.Default.Topology)
            ?? throw new InvalidDataException($"Topology file '{path}' is empty.");
        _ = new ShardMap(topology);
        return topology;
    }
}
