using System.Collections.Concurrent;
using System.Net;
using AiMoviez.Testing;

namespace AiMoviez.EndToEnd.Tests;

/// <summary>Votes travel edge → NATS JetStream → aggregator → sharded PostgreSQL → tallies on every edge.</summary>
public sealed class VotePipelineTests(SystemUnderTest system) : IClassFixture<SystemUnderTest>
{
    [Fact]
    public async Task A_vote_through_any_edge_shows_in_the_tallies_of_every_edge_within_two_seconds()
    {
        var (seasonId, clipIds) = await system.CreateVotingSeasonAsync(clipCount: 3);
        await system.WaitUntilEdgesServeAsync(seasonId, clipIds.Count);

        using var response = await system.Http.SendAsync(SystemUnderTest.Vote(system.Edges["eu-west"].BaseUrl, clipIds[0], voter: 1));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var accepted = DateTime.UtcNow;

        foreach (var edge in system.Edges.Values)
        {
            await Eventually.UntilAsync(async () => (await system.TalliesAsync(edge.BaseUrl, seasonId))[clipIds[0]] == 1,
                TimeSpan.FromSeconds(2) - (DateTime.UtcNow - accepted) + TimeSpan.FromMilliseconds(500),
                $"the vote in {edge.Name}'s tallies");
        }
    }

    [Fact]
    public async Task Thousands_of_votes_through_three_edges_with_duplicates_count_each_voter_and_clip_once()
    {
        var (seasonId, clipIds) = await system.CreateVotingSeasonAsync(clipCount: 10);
        await system.WaitUntilEdgesServeAsync(seasonId, clipIds.Count);
        var edges = system.Edges.Values.Select(e => e.BaseUrl).ToArray();
        var random = new Random(7);
        // 3,000 distinct (voter, clip) pairs, each sent once, 20% of them twice more through other edges.
        var casts = new List<(int Voter, Guid Clip, string Edge)>();
        for (var voter = 0; voter < 1_000; voter++)
        {
            foreach (var clip in clipIds.OrderBy(_ => random.Next()).Take(3))
            {
                casts.Add((voter, clip, edges[random.Next(edges.Length)]));
                if (random.NextDouble() < 0.2)
                {
                    casts.Add((voter, clip, edges[random.Next(edges.Length)]));
                    casts.Add((voter, clip, edges[random.Next(edges.Length)]));
                }
            }
        }

        var distinct = casts.Select(c => (c.Voter, c.Clip)).Distinct().ToList();
        var statuses = new ConcurrentBag<HttpStatusCode>();
        await Parallel.ForEachAsync(casts.OrderBy(_ => random.Next()), new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (cast, ct) =>
        {
            using var response = await system.Http.SendAsync(SystemUnderTest.Vote(cast.Edge, cast.Clip, cast.Voter), ct);
            statuses.Add(response.StatusCode);
        });

        Assert.All(statuses, s => Assert.True(s is HttpStatusCode.Accepted or HttpStatusCode.Conflict, $"unexpected {s}"));
        var expected = distinct.GroupBy(p => p.Clip).ToDictionary(g => g.Key, g => (long)g.Count());
        foreach (var edge in edges)
        {
            var tallies = await Eventually.UntilAsync(() => system.TalliesAsync(edge, seasonId),
                t => expected.All(e => t.GetValueOrDefault(e.Key) == e.Value), TimeSpan.FromSeconds(30),
                $"tallies at {edge} to equal the {distinct.Count} distinct (voter, clip) pairs");
            Assert.Equal(distinct.Count, tallies.Values.Sum());
        }
    }

    [Fact]
    public async Task Killing_the_aggregator_mid_load_loses_and_doubles_nothing()
    {
        var (seasonId, clipIds) = await system.CreateVotingSeasonAsync(clipCount: 4);
        await system.WaitUntilEdgesServeAsync(seasonId, clipIds.Count);
        var edges = system.Edges.Values.Select(e => e.BaseUrl).ToArray();
        var accepted = new ConcurrentBag<Guid>();
        var load = Parallel.ForEachAsync(Enumerable.Range(50_000, 1_200), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (voter, ct) =>
        {
            var clip = clipIds[voter % clipIds.Count];
            using var response = await system.Http.SendAsync(SystemUnderTest.Vote(edges[voter % edges.Length], clip, voter), ct);
            if (response.StatusCode == HttpStatusCode.Accepted)
            {
                accepted.Add(clip);
            }
        });

        await Eventually.UntilAsync(() => Task.FromResult(accepted.Count > 300), TimeSpan.FromSeconds(30), "300 votes accepted");
        system.Aggregator.Kill();
        await load;
        await system.Aggregator.StartAsync();

        var expected = accepted.GroupBy(c => c).ToDictionary(g => g.Key, g => (long)g.Count());
        await Eventually.UntilAsync(() => system.TalliesAsync(edges[0], seasonId),
            t => expected.All(e => t.GetValueOrDefault(e.Key) == e.Value), TimeSpan.FromSeconds(30),
            "tallies to equal the accepted votes after the aggregator restart");
    }
}
