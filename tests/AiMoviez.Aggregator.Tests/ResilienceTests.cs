using System.Net;
using System.Net.Http.Json;
using AiMoviez.Contracts;
using NATS.Client.JetStream;
using static AiMoviez.Aggregator.Tests.AggregatorFixture;

namespace AiMoviez.Aggregator.Tests;

[Collection(AggregatorCollection.Name)]
public sealed class ResilienceTests(AggregatorFixture fixture)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Kill_9_mid_load_and_restart_leaves_tallies_equal_to_the_accepted_votes()
    {
        var (number, season) = (SeasonOn("shard-1"), Guid.NewGuid());
        var clips = Enumerable.Range(0, 7).Select(_ => Guid.NewGuid()).ToArray();
        var votes = Enumerable.Range(0, 8_000)
            .Select(i => Vote(number, season, clips[i % clips.Length], "user_load_" + i, i % 2 == 0 ? UsEast : EuWest))
            .ToList();
        await fixture.PublishManyAsync(votes[..6_000]);
        await Eventually.UntilAsync(() => fixture.CountedAsync(number, season), n => n >= 200, Wait, "load under way");

        fixture.Aggregator.Kill();
        var countedAtKill = await fixture.CountedAsync(number, season);
        // The edges keep accepting while the aggregator is down.
        await fixture.PublishManyAsync(votes[6_000..]);
        await fixture.StartAggregatorAsync();
        await fixture.WaitDrainedAsync(number, season, seconds: 60);

        Assert.True(countedAtKill < votes.Count, "the kill should land mid-load");
        Assert.Equal(votes.Count, await fixture.CountedAsync(number, season));
        Assert.Equal(votes.Count, await fixture.ScalarAsync<long>(number, "select count(*) from votes where season_id = $1 and status = 'counted'", season));
        foreach (var clip in clips)
        {
            Assert.Equal(votes.Count(v => v.ClipId == clip),
                await fixture.ScalarAsync<long>(number, "select votes from tallies where season_id = $1 and clip_id = $2", season, clip));
        }

        Assert.Equal(votes.Count, await fixture.ScalarAsync<long>(number, "select sum(votes) from clip_days where season_id = $1", season));
        Assert.Equal(votes.Count, await fixture.ScalarAsync<long>(number, "select sum(votes) from creator_days where season_id = $1", season));
    }

    [Fact]
    public async Task Shard_down_holds_only_its_seasons_and_on_return_everything_is_applied_once()
    {
        const int DownVotes = 3 * 2 * MaxAckPending;
        var (upNumber, upSeason) = (SeasonOn("shard-1"), Guid.NewGuid());
        var (downNumber, downSeason) = (SeasonOn("shard-2"), Guid.NewGuid());
        var clip = Guid.NewGuid();
        await fixture.Stack.Shards["shard-2"].StopAsync();
        try
        {
            // More of the down shard's votes per region than a lane may hold unacked, published first: they must not
            // hold back the other shard's votes behind them.
            await fixture.PublishManyAsync(Enumerable.Range(0, DownVotes)
                .Select(i => Vote(downNumber, downSeason, clip, "user_down_" + i, i % 2 == 0 ? EuWest : UsEast)));
            await fixture.PublishManyAsync(Enumerable.Range(0, 50)
                .Select(i => Vote(upNumber, upSeason, clip, "user_up_" + i, i % 2 == 0 ? UsEast : EuWest)));

            await fixture.WaitDrainedAsync(upNumber, upSeason);
            Assert.Equal(50, await fixture.CountedAsync(upNumber, upSeason));
            var barrier = await fixture.BarrierAsync(downNumber, downSeason);
            Assert.False(barrier.Drained, "barrier of the down shard's season: " + string.Join(", ", barrier.Regions));
            Assert.Equal("shard-2", barrier.Shard);
            // The down shard's writer notices at its next batch, which may come after the other shard drained.
            var pipeline = await Eventually.UntilAsync(() => fixture.PipelineAsync(),
                p => !p.Shards.Single(s => s.Shard == "shard-2").Healthy, Wait, "shard-2 reported unhealthy");
            Assert.True(pipeline.Shards.Single(s => s.Shard == "shard-1").Healthy);
            using var readiness = await fixture.Http.GetAsync("/readyz");
            Assert.Equal(System.Net.HttpStatusCode.ServiceUnavailable, readiness.StatusCode);
            Assert.Contains("shard:shard-2", await readiness.Content.ReadAsStringAsync());
        }
        finally
        {
            await fixture.Stack.Shards["shard-2"].StartAsync();
            // The shard's connections this test process pooled before the stop are dead.
            Npgsql.NpgsqlConnection.ClearAllPools();
        }

        await fixture.WaitDrainedAsync(downNumber, downSeason);
        Assert.Equal(DownVotes, await fixture.CountedAsync(downNumber, downSeason));
        Assert.Equal(DownVotes, await fixture.ScalarAsync<long>(downNumber, "select count(*) from votes where season_id = $1", downSeason));
        await Eventually.UntilAsync(async () => (await fixture.Http.GetAsync("/readyz")).IsSuccessStatusCode, Wait, "ready again");
    }

    /// <summary>
    /// A restart made the lane's consumer anew; the next must not read that consumer's floor as 0 and deliver the lane's
    /// whole stream again (<see cref="AiMoviez.ServiceDefaults.LaneAckFloor"/>).
    /// </summary>
    [Fact]
    public async Task A_lane_that_took_nothing_since_a_restart_resumes_past_its_floor_at_the_next_restart()
    {
        var (number, season) = (SeasonOn("shard-1"), Guid.NewGuid());
        var clip = Guid.NewGuid();
        var votes = Enumerable.Range(0, 20).Select(i => Vote(number, season, clip, "user_floor_" + i)).ToList();
        await fixture.PublishManyAsync(votes[..19]);
        await fixture.WaitDrainedAsync(number, season);
        var jetStream = fixture.JetStream(UsEast);
        var (stream, lane) = (StreamNames.Votes(UsEast), StreamNames.AggregatorConsumer("shard-1"));
        await Eventually.UntilAsync(async () => (await jetStream.GetConsumerAsync(stream, lane)).Info,
            info => info.NumAckPending == 0 && info.NumPending == 0, Wait, "the lane settled and acked");

        for (var restart = 1; restart <= 2; restart++)
        {
            var killedAt = DateTimeOffset.UtcNow;
            fixture.Aggregator.Kill();
            await fixture.StartAggregatorAsync();
            await Eventually.UntilAsync(async () => (await jetStream.GetConsumerAsync(stream, lane)).Info,
                info => info.Created > killedAt, Wait, $"the lane's consumer made anew by restart {restart}");
        }

        await fixture.PublishAsync(votes[19]);
        await Eventually.UntilAsync(() => fixture.CountedAsync(number, season), n => n == votes.Count, Wait, "the vote after the restarts counted");
        Assert.Equal(1UL, (await jetStream.GetConsumerAsync(stream, lane)).Info.Delivered.ConsumerSeq);
        Assert.Equal(votes.Count, await fixture.CountedAsync(number, season));
    }

    /// <summary>
    /// A process that lost the shard's lease can pull from the consumer the next holder made before it notices. What it
    /// took is delivered again once the lane, waiting, sees the consumer's deliveries past its own, not after the
    /// consumer's AckWait (60 s here; <see cref="AiMoviez.Aggregator.Ingest.LaneDeliveryWatch"/>).
    /// </summary>
    [Fact]
    public async Task A_lane_whose_deliveries_another_puller_took_and_never_acked_takes_them_again_before_their_ack_wait()
    {
        var (number, season, clip) = (SeasonOn("shard-1"), Guid.NewGuid(), Guid.NewGuid());
        var votes = Enumerable.Range(0, 10).Select(i => Vote(number, season, clip, "user_taken_" + i)).ToList();
        // The lane makes its consumer once it runs: in a fresh fixture this test can come first.
        var consumer = await Eventually.UntilAsync(
            async () => await fixture.JetStream(UsEast).GetConsumerAsync(StreamNames.Votes(UsEast), StreamNames.AggregatorConsumer("shard-1")),
            _ => true, Wait, "the lane's consumer");
        var pid = fixture.Aggregator.Pid!.Value.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var taken = new List<ulong>();
        await AiMoviez.LocalServers.ExternalProcess.RunAsync("kill", ["-STOP", pid]);
        try
        {
            // The frozen aggregator's pull expires (5 s); the votes then go to this pull, which never acks them.
            await Task.Delay(TimeSpan.FromSeconds(7));
            await fixture.PublishManyAsync(votes);
            await foreach (var message in consumer.FetchAsync<byte[]>(new NatsJSFetchOpts { MaxMsgs = votes.Count, Expires = TimeSpan.FromSeconds(5) }))
            {
                taken.Add(message.Metadata!.Value.Sequence.Stream);
            }
        }
        finally
        {
            await AiMoviez.LocalServers.ExternalProcess.RunAsync("kill", ["-CONT", pid]);
        }

        Assert.Equal(votes.Count, taken.Count);
        await Eventually.UntilAsync(() => fixture.CountedAsync(number, season), n => n == votes.Count, TimeSpan.FromSeconds(40),
            "the votes another pull took counted before their ack wait");
    }

    /// <summary>
    /// A vote a review discounted stays against its voter's daily allowance in the ledger an aggregator loads from the
    /// shards when it starts, as in the ledger that saw the review; a reset of its slot gives it back, in both.
    /// </summary>
    [Fact]
    public async Task A_discounted_vote_stays_against_the_allowance_across_a_restart_and_its_slots_reset_gives_it_back()
    {
        var (numberA, seasonA) = (SeasonOn("shard-1"), Guid.NewGuid());
        var (numberB, seasonB) = (SeasonOn("shard-2"), Guid.NewGuid());
        const string voter = "user_discounted";
        var votes = Enumerable.Range(0, 200).Select(i => Vote(numberA, seasonA, Guid.NewGuid(), voter, i % 2 == 0 ? UsEast : EuWest)).ToList();
        await fixture.PublishManyAsync(votes);
        await fixture.WaitDrainedAsync(numberA, seasonA);
        Assert.Equal(200, await fixture.CountedAsync(numberA, seasonA));

        var discount = new VoteReviewRequest { Shard = "shard-1", Action = VoteReviewRequest.Discount, VoteIds = [.. votes.Take(10).Select(v => v.VoteId)] };
        using (var review = await fixture.Http.PostAsJsonAsync(VoteReviewRequest.Route, discount, ContractsJson.Default.VoteReviewRequest))
        {
            Assert.Equal(HttpStatusCode.OK, review.StatusCode);
        }

        Assert.Equal(190, await fixture.CountedAsync(numberA, seasonA));
        Assert.Equal((190L, 10L), (await VoterDayAsync(numberA, seasonA, "weight"), await VoterDayAsync(numberA, seasonA, "held_weight")));

        fixture.Aggregator.Kill();
        await fixture.StartAggregatorAsync();
        var over = Vote(numberB, seasonB, Guid.NewGuid(), voter, EuWest);
        await fixture.PublishAsync(over);
        await fixture.WaitDrainedAsync(numberB, seasonB);
        Assert.Equal($"{VoteStatuses.Rejected}:{ErrorCodes.DailyLimit}", await fixture.StatusAsync(numberB, over.VoteId));

        using (var reset = await fixture.Http.PostAsync($"/internal/reset?seasonId={seasonA}&seasonNumber={numberA}&slotPosition=1", null))
        {
            Assert.Equal(HttpStatusCode.NoContent, reset.StatusCode);
        }

        Assert.Equal((0L, 0L), (await VoterDayAsync(numberA, seasonA, "weight"), await VoterDayAsync(numberA, seasonA, "held_weight")));
        // The whole allowance is back, in the running ledger (195 more fit) and in the one the next start loads (5 more).
        var after = Enumerable.Range(0, 200).Select(_ => Vote(numberB, seasonB, Guid.NewGuid(), voter, UsEast)).ToList();
        await fixture.PublishManyAsync(after[..195]);
        await fixture.WaitDrainedAsync(numberB, seasonB);
        Assert.Equal(195, await fixture.CountedAsync(numberB, seasonB));
        fixture.Aggregator.Kill();
        await fixture.StartAggregatorAsync();
        await fixture.PublishManyAsync(after[195..]);
        await fixture.WaitDrainedAsync(numberB, seasonB);
        Assert.Equal(200, await fixture.CountedAsync(numberB, seasonB));
    }

    private Task<long> VoterDayAsync(int seasonNumber, Guid seasonId, string column) =>
        fixture.ScalarAsync<long>(seasonNumber, $"select coalesce(sum({column}), 0)::bigint from voter_days where season_id = $1", seasonId);
}
