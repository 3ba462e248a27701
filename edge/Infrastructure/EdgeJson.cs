using System.Text.Json;
using System.Text.Json.Serialization;
using AiMoviez.Edge.Ballot;
using AiMoviez.Edge.Genres;
using AiMoviez.Edge.Tallies;
using AiMoviez.Edge.Votes;

namespace AiMoviez.Edge.Infrastructure;

/// <summary>Source-generated JSON for the edge's HTTP API (and the values problem details carry), so Native AOT needs no reflection.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(VoteRequest))]
[JsonSerializable(typeof(VoteAccepted))]
[JsonSerializable(typeof(VoteRevokeAccepted))]
[JsonSerializable(typeof(VoteReceipt))]
[JsonSerializable(typeof(BallotResponse))]
[JsonSerializable(typeof(TalliesResponse))]
[JsonSerializable(typeof(SlotChanged))]
[JsonSerializable(typeof(GenreVoteRequest))]
[JsonSerializable(typeof(GenreVoteResponse))]
[JsonSerializable(typeof(SiteVerifyAnswer))]
[JsonSerializable(typeof(string))]
[JsonSerializable(typeof(string[]))]
internal sealed partial class EdgeJson : JsonSerializerContext;
