using System.Security.Claims;
using AiMoviez.Contracts;
using AiMoviez.Core.Audit;
using AiMoviez.Core.Data;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AiMoviez.Core.GenreVotes;

/// <summary>The genre vote's results: votes and percentages for every genre of DOMAIN.md, read from the genre shard.</summary>
internal sealed record GenreVoteResults(long TotalVotes, IReadOnlyDictionary<string, long> Counts, IReadOnlyDictionary<string, double> Percentages,
    DateTimeOffset AsOf);

internal static class GenreVotesApi
{
    public static RouteGroupBuilder MapGenreVotesApi(this RouteGroupBuilder admin)
    {
        admin.MapGet("/genre-votes", Get).WithSummary("The genre vote's counts and percentages");
        return admin;
    }

    private static async Task<Ok<GenreVoteResults>> Get(ClaimsPrincipal user, ShardDatabases shards, CatalogDatabase catalog, TimeProvider time,
        CancellationToken ct)
    {
        var asOf = time.GetUtcNow();
        var stored = new Dictionary<string, long>(StringComparer.Ordinal);
        // The aggregator keeps the counts in the transaction that applies the votes, so they are exact as of the read.
        await using (var command = shards.Shard(shards.Map.GenreShard!).CreateCommand("select genre, votes from genre_counts"))
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                stored[reader.Get<string>("genre")] = reader.Get<long>("votes");
            }
        }

        var counts = GenreVoting.Genres.ToDictionary(g => g, g => stored.GetValueOrDefault(g));
        await using var tx = await catalog.BeginAsync(ct);
        await tx.CommitAsync(AuditEntry.For(user, "genre_votes.read", "genre_vote", "all"), ct);
        return TypedResults.Ok(new GenreVoteResults(counts.Values.Sum(), counts, GenreVoting.Percentages(counts), asOf));
    }
}
