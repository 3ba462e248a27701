using System.Net;
using System.Text.Json;
using AiMoviez.Contracts;
using Xunit.Abstractions;

namespace AiMoviez.EndToEnd.Tests;

/// <summary>
/// kill -9 of one process of the HA layout (<see cref="HaSystemUnderTest"/>, one region) under a steady vote load
/// through both edges: every 202 ends counted exactly once (or rejected with its reason) in the shard, the edges'
/// tallies equal the shard's, and votes go on being accepted while the process is dead. Each test votes in a season of
/// its own with voters of its own and brings the killed process back before it ends.
/// </summary>
public sealed class HaFaultTests(HaSystemUnderTest system, ITestOutputHelper output) : IClassFixture<HaSystemUnderTest>
{
    private const int Votes = 3_000;
    private const int VotesPerSecond = 250;
    private const int ClipCount = 4;
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(90);

    // Receipts lag the shard by the edges' receipt consumer's AckWait (30 s) whenever a delivery's ack is lost, as with
    // a NATS node's death; twice that and then some.
    private static readonly TimeSpan ReceiptsSettle = TimeSpan.FromSeconds(120);

    private IEnumerable<string> EdgeUrls => system.Edges.Select(e => e.BaseUrl);

    [Fact]
    public async Task Killing_the_vote_streams_leader_node_loses_and_doubles_no_vote_and_voting_goes_on()
    {
        var season = await system.CreateVotingSeasonAsync(ClipCount);
        var load = await StartLoadAsync(season, firstVoter: 100_000);
        var node = int.Parse((await system.VoteStreamLeaderAsync())[1..], System.Globalization.CultureInfo.InvariantCulture) - 1;
        var killedAt = load.Now;
        system.Nats.Kill(node);
        try
        {
            await VotingGoesOnAsync(load, killedAt, EdgeUrls, "the vote stream's leader node is dead");
        }
        finally
        {
            await system.Nats.StartAsync(node);
            await system.Nats.WaitJetStreamAsync(Wait);
        }

        await load.Running;
        AssertAnswers(load, HttpStatusCode.Accepted, HttpStatusCode.ServiceUnavailable);
        await AssertEveryAcceptedVoteCountedOnceAsync(load, season, receiptsMayBeLost: false);
    }

    [Fact]
    public async Task Killing_the_aggregator_holding_the_shard_hands_it_over_losing_and_doubling_no_vote()
    {
        var season = await system.CreateVotingSeasonAsync(ClipCount);
        var holder = await Eventually.UntilAsync(() => system.HolderAsync(season.Shard), h => h is not null, Wait, "a holder of " + season.Shard);
        var load = await StartLoadAsync(season, firstVoter: 200_000);
        await Eventually.UntilAsync(async () => (await system.ShardVotesAsync(season.Shard, season.Id)).Count, n => n >= 100, Wait,
            "votes applied before the kill");
        var killedAt = load.Now;
        holder!.Kill();
        try
        {
            await VotingGoesOnAsync(load, killedAt, EdgeUrls, holder.Name + " is dead");
            await Eventually.UntilAsync(() => system.HolderAsync(season.Shard), h => h is not null && h != holder, Wait,
                "the other aggregator to take " + season.Shard + " over");
        }
        finally
        {
            await holder.StartAsync();
        }

        await load.Running;
        AssertAnswers(load, HttpStatusCode.Accepted);
        await AssertEveryAcceptedVoteCountedOnceAsync(load, season, receiptsMayBeLost: false);
    }

    [Fact]
    public async Task Killing_one_edge_loses_and_doubles_no_vote_and_the_other_edge_takes_votes_meanwhile()
    {
        var season = await system.CreateVotingSeasonAsync(ClipCount);
        var load = await StartLoadAsync(season, firstVoter: 300_000);
        var (dead, survivor) = (system.Edges[1], system.Edges[0]);
        var killedAt = load.Now;
        dead.Kill();
        try
        {
            await VotingGoesOnAsync(load, killedAt, [survivor.BaseUrl], dead.Name + " is dead");
        }
        finally
        {
            await dead.StartAsync();
            await dead.WaitReadyAsync(Wait);
        }

        var readyAt = load.Now;
        await load.Running;
        // Requests to the dead edge got no answer (those in flight when it died may or may not have been stored), and
        // 503 while it started again before its dependencies answered (a balancer routes to it by /readyz).
        Assert.All(load.Attempts.Where(a => a.Status is null or HttpStatusCode.ServiceUnavailable), a =>
        {
            Assert.Equal(dead.BaseUrl, a.Edge);
            Assert.True(a.Started < readyAt, $"{a.VoterKey} got {a.Status} at {a.Started}, after {dead.Name} was ready again at {readyAt}");
        });
        AssertAnswers(load, HttpStatusCode.Accepted, HttpStatusCode.ServiceUnavailable);
        await AssertEveryAcceptedVoteCountedOnceAsync(load, season, receiptsMayBeLost: false);
    }

