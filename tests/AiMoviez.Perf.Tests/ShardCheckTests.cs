using System.Text.RegularExpressions;
using AiMoviez.Contracts;
using AiMoviez.Perf.Load;
using AiMoviez.Perf.Verification;
using Npgsql;

namespace AiMoviez.Perf.Tests;

/// <summary>One real PostgreSQL with the aggregator's shard schema, shared by the shard-check tests (each uses its own season).</summary>
public sealed partial class ShardDatabase : IAsyncLifetime
{
    private readonly TempDirectory _dir = new("perf-shard");
    private PostgresServer? _server;

    public string ConnectionString => _server!.ConnectionString("shard");

    public async Task InitializeAsync()
    {
        _server = await PostgresServer.StartAsync(_dir.Path, "shard");
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(AggregatorShardDdl(), connection);
        await command.ExecuteNonQueryAsync();
    }

    public async Task DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }

        _dir.Dispose();
    }

    /// <summary>
    /// The DDL the aggregator runs, read from its source rather than copied, so the verifier is tested against the
    /// tables the aggregator really writes, including after a schema change.
    /// </summary>
    private static string AggregatorShardDdl()
    {
        var source = File.ReadAllText(Path.Combine(RepoPaths.Root, "aggregator", "Shards", "ShardSchema.cs"));
        var match = CreateV1().Match(source);
        Assert.True(match.Success, "aggregator/Shards/ShardSchema.cs no longer has the CreateV1 raw string this test reads.");
        var ddl = match.Groups["sql"].Value;
        Assert.Contains("create table if not exists votes", ddl, StringComparison.Ordinal);
        Assert.Contains("create table if not exists tallies", ddl, StringComparison.Ordinal);
        return ddl;
    }

    [GeneratedRegex("CreateV1 = \"\"\"(?<sql>.*?)\"\"\";", RegexOptions.Singleline)]
    private static partial Regex CreateV1();
}

public sealed class ShardCheckTests(ShardDatabase database) : IClassFixture<ShardDatabase>
{
    private const int Slot = 3;
    private readonly Guid _season = Guid.NewGuid();
    private readonly Guid _hotClip = Guid.NewGuid();
    private readonly Guid _otherClip = Guid.NewGuid();

    [Fact]
    public async Task Votes_each_counted_once_pass()
    {
        var run = await SeedRunAsync();

        var verdict = await CheckAsync(run);

        Assert.True(verdict.Passed, string.Join("; ", verdict.Problems));
        Assert.Equal(0, verdict.Missing);
        Assert.Equal(5, verdict.Counted.Count);
        Assert.Single(verdict.Rejected);
        Assert.Single(verdict.Revoked);
        // The 2 votes counted before the run are in the baseline, so none is taken for someone else's.
        Assert.Equal(0, verdict.ForeignVotes);
    }

