using AiMoviez.Aggregator.Rules;
using AiMoviez.Aggregator.Shards;
using AiMoviez.Contracts;
using AiMoviez.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace AiMoviez.Aggregator.Tests;

/// <summary>A stale aggregator still running beside its replacement must not count a vote twice nor fail forever.</summary>
public sealed class WriterLockTests
{
    [Fact]
    public async Task Two_writers_applying_the_same_votes_at_once_count_each_vote_once()
    {
        using var dir = new TempDirectory("writer-lock");
        await using var postgres = await PostgresServer.StartAsync(dir.Sub("pg"), "votes");
        var topology = new Topology
        {
            Core = new ServiceEndpoint { Url = "http://127.0.0.1:1" },
            Aggregator = new ServiceEndpoint { Url = "http://127.0.0.1:1" },
            CatalogDatabase = postgres.ConnectionString("votes"),
            Regions = [],
            Shards = [new ShardTopology { Name = "shard-1", ConnectionString = postgres.ConnectionString("votes") }],
            SeasonShards = [new SeasonShardRange { FromSeason = 1, ToSeason = 1, Shards = ["shard-1"] }],
        };
        await using var shards = new ShardDataSources(topology);
        var dataSource = shards.ByShard["shard-1"];
        await ShardSchema.EnsureAsync(dataSource, CancellationToken.None);
        var season = Guid.NewGuid();
        var clip = Guid.NewGuid();
        var now = DateTimeOffset.UtcNow;
        var batch = Enumerable.Range(0, 2_000)
            .Select(i => (AggregatorFixture.EuWest, (object)AggregatorFixture.Vote(1, season, clip, "device_lock_" + i, AggregatorFixture.EuWest, acceptedAt: now)))
            .ToList();

        var applied = await Task.WhenAll(ApplyAsync(), ApplyAsync());

        Assert.Equal(2_000, applied.Sum(a => a.Plan.CountedVotes));
        await using var command = dataSource.CreateCommand("select (select count(*) from votes) + (select sum(votes)::bigint from tallies)");
        Assert.Equal(4_000L, (long)(await command.ExecuteScalarAsync())!);

        async Task<AppliedBatch> ApplyAsync()
        {
            // Each process has its own ledger, as two aggregators would.
            var ledger = new DailyLedger();
            ledger.StartFresh(DateOnly.FromDateTime(now.UtcDateTime));
            await using var applier = new ShardBatchApplier("shard-1", dataSource, ledger, new LedgerDays(ledger, shards), 200, NullLogger.Instance);
            return await applier.ApplyAsync(batch, _ => null, CancellationToken.None);
        }
    }
}