    /// <summary>
    /// Voters whose hash slot (or whose IP's) lived on the dead primary get 503 until it returns; it returns empty (no
    /// persistence), so the receipts it held answer 404, while the votes themselves are in the shard.
    /// </summary>
    [Fact]
    public async Task Killing_a_redis_primary_refuses_only_its_voters_with_503_and_loses_and_doubles_no_vote()
    {
        var season = await system.CreateVotingSeasonAsync(ClipCount);
        var load = await StartLoadAsync(season, firstVoter: 400_000);
        var killedAt = load.Now;
        system.Redis.Kill(0);
        try
        {
            await VotingGoesOnAsync(load, killedAt, EdgeUrls, "a Redis primary is dead");
            await Eventually.UntilAsync(() => Task.FromResult(load.Attempts.Any(a => a.Started >= killedAt
                    && a.Status == HttpStatusCode.ServiceUnavailable && a.Code == ErrorCodes.DependencyUnavailable)),
                Wait, "503 DEPENDENCY_UNAVAILABLE for the dead primary's voters");
        }
        finally
        {
            await system.Redis.StartAsync(0);
            await system.Redis.WaitOkAsync(Wait);
        }

        await load.Running;
        AssertAnswers(load, HttpStatusCode.Accepted, HttpStatusCode.ServiceUnavailable);
        await AssertEveryAcceptedVoteCountedOnceAsync(load, season, receiptsMayBeLost: true);
    }

    private async Task<HaVoteLoad> StartLoadAsync(HaSeason season, int firstVoter)
    {
        var load = HaVoteLoad.Start(system, season.ClipIds, firstVoter, Votes, VotesPerSecond);
        await Eventually.UntilAsync(() => Task.FromResult(load.AcceptedSince(TimeSpan.Zero, EdgeUrls)), n => n >= 300, Wait,
            "300 votes accepted before the fault");
        return load;
    }

    /// <summary>Until 200 votes sent to <paramref name="edges"/> since <paramref name="since"/> were accepted, while the fault lasts.</summary>
    private async Task VotingGoesOnAsync(HaVoteLoad load, TimeSpan since, IEnumerable<string> edges, string fault)
    {
        var urls = edges.ToList();
        await Eventually.UntilAsync(() => Task.FromResult(load.AcceptedSince(since, urls)), n => n >= 200, Wait,
            $"200 votes accepted while {fault}");
    }

    private void AssertAnswers(HaVoteLoad load, params HttpStatusCode[] expected)
    {
        var answered = load.Attempts.Where(a => a.Status is not null).ToList();
        output.WriteLine(string.Join(", ", load.Attempts.GroupBy(a => a.Status?.ToString() ?? "no answer")
            .Select(g => $"{g.Key}: {g.Count()}")));
        Assert.All(answered, a => Assert.True(expected.Contains(a.Status!.Value),
            $"{a.VoterKey} at {a.Edge} got {(int)a.Status!.Value} {a.Code} at {a.Started}"));
        Assert.All(answered.Where(a => a.Status == HttpStatusCode.ServiceUnavailable), a => Assert.Equal(ErrorCodes.DependencyUnavailable, a.Code));
    }

