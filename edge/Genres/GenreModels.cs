namespace AiMoviez.Edge.Genres;

/// <summary>PUT /v1/genre-vote body.</summary>
internal sealed record GenreVoteRequest(string? Genre);

/// <summary>
/// The answer of every genre-vote call: the caller's genre as this region recorded it (their own change shows at once),
/// and the counts as the aggregator last published them (eventually consistent; null <see cref="AsOf"/> until the edge
/// has heard any).
/// </summary>
internal sealed record GenreVoteResponse(string? MyGenre, long TotalVotes, IReadOnlyDictionary<string, double> Percentages, DateTimeOffset? AsOf);