    [Fact]
    public async Task A_lost_vote_fails()
    {
        // The stack answered 202 for one more vote than reached the shard; the tallies agree with the rows there are.
        var run = await SeedRunAsync();
        var lost = new AcceptedVote(Guid.NewGuid(), _hotClip, 1, "eu", 99);

        var verdict = await CheckAsync(run with { Accepted = [.. run.Accepted, lost] });

        Assert.False(verdict.Passed);
        Assert.Equal(1, verdict.Missing);
        Assert.Contains(verdict.Problems, p => p.Contains("not in the shard's votes table (lost)", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_vote_counted_twice_in_the_tallies_fails()
    {
        var run = await SeedRunAsync();
        await ExecuteAsync("update tallies set votes = votes + 1, weighted_score = weighted_score + 1 where season_id = $1 and clip_id = $2",
            _season, _hotClip);

        var verdict = await CheckAsync(run);

        Assert.False(verdict.Passed);
        Assert.Equal(0, verdict.Missing);
        var problem = Assert.Single(verdict.Problems);
        Assert.Contains("shard tallies vs its counted vote rows", problem, StringComparison.Ordinal);
        Assert.Contains(_hotClip.ToString(), problem, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_vote_whose_revoke_was_answered_202_but_is_still_counted_fails()
    {
        var run = await SeedRunAsync();

        var verdict = await CheckAsync(run with { RevokedByUs = new HashSet<Guid>(run.RevokedByUs) { run.Accepted[0].VoteId } });

        Assert.False(verdict.Passed);
        Assert.Contains(verdict.Problems, p => p.Contains("revoke was answered 202 are still counted", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Votes_of_someone_else_during_the_run_are_a_note_not_a_failure()
    {
        // Counted and tallied consistently, just not by this run: exactly-once still holds, so it only gets reported.
        var run = await SeedRunAsync();
        await InsertVoteAsync(Guid.NewGuid(), _otherClip, VoteStatuses.Counted, reason: null);
        await ExecuteAsync("update tallies set votes = votes + 1, weighted_score = weighted_score + 1 where season_id = $1 and clip_id = $2",
            _season, _otherClip);

        var verdict = await CheckAsync(run);

        Assert.True(verdict.Passed, string.Join("; ", verdict.Problems));
        Assert.Equal(1, verdict.ForeignVotes);
        Assert.Contains(verdict.Notes, n => n.Contains("not from this run", StringComparison.Ordinal));
    }

    private sealed record Run(TallyCounts Baseline, IReadOnlyList<AcceptedVote> Accepted, IReadOnlySet<Guid> RevokedByUs);

    /// <summary>
    /// The shard after a clean run: 2 votes counted before it (the baseline), then 7 accepted: 3 counted on the hot
    /// clip, 2 on the other, 1 rejected by the rules and 1 revoked by us; tallies as the aggregator leaves them.
    /// </summary>
    private async Task<Run> SeedRunAsync()
    {
        await InsertVoteAsync(Guid.NewGuid(), _hotClip, VoteStatuses.Counted, reason: null);
        await InsertVoteAsync(Guid.NewGuid(), _hotClip, VoteStatuses.Counted, reason: null);
        await SetTallyAsync(_hotClip, 2);
        var baseline = new TallyCounts([KeyValuePair.Create(_hotClip, new ClipCount(2, 2))]);

        var accepted = new List<AcceptedVote>();
        var revokedByUs = new HashSet<Guid>();
        foreach (var (clip, status) in new[]
        {
            (_hotClip, VoteStatuses.Counted), (_hotClip, VoteStatuses.Counted), (_hotClip, VoteStatuses.Counted),
            (_otherClip, VoteStatuses.Counted), (_otherClip, VoteStatuses.Counted),
            (_otherClip, VoteStatuses.Rejected), (_hotClip, VoteStatuses.Revoked),
        })
        {
            var vote = new AcceptedVote(Guid.NewGuid(), clip, 1, "eu", accepted.Count);
            accepted.Add(vote);
            await InsertVoteAsync(vote.VoteId, clip, status, status == VoteStatuses.Rejected ? "DAILY_CAP" : null);
            if (status == VoteStatuses.Revoked)
            {
                revokedByUs.Add(vote.VoteId);
            }
        }

        await SetTallyAsync(_hotClip, 5);
        await SetTallyAsync(_otherClip, 2);
        return new Run(baseline, accepted, revokedByUs);
    }

    private async Task<ShardVerdict> CheckAsync(Run run)
    {
        await using var shard = new ShardReader(database.ConnectionString);
        return await ShardCheck.CheckAsync(shard, _season, Slot, run.Baseline, run.Accepted, run.RevokedByUs, CancellationToken.None);
    }

    private Task InsertVoteAsync(Guid voteId, Guid clipId, string status, string? reason) => ExecuteAsync("""
        insert into votes (vote_id, season_id, slot_position, clip_id, creator_id, voter_key, vote_type, weight, region, flags,
                           multi_vote, accepted_at, utc_day, status, reason, applied_at)
        values ($1, $2, $3, $4, $5, $6, 'standard', 1, 'eu', 0, false, now(), current_date, $7, $8, now())
        """, voteId, _season, Slot, clipId, Guid.NewGuid(), "voter-" + voteId.ToString("N"), status, (object?)reason ?? DBNull.Value);

    private Task SetTallyAsync(Guid clipId, long votes) => ExecuteAsync("""
        insert into tallies (season_id, slot_position, clip_id, votes, weighted_score, updated_at) values ($1, $2, $3, $4, $4, now())
        on conflict (season_id, slot_position, clip_id) do update set votes = excluded.votes, weighted_score = excluded.weighted_score
        """, _season, Slot, clipId, votes);

    private async Task ExecuteAsync(string sql, params object[] values)
    {
        // A writable session of our own: the verifier's reader is read-only by construction.
        await using var connection = new NpgsqlConnection(database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var value in values)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value });
        }

        await command.ExecuteNonQueryAsync();
    }
}
