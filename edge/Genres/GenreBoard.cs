using AiMoviez.Contracts;

namespace AiMoviez.Edge.Genres;

/// <summary>The newest genre vote counts the aggregator published, kept in memory.</summary>
internal sealed class GenreBoard
{
    private readonly Lock _sync = new();
    private GenreTally? _latest;

    public void Offer(GenreTally tally)
    {
        lock (_sync)
        {
            if (_latest is null || tally.AsOf >= _latest.AsOf)
            {
                _latest = tally;
            }
        }
    }

    public GenreVoteResponse Answer(string? myGenre)
    {
        var latest = Volatile.Read(ref _latest);
        var counts = latest?.Counts ?? new Dictionary<string, long>();
        // Only the genres of DOMAIN.md count: the shard takes no other (the aggregator dead-letters them).
        var known = GenreVoting.Genres.ToDictionary(g => g, g => counts.GetValueOrDefault(g));
        return new GenreVoteResponse(myGenre, known.Values.Sum(), GenreVoting.Percentages(known), latest?.AsOf);
    }
}