    /// <summary>
    /// Each 202 is in the shard once, with its vote id, counted (or rejected with a reason); any other vote in the shard
    /// is one whose request got 503 or no answer (stored before its answer was lost); the edges' tallies equal the
    /// shard's counted votes; each 202's receipt at an edge says what the shard says.
    /// </summary>
    private async Task AssertEveryAcceptedVoteCountedOnceAsync(HaVoteLoad load, HaSeason season,
        bool receiptsMayBeLost)
    {
        var attempts = load.Attempts.ToList();
        Assert.Equal(Votes, attempts.Count);
        var accepted = attempts.Where(a => a.Status == HttpStatusCode.Accepted).ToDictionary(a => a.VoterKey);
        var uncertain = attempts.Where(a => a.Status is null or HttpStatusCode.ServiceUnavailable).ToDictionary(a => a.VoterKey);
        var acceptedIds = accepted.Values.Select(a => a.VoteId!.Value).ToHashSet();

        var votes = await Eventually.UntilAsync(() => system.ShardVotesAsync(season.Shard, season.Id),
            v => acceptedIds.IsSubsetOf(v.Select(x => x.VoteId)), Settle, $"the {accepted.Count} accepted votes in {season.Shard}");
        foreach (var group in votes.GroupBy(v => v.VoterKey))
        {
            Assert.True(group.Count() == 1, $"{group.Key} voted once but has {group.Count()} votes in the shard");
        }

        foreach (var vote in votes)
        {
            if (accepted.TryGetValue(vote.VoterKey, out var attempt))
            {
                Assert.Equal(attempt.VoteId, vote.VoteId);
                Assert.Equal(attempt.Clip, vote.ClipId);
                Assert.True(vote.Status == VoteStatuses.Counted || (vote.Status == VoteStatuses.Rejected && vote.Reason is not null),
                    $"accepted vote {vote.VoteId} is {vote.Status} ({vote.Reason})");
            }
            else
            {
                Assert.True(uncertain.ContainsKey(vote.VoterKey), $"vote {vote.VoteId} of {vote.VoterKey} is in the shard but its request was refused");
            }
        }

        var counted = votes.Where(v => v.Status == VoteStatuses.Counted).ToList();
        output.WriteLine($"{accepted.Count} accepted, {uncertain.Count} uncertain, {votes.Count} in the shard, {counted.Count} counted");
        var truth = await Eventually.UntilAsync(async () => (Votes: await system.ShardVotesAsync(season.Shard, season.Id),
                Tallies: await system.ShardTalliesAsync(season.Shard, season.Id)),
            t => season.ClipIds.All(c => t.Tallies.GetValueOrDefault(c) == t.Votes.Count(v => v.ClipId == c && v.Status == VoteStatuses.Counted)),
            Wait, "the shard's tallies to equal its counted votes");
        foreach (var edge in system.Edges)
        {
            await Eventually.UntilAsync(async () => (Edge: await system.TalliesAsync(edge.BaseUrl, season.Id), Shard: await system.ShardTalliesAsync(season.Shard, season.Id)),
                t => season.ClipIds.All(c => t.Edge.GetValueOrDefault(c) == t.Shard.GetValueOrDefault(c)), Wait,
                $"{edge.Name}'s tallies to equal the shard's ({string.Join(", ", truth.Tallies.Values)})");
        }

        var final = (await system.ShardVotesAsync(season.Shard, season.Id)).ToDictionary(v => v.VoteId);
        var lost = await AssertReceiptsAsync(accepted.Values.Select(a => final[a.VoteId!.Value]).ToList(), receiptsMayBeLost);
        if (receiptsMayBeLost)
        {
            output.WriteLine($"{lost} receipts lost with the Redis primary");
        }
    }

    /// <summary>
    /// Until every receipt (asked at one edge or the other) says what the shard says, or answers 404 where it may have been
    /// lost; returns how many did.
    /// </summary>
    private async Task<int> AssertReceiptsAsync(List<ShardVote> votes, bool mayBeLost)
    {
        var pending = votes;
        var lost = 0;
        await Eventually.UntilAsync(async () =>
        {
            var answers = await Task.WhenAll(pending.Chunk(100).Select(async chunk =>
            {
                var results = new List<(ShardVote Vote, string Answer)>();
                foreach (var vote in chunk)
                {
                    var edge = system.Edges[vote.VoteId.GetHashCode() & 1].BaseUrl;
                    using var response = await system.Http.GetAsync($"{edge}/v1/votes/{vote.VoteId}");
                    if (response.StatusCode != HttpStatusCode.OK)
                    {
                        results.Add((vote, ((int)response.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture)));
                        continue;
                    }

                    using var receipt = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
                    var (status, reason) = (receipt.RootElement.GetProperty("status").GetString(), receipt.RootElement.GetProperty("reason").GetString());
                    results.Add((vote, status == vote.Status && reason == vote.Reason ? "final" : $"{status} {reason}"));
                }

                return results;
            }));
            var all = answers.SelectMany(a => a).ToList();
            lost += all.Count(a => a.Answer == "404" && mayBeLost);
            var open = all.Where(a => a.Answer != "final" && !(a.Answer == "404" && mayBeLost)).ToList();
            pending = open.Select(a => a.Vote).ToList();
            return new ReceiptProgress(pending.Count, string.Join(", ", open.GroupBy(a => a.Answer).Select(g => $"{g.Key}: {g.Count()}")));
        }, p => p.Pending == 0, ReceiptsSettle, "every accepted vote's receipt to say what the shard says");
        return lost;
    }

    /// <summary>The receipts not yet final and what they answered, for the timeout's message.</summary>
    private sealed record ReceiptProgress(int Pending, string Answers);
}
