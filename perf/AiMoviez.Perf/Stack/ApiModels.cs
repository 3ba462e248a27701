using System.Text.Json;
using System.Text.Json.Serialization;

namespace AiMoviez.Perf.Stack;

// The parts of the public API responses (CONTRACT sections 4 and 5) the load tool reads.

public sealed record VoteAcceptedBody(Guid VoteId, Guid ClipId, string Region, string Status, int Weight);

public sealed record ProblemBody(int Status, string? Code, string? Title, string? Detail = null);

public sealed record ReceiptBody(Guid VoteId, string Status, string? Reason);

public sealed record TallyBody(Guid SeasonId, int SlotPosition, DateTimeOffset AsOf, IReadOnlyList<TallyClipBody> Clips);

public sealed record TallyClipBody(Guid ClipId, long Votes, long WeightedScore);

public sealed record BallotBody(Guid SeasonId, int SlotPosition, IReadOnlyList<BallotClipBody> Clips, int TotalClipsInSlot, bool HasMoreClips);

public sealed record BallotClipBody(Guid ClipId);

public sealed record SeasonBody(Guid Id, int Number, string Label, string Status, DateTimeOffset? ActivatedAt, IReadOnlyList<SlotBody>? Slots);

public sealed record SlotBody(int Position, string Status, DateTimeOffset? VotingEndsAt);

public sealed record VoteRequestBody(Guid ClipId, string VoteType);

public sealed record CreateSeasonRequestBody(string Label, string Genre, int TotalSlots, int SlotDurationSeconds);

public sealed record CreateClipRequestBody(Guid SeasonId, string Title, string Genre, string VideoUrl, string ThumbnailUrl, double DurationSeconds);

public sealed record ClipBody(Guid Id, Guid SeasonId, string Status);

public sealed record BulkModerationRequestBody(string Action, IReadOnlyList<Guid> ClipIds);

public sealed record FlagChange(bool Enabled);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(VoteAcceptedBody))]
[JsonSerializable(typeof(ProblemBody))]
[JsonSerializable(typeof(ReceiptBody))]
[JsonSerializable(typeof(TallyBody))]
[JsonSerializable(typeof(BallotBody))]
[JsonSerializable(typeof(SeasonBody))]
[JsonSerializable(typeof(List<SeasonBody>))]
[JsonSerializable(typeof(VoteRequestBody))]
[JsonSerializable(typeof(CreateSeasonRequestBody))]
[JsonSerializable(typeof(CreateClipRequestBody))]
[JsonSerializable(typeof(ClipBody))]
[JsonSerializable(typeof(BulkModerationRequestBody))]
[JsonSerializable(typeof(FlagChange))]
[JsonSerializable(typeof(JsonElement))]
public sealed partial class ApiJson : JsonSerializerContext;
