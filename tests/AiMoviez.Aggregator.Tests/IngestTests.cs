using System.Text.Json;
using AiMoviez.Contracts;
using NATS.Client.Core;
using NATS.Client.JetStream;
using static AiMoviez.Aggregator.Tests.AggregatorFixture;

namespace AiMoviez.Aggregator.Tests;

[Collection(AggregatorCollection.Name)]
public sealed class IngestTests(AggregatorFixture fixture)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Vote_is_counted_and_its_tally_reaches_every_region_with_a_counted_receipt()
    {
        var (number, season, clip) = (SeasonOn("shard-1"), Guid.NewGuid(), Guid.NewGuid());
        using var cts = new CancellationTokenSource(Wait);
        var tallyOnOtherRegion = WaitForTallyAsync(EuWest, season, t => t.Clips.Any(c => c.ClipId == clip && c.Votes == 1), cts.Token);
        var vote = Vote(number, season, clip, "user_tally");

        await fixture.PublishAsync(vote);

        var tally = await tallyOnOtherRegion;
        Assert.Equal(1, tally.Clips.Single().WeightedScore);
        await Eventually.UntilAsync(async () => (await fixture.ReceiptsAsync(UsEast)).GetValueOrDefault(vote.VoteId)?.Status == VoteStatuses.Counted,
            Wait, "counted receipt");
    }

    [Fact]
    public async Task Redelivered_vote_counts_once()
    {
        var (number, season, clip) = (SeasonOn("shard-2"), Guid.NewGuid(), Guid.NewGuid());
        var vote = Vote(number, season, clip, "user_redelivered");

        await fixture.PublishAsync(vote);
        await Eventually.UntilAsync(async () => await fixture.CountedAsync(number, season) == 1, Wait, "first delivery counted");
        // Different message ids get past the stream's duplicate window: the aggregator sees the same vote again.
        await fixture.PublishAsync(vote, msgId: "again-1-" + vote.VoteId);
        await fixture.PublishAsync(vote with { Region = EuWest }, msgId: "again-2-" + vote.VoteId);
        await fixture.WaitDrainedAsync(number, season);

        Assert.Equal(1, await fixture.CountedAsync(number, season));
        Assert.Equal(1, await fixture.ScalarAsync<long>(number, "select count(*) from votes where season_id = $1", season));
        Assert.Equal(1, await fixture.ScalarAsync<long>(number, "select sum(weight) from voter_days where season_id = $1", season));
    }

    [Fact]
    public async Task Cross_region_duplicate_is_rejected_with_its_reason()
    {
        var (number, season, clip) = (SeasonOn("shard-1"), Guid.NewGuid(), Guid.NewGuid());
        var first = Vote(number, season, clip, "user_twice", UsEast);
        var second = Vote(number, season, clip, "user_twice", EuWest);

        await Task.WhenAll(fixture.PublishAsync(first), fixture.PublishAsync(second));
        await fixture.WaitDrainedAsync(number, season);

        var statuses = new[] { await fixture.StatusAsync(number, first.VoteId), await fixture.StatusAsync(number, second.VoteId) };
        Assert.Contains(VoteStatuses.Counted, statuses);
        Assert.Contains($"{VoteStatuses.Rejected}:{ErrorCodes.AlreadyVoted}", statuses);
        Assert.Equal(1, await fixture.CountedAsync(number, season));
        var (rejected, region) = statuses[0] == VoteStatuses.Counted ? (second, EuWest) : (first, UsEast);
        await Eventually.UntilAsync(async () => (await fixture.ReceiptsAsync(region)).GetValueOrDefault(rejected.VoteId),
            d => d is { Status: VoteStatuses.Rejected, Reason: ErrorCodes.AlreadyVoted }, Wait, "rejection receipt");
    }

    [Fact]
    public async Task Daily_cap_holds_across_regions_and_seasons_on_different_shards()
    {
        var (numberA, seasonA) = (SeasonOn("shard-1"), Guid.NewGuid());
        var (numberB, seasonB) = (SeasonOn("shard-2"), Guid.NewGuid());
        const string voter = "user_capped";
        var votes = Enumerable.Range(0, 150).Select(_ => Vote(numberA, seasonA, Guid.NewGuid(), voter, UsEast))
            .Concat(Enumerable.Range(0, 60).Select(_ => Vote(numberB, seasonB, Guid.NewGuid(), voter, EuWest)))
            .ToList();

        await fixture.PublishManyAsync(votes);
        await fixture.WaitDrainedAsync(numberA, seasonA);
        await fixture.WaitDrainedAsync(numberB, seasonB);

        var counted = await fixture.CountedAsync(numberA, seasonA) + await fixture.CountedAsync(numberB, seasonB);
        var capped = await fixture.ScalarAsync<long>(numberA, "select count(*) from votes where voter_key = $1 and reason = 'DAILY_LIMIT'", voter)
            + await fixture.ScalarAsync<long>(numberB, "select count(*) from votes where voter_key = $1 and reason = 'DAILY_LIMIT'", voter);
        Assert.Equal(200, counted);
        Assert.Equal(10, capped);
    }

    [Fact]
    public async Task Super_and_mega_once_per_slot_and_closed_voting_rejected()
    {
        var (number, season) = (SeasonOn("shard-2"), Guid.NewGuid());
        var super1 = Vote(number, season, Guid.NewGuid(), "user_super", voteType: VoteTypes.Super);
        var super2 = Vote(number, season, Guid.NewGuid(), "user_super", EuWest, voteType: VoteTypes.Super);
        var late = Vote(number, season, Guid.NewGuid(), "user_late") with { VotingEndsAt = DateTimeOffset.UtcNow.AddMinutes(-1) };

        await fixture.PublishAsync(super1);
        await fixture.WaitDrainedAsync(number, season);
        await fixture.PublishAsync(super2);
        await fixture.PublishAsync(late);
        await fixture.WaitDrainedAsync(number, season);

        Assert.Equal(VoteStatuses.Counted, await fixture.StatusAsync(number, super1.VoteId));
        Assert.Equal("rejected:SLOT_LIMIT", await fixture.StatusAsync(number, super2.VoteId));
        Assert.Equal("rejected:VOTING_CLOSED", await fixture.StatusAsync(number, late.VoteId));
        Assert.Equal(3, await fixture.ScalarAsync<long>(number, "select sum(weighted_score) from tallies where season_id = $1", season));
    }

    [Fact]
    public async Task Revoke_before_its_vote_leaves_the_vote_revoked_and_revoke_after_removes_its_weight()
    {
        var (number, season, clip) = (SeasonOn("shard-1"), Guid.NewGuid(), Guid.NewGuid());
        var early = Vote(number, season, clip, "user_early_revoke");
        var later = Vote(number, season, clip, "user_late_revoke", voteType: VoteTypes.Mega);

        await fixture.RevokeAsync(early, EuWest);
        await Eventually.UntilAsync(async () => await fixture.ScalarAsync<long>(number, "select count(*) from vote_tombstones where vote_id = $1", early.VoteId) == 1,
            Wait, "tombstone");
        await fixture.PublishAsync(early);
        await fixture.PublishAsync(later);
        await Eventually.UntilAsync(async () => await fixture.StatusAsync(number, later.VoteId) == VoteStatuses.Counted, Wait, "mega counted");
        await fixture.RevokeAsync(later, UsEast);
        await fixture.WaitDrainedAsync(number, season);

        Assert.Equal(VoteStatuses.Revoked, await fixture.StatusAsync(number, early.VoteId));
        Assert.Equal(VoteStatuses.Revoked, await fixture.StatusAsync(number, later.VoteId));
        Assert.Equal(0, await fixture.CountedAsync(number, season));
        Assert.Equal(0, await fixture.ScalarAsync<long>(number, "select coalesce(sum(weight), 0) from voter_days where season_id = $1", season));
        Assert.Equal(0, await fixture.ScalarAsync<long>(number, "select coalesce(sum(weight), 0) from clip_days where season_id = $1", season));
    }

    [Fact]
    public async Task Poison_goes_to_dead_letter_and_does_not_block_the_stream()
    {
        var (number, season) = (SeasonOn("shard-2"), Guid.NewGuid());
        var before = (await fixture.PipelineAsync()).Regions.Single(r => r.Region == UsEast).DeadLetters;
        var unknownVersion = Vote(number, season, Guid.NewGuid(), "user_poison") with { SchemaVersion = 99 };
        var noShard = Vote(0, season, Guid.NewGuid(), "user_poison");
        var good = Vote(number, season, Guid.NewGuid(), "user_after_poison");

        await fixture.PublishRawAsync(UsEast, Subjects.VoteCast(UsEast, fixture.LaneOf(number)), "{not json"u8.ToArray(), "poison-" + Guid.NewGuid());
        await fixture.PublishAsync(unknownVersion);
        await fixture.PublishAsync(noShard);
        await fixture.PublishAsync(good);
        await fixture.WaitDrainedAsync(number, season);

        Assert.Equal(VoteStatuses.Counted, await fixture.StatusAsync(number, good.VoteId));
        var after = await Eventually.UntilAsync(() => fixture.PipelineAsync(),
            p => p.Regions.Single(r => r.Region == UsEast).DeadLetters == before + 3, Wait, "dead letters counted");
        Assert.Equal(0UL, after.Regions.Single(r => r.Region == UsEast).ConsumerLag);
        var consumer = await fixture.JetStream(UsEast).CreateOrderedConsumerAsync(StreamNames.DeadLetters(UsEast));
        var reasons = new List<string>();
        await foreach (var message in consumer.FetchNoWaitAsync<byte[]>(new NATS.Client.JetStream.NatsJSFetchOpts { MaxMsgs = 100 }))
        {
            reasons.Add(message.Headers!["AiMoviez-Reason"].ToString());
        }

        Assert.Contains(reasons, r => r.StartsWith("undecodable", StringComparison.Ordinal));
        Assert.Contains(reasons, r => r.Contains("schema version 99", StringComparison.Ordinal));
        Assert.Contains(reasons, r => r.Contains("no shard for season number 0", StringComparison.Ordinal));
        var receipts = await fixture.ReceiptsAsync(UsEast);
        Assert.All(new[] { unknownVersion, noShard }, vote =>
            Assert.Equal(new VoteDecision(vote.VoteId, VoteStatuses.Rejected, ErrorCodes.InvalidRequest), receipts[vote.VoteId]));
    }

    [Fact]
    public async Task Message_the_shard_refuses_goes_to_dead_letter_and_the_rest_of_its_batch_counts()
    {
        var (number, season) = (SeasonOn("shard-1"), Guid.NewGuid());
        var before = (await fixture.PipelineAsync()).Regions.Single(r => r.Region == UsEast).DeadLetters;
        // Decodes fine, but no btree can index a key this long: PostgreSQL refuses the whole batch holding it.
        var unindexable = Vote(number, season, Guid.NewGuid(), "user_" + Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(15_000)));
        var goods = Enumerable.Range(0, 10).Select(i => Vote(number, season, Guid.NewGuid(), "user_beside_refused_" + i)).ToList();

        await fixture.PublishManyAsync([.. goods[..5], unindexable, .. goods[5..]]);
        await fixture.WaitDrainedAsync(number, season);

        Assert.Equal(10, await fixture.CountedAsync(number, season));
        Assert.Null(await fixture.StatusAsync(number, unindexable.VoteId));
        var after = await Eventually.UntilAsync(() => fixture.PipelineAsync(),
            p => p.Regions.Single(r => r.Region == UsEast).DeadLetters == before + 1, Wait, "refused vote dead-lettered");
        Assert.Equal(0UL, after.Regions.Single(r => r.Region == UsEast).ConsumerLag);
        Assert.True(after.Shards.Single(s => s.Shard == "shard-1").Healthy);
        var consumer = await fixture.JetStream(UsEast).CreateOrderedConsumerAsync(StreamNames.DeadLetters(UsEast));
        var refused = new List<(string Subject, VoteCast? Vote)>();
        await foreach (var message in consumer.FetchNoWaitAsync<byte[]>(new NATS.Client.JetStream.NatsJSFetchOpts { MaxMsgs = 100 }))
        {
            if (message.Headers!["AiMoviez-Reason"].ToString().StartsWith("refused by shard-1: 54000", StringComparison.Ordinal))
            {
                refused.Add((message.Headers["AiMoviez-Subject"].ToString(), JsonSerializer.Deserialize(message.Data, ContractsJson.Default.VoteCast)));
            }
        }

        // Dead-lettered after its batch, long after the received message was let go: subject and payload are read back
        // from the vote stream.
        var (subject, deadLettered) = Assert.Single(refused, r => r.Vote?.VoteId == unindexable.VoteId);
        Assert.Equal(Subjects.VoteCast(UsEast, fixture.LaneOf(number)), subject);
        Assert.Equal(unindexable, deadLettered);
        Assert.Equal(new VoteDecision(unindexable.VoteId, VoteStatuses.Rejected, ErrorCodes.InvalidRequest),
            (await fixture.ReceiptsAsync(UsEast))[unindexable.VoteId]);
    }

    /// <summary>An edge sends the votes it accepted while its last publish was in flight as one message.</summary>
    [Fact]
    public async Task Each_vote_of_a_group_counts_and_a_poison_vote_of_it_is_dead_lettered_alone()
    {
        var (number, season, clip) = (SeasonOn("shard-2"), Guid.NewGuid(), Guid.NewGuid());
        var goods = Enumerable.Range(0, 6).Select(i => Vote(number, season, clip, "user_grouped_" + i)).ToList();
        var twice = Vote(number, season, clip, "user_grouped_0");
        var poison = Vote(number, season, clip, "user_grouped_poison") with { VoteType = "ultra" };

        await fixture.PublishGroupAsync([.. goods[..3], poison, twice, .. goods[3..]]);
        await fixture.WaitDrainedAsync(number, season);

        Assert.Equal(6, await fixture.CountedAsync(number, season));
        Assert.Equal($"{VoteStatuses.Rejected}:{ErrorCodes.AlreadyVoted}", await fixture.StatusAsync(number, twice.VoteId));
        var deadLetter = await DeadLetterOfAsync(poison, "unknown vote type ultra");
        Assert.Equal("3", deadLetter.Headers!["AiMoviez-Part"].ToString());
        Assert.Equal(Subjects.VoteCast(UsEast, fixture.LaneOf(number)), deadLetter.Headers["AiMoviez-Subject"].ToString());
        Assert.Equal(poison, JsonSerializer.Deserialize(deadLetter.Data, ContractsJson.Default.VoteCast));
        var receipts = await Eventually.UntilAsync(() => fixture.ReceiptsAsync(UsEast), r => r.ContainsKey(goods[^1].VoteId), Wait, "receipts");
        Assert.Equal(new VoteDecision(poison.VoteId, VoteStatuses.Rejected, ErrorCodes.InvalidRequest), receipts[poison.VoteId]);
        Assert.All(goods, g => Assert.Equal(VoteStatuses.Counted, receipts[g.VoteId].Status));
        Assert.Equal(0UL, (await fixture.PipelineAsync()).Regions.Single(r => r.Region == UsEast).ConsumerLag);
    }

    [Fact]
    public async Task A_vote_of_a_group_the_shard_refuses_goes_to_dead_letter_alone_and_the_rest_counts()
    {
        var (number, season) = (SeasonOn("shard-1"), Guid.NewGuid());
        var unindexable = Vote(number, season, Guid.NewGuid(), "user_" + Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(15_000)));
        var goods = Enumerable.Range(0, 10).Select(i => Vote(number, season, Guid.NewGuid(), "user_grouped_beside_refused_" + i)).ToList();

        await fixture.PublishGroupAsync([.. goods[..5], unindexable, .. goods[5..]]);
        await fixture.WaitDrainedAsync(number, season);

        Assert.Equal(10, await fixture.CountedAsync(number, season));
        Assert.Null(await fixture.StatusAsync(number, unindexable.VoteId));
        var deadLetter = await DeadLetterOfAsync(unindexable, "refused by shard-1: 54000");
        Assert.Equal("5", deadLetter.Headers!["AiMoviez-Part"].ToString());
        Assert.Equal(unindexable, JsonSerializer.Deserialize(deadLetter.Data, ContractsJson.Default.VoteCast));
        Assert.Equal(new VoteDecision(unindexable.VoteId, VoteStatuses.Rejected, ErrorCodes.InvalidRequest),
            (await fixture.ReceiptsAsync(UsEast))[unindexable.VoteId]);
        Assert.Equal(0UL, (await fixture.PipelineAsync()).Regions.Single(r => r.Region == UsEast).ConsumerLag);
    }

    /// <summary>The one dead letter holding <paramref name="vote"/>, moved for <paramref name="reason"/>.</summary>
    private async Task<INatsJSMsg<byte[]>> DeadLetterOfAsync(VoteCast vote, string reason)
    {
        var found = await Eventually.UntilAsync(() => fixture.DeadLettersAsync(UsEast, reason),
            d => d.Any(m => Holds(m, vote)), Wait, $"vote {vote.VoteId} dead-lettered");
        return Assert.Single(found, m => Holds(m, vote));

        static bool Holds(INatsJSMsg<byte[]> message, VoteCast vote)
        {
            try
            {
                return JsonSerializer.Deserialize(message.Data, ContractsJson.Default.VoteCast)?.VoteId == vote.VoteId;
            }
            catch (JsonException)
            {
                return false;
            }
        }
    }

    [Fact]
    public async Task Reset_removes_every_vote_and_count_of_the_slot()
    {
        var (number, season) = (SeasonOn("shard-1"), Guid.NewGuid());
        var votes = Enumerable.Range(0, 20)
            .Select(i => Vote(number, season, Guid.NewGuid(), "user_reset_" + i, i % 2 == 0 ? UsEast : EuWest, i == 0 ? VoteTypes.Super : VoteTypes.Standard))
            .ToList();
        await fixture.PublishManyAsync(votes);
        await fixture.WaitDrainedAsync(number, season);
        Assert.Equal(20, await fixture.CountedAsync(number, season));

        using var response = await fixture.Http.PostAsync($"/internal/reset?seasonId={season}&seasonNumber={number}&slotPosition=1", null);

        Assert.Equal(System.Net.HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal(0, await fixture.ScalarAsync<long>(number, "select count(*) from votes where season_id = $1", season));
        Assert.Equal(0, await fixture.ScalarAsync<long>(number, "select count(*) from tallies where season_id = $1", season));
        Assert.Equal(0, await fixture.ScalarAsync<long>(number, "select coalesce(sum(votes), 0) from voter_days where season_id = $1", season));
        // The reset's change of the day rows is recorded for core's leaderboard rollup: the newest change of each day table.
        Assert.Equal(20 + 20 + 20, await fixture.ScalarAsync<long>(number, """
            select sum(key_count)::bigint from day_changes c
            where seq = (select max(seq) from day_changes where day_table = c.day_table) and $1 = all(season_ids)
            """, season));

        // Each removed vote goes to the region that accepted it, for its edges to give back, and leaves the shard's queue.
        foreach (var region in (string[])[UsEast, EuWest])
        {
            var sent = await Eventually.UntilAsync(async () => (await fixture.ResetsAsync(region)).Where(r => r.SeasonId == season).ToList(),
                r => r.Sum(m => m.Votes.Count) == 10, Wait, $"the removed votes in {region}'s resets stream");
            Assert.All(sent, r => Assert.Equal(1, r.SlotPosition));
            Assert.Equal(
                votes.Where(v => v.Region == region).Select(v => new ResetVote(v.VoteId, v.VoterKey, v.ClipId, v.VoteType, v.Weight,
                    DateOnly.FromDateTime(v.AcceptedAt.UtcDateTime))).OrderBy(v => v.VoteId),
                sent.SelectMany(r => r.Votes).OrderBy(v => v.VoteId));
        }

        await Eventually.UntilAsync(() => fixture.ScalarAsync<long>(number, "select count(*) from reset_undos where season_id = $1", season),
            n => n == 0, Wait, "the shard's queue of undos to empty");

        // A copy of a removed vote that comes afterwards (an edge publishing it again) is stored revoked, not counted again.
        var copy = votes[1];
        await fixture.PublishRawAsync(copy.Region, Subjects.VoteCast(copy.Region, fixture.LaneOf(number)),
            JsonSerializer.SerializeToUtf8Bytes(copy, ContractsJson.Default.VoteCast), "copy-" + copy.VoteId);
        await Eventually.UntilAsync(() => fixture.StatusAsync(number, copy.VoteId), s => s == VoteStatuses.Revoked, Wait, "the copy to be stored");
        Assert.Equal(0, await fixture.CountedAsync(number, season));
    }

    [Fact]
    public async Task Views_are_added_once_per_batch_and_travel_with_the_tally()
    {
        var (number, season, clip) = (SeasonOn("shard-2"), Guid.NewGuid(), Guid.NewGuid());
        await fixture.PublishAsync(Vote(number, season, clip, "user_viewer"));
        await fixture.WaitDrainedAsync(number, season);
        var views = new ClipViewsReported
        {
            BatchId = Guid.NewGuid(), SeasonId = season, SeasonNumber = number, Region = EuWest, At = DateTimeOffset.UtcNow,
            Views = [new ClipViewCount(clip, 5)],
        };
        var payload = JsonSerializer.SerializeToUtf8Bytes(views, ContractsJson.Default.ClipViewsReported);
        using var cts = new CancellationTokenSource(Wait);
        var tally = WaitForTallyAsync(UsEast, season, t => t.Clips.Any(c => c.ClipId == clip && c.Views == 5), cts.Token);

        await fixture.PublishRawAsync(EuWest, Subjects.ClipViews(EuWest, fixture.LaneOf(number)), payload, views.BatchId.ToString());
        await fixture.PublishRawAsync(EuWest, Subjects.ClipViews(EuWest, fixture.LaneOf(number)), payload, "again-" + views.BatchId);
        await fixture.WaitDrainedAsync(number, season);

        Assert.Equal(5, await fixture.ScalarAsync<long>(number, "select views from clip_views where season_id = $1 and clip_id = $2", season, clip));
        Assert.Equal(1, (await tally).Clips.Single().Votes);
    }

    [Theory]
    [InlineData("MaxBatchSize", "0")]
    [InlineData("MaxBatchAge", "00:00:11")]
    [InlineData("ShardRetryMax", "soon")]
    public async Task Bad_setting_stops_the_process_with_a_message_naming_it(string setting, string value)
    {
        var url = $"http://127.0.0.1:{FreePort.Next()}";
        var environment = fixture.Stack.ServiceEnvironment(new Dictionary<string, string?>
        {
            ["Aggregator__" + setting] = value,
            ["ASPNETCORE_URLS"] = url,
        });
        await using var aggregator = new ServiceProcess("aggregator-bad-" + setting, RepoPaths.ServiceProgram("aggregator", "AiMoviez.Aggregator"),
            url, fixture.Stack.Dir.Path, environment);

        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => aggregator.StartAsync(TimeSpan.FromSeconds(30)));

        Assert.Contains(setting, failure.Message);
    }

    private async Task<SlotTally> WaitForTallyAsync(string region, Guid seasonId, Func<SlotTally, bool> done, CancellationToken cancellationToken)
    {
        var subscription = await fixture.Nats(region).SubscribeCoreAsync<byte[]>(Subjects.Tally(seasonId), cancellationToken: cancellationToken);
        await using (subscription)
        {
            await foreach (var message in subscription.Msgs.ReadAllAsync(cancellationToken))
            {
                var tally = JsonSerializer.Deserialize(message.Data, ContractsJson.Default.SlotTally)!;
                if (done(tally))
                {
                    return tally;
                }
            }
        }

        throw new InvalidOperationException("Subscription ended.");
    }
}
