using System.Globalization;
using AiMoviez.Perf.Load;
using AiMoviez.Perf.Report;
using AiMoviez.Perf.Stack;
using Npgsql;

namespace AiMoviez.Perf.Scenarios;

/// <summary>
/// The design the gateway replaces: every vote is one synchronous PostgreSQL transaction (insert the vote row,
/// increment the clip's counter row), with the same voters, clip distribution and concurrency, against the same
/// PostgreSQL build on this machine (the catalog cluster, in a throw-away schema <c>baseline</c>).
/// </summary>
public sealed class BaselineScenario(ScenarioContext context, double defaultSeconds = 30)
{
    private const string Operation = "baseline_tx";
    private const string Schema = "baseline";
    private const int ConnectionHeadroom = 10;

    public async Task<ScenarioResult> RunAsync(CancellationToken cancellationToken)
    {
        var startedAt = DateTimeOffset.UtcNow;
        var notes = new List<string>();
        var clips = await ClipsAsync(notes, cancellationToken);
        var duration = context.Options.DurationOr(defaultSeconds);
        var voters = context.Options.Voters ?? 250_000;

        var builder = new NpgsqlConnectionStringBuilder(LoopbackGuard.CheckConnectionString(context.Stack.CatalogConnectionString))
        {
            Timeout = 10,
            CommandTimeout = 30,
            MaxPoolSize = context.Concurrency + 2,
        };
        await using var dataSource = NpgsqlDataSource.Create(builder.ConnectionString);
        var workers = await AvailableWorkersAsync(dataSource, notes, cancellationToken);
        var durability = await VotesTable.DurabilitySettingsAsync(dataSource, cancellationToken);
        await CreateTablesAsync(dataSource, clips, cancellationToken);

        var seasonId = Guid.CreateVersion7();
        var plan = new VotePlan(new ClipDistribution(clips.Count, context.Options.HotShare), voters, long.MaxValue, seed: 42);
        var recorder = new LoadRecorder(Operation);
        var sampler = ProcessSampler.ForStack(context.Stack.Topology, context.Options.StateDirectoryOrDefault);
        using var background = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var watchLimit = duration + TimeSpan.FromMinutes(1);
        DriverResult driven;
        try
        {
            // The sampler's first reading, its PSS walk included, before the load's clock starts.
            var sampling = sampler.RunAsync(watchLimit, background.Token);
            recorder.Start();
            var watchers = new[]
            {
                sampling,
                ProgressDisplay.RunAsync("baseline", () => Status(recorder), watchLimit, background.Token),
            };
            var closed = new ClosedLoopSettings { Workers = workers, MaxOperations = long.MaxValue, MaxDuration = duration };
            driven = await ClosedLoopDriver.RunAsync(closed, async (intended, token) =>
            {
                if (!plan.TryNext(out var vote))
                {
                    return false;
                }

                var outcome = await VoteTransactionAsync(dataSource, seasonId, clips[vote.ClipIndex], context.VoterAt(vote.VoterIndex), token);
                recorder.Record(Operation, intended, outcome, outcome == "commit");
                return true;
            }, cancellationToken);
            recorder.Stop();
            await background.CancelAsync();
            await Task.WhenAll(watchers);
        }
        finally
        {
            await using var drop = dataSource.CreateCommand($"drop schema if exists {Schema} cascade");
            await drop.ExecuteNonQueryAsync(CancellationToken.None);
        }

        var operation = recorder.Summarize().FirstOrDefault();
        notes.Add($"Catalog PostgreSQL settings: {durability}.");
        return new ScenarioResult
        {
            Name = "baseline",
            StartedAt = startedAt,
            Seconds = Math.Round(recorder.Elapsed.TotalSeconds, 2),
            Settings = new Dictionary<string, string>
            {
                ["durationSeconds"] = duration.TotalSeconds.ToString(CultureInfo.InvariantCulture),
                ["workers"] = workers.ToString(CultureInfo.InvariantCulture),
                ["voters"] = voters.ToString(CultureInfo.InvariantCulture),
                ["clips"] = clips.Count.ToString(CultureInfo.InvariantCulture),
                ["hotShare"] = context.Options.HotShare.ToString(CultureInfo.InvariantCulture),
                ["transaction"] = "insert into baseline.votes; update baseline.clip_counters set votes = votes + 1; commit",
            },
            Metrics = new Dictionary<string, double>
            {
                [MetricNames.BaselineVotesPerSecond] = operation?.SucceededPerSecond ?? 0,
                [MetricNames.P50Ms] = operation?.P50Ms ?? 0,
                [MetricNames.P99Ms] = operation?.P99Ms ?? 0,
                [MetricNames.P999Ms] = operation?.P999Ms ?? 0,
                ["transactions"] = driven.Issued,
            },
            Operations = recorder.Summarize(),
            Timeline = recorder.Timeline(),
            Processes = sampler.Summarize(),
            Notes = notes,
        };
    }

    private static async Task<string> VoteTransactionAsync(NpgsqlDataSource dataSource, Guid seasonId, Guid clipId, Voter voter, CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            var now = DateTime.UtcNow;
            await using (var insert = new NpgsqlCommand(
                $"insert into {Schema}.votes ({VotesTable.Columns}) values ($1, $2, 1, $3, $4, $5, 'standard', 1, 'baseline', 0, false, $6, $7, 'counted', null, $6)",
                connection, transaction))
            {
                insert.Parameters.Add(new NpgsqlParameter { Value = Guid.CreateVersion7() });
                insert.Parameters.Add(new NpgsqlParameter { Value = seasonId });
                insert.Parameters.Add(new NpgsqlParameter { Value = clipId });
                insert.Parameters.Add(new NpgsqlParameter { Value = clipId });
                insert.Parameters.Add(new NpgsqlParameter { Value = VotesTable.VoterKey(voter) });
                insert.Parameters.Add(new NpgsqlParameter { Value = now });
                insert.Parameters.Add(new NpgsqlParameter { Value = DateOnly.FromDateTime(now) });
                await insert.ExecuteNonQueryAsync(cancellationToken);
            }

            await using (var increment = new NpgsqlCommand($"update {Schema}.clip_counters set votes = votes + 1 where clip_id = $1", connection, transaction))
            {
                increment.Parameters.Add(new NpgsqlParameter { Value = clipId });
                await increment.ExecuteNonQueryAsync(cancellationToken);
            }

            await transaction.CommitAsync(cancellationToken);
            return "commit";
        }
        catch (PostgresException exception)
        {
            return "pg " + exception.SqlState;
        }
        catch (NpgsqlException)
        {
            return "connection_error";
        }
        catch (OperationCanceledException)
        {
            return "cancelled";
        }
    }

    private async Task<IReadOnlyList<Guid>> ClipsAsync(List<string> notes, CancellationToken cancellationToken)
    {
        try
        {
            return (await context.SeasonAsync(cancellationToken)).Clips;
        }
        catch (Exception exception) when (exception is HttpRequestException or InvalidOperationException or TaskCanceledException)
        {
            // The baseline needs only PostgreSQL; without the stack it votes on stand-in clips of the same count.
            notes.Add($"Season not found through the API ({exception.Message}); used 12 stand-in clip ids.");
            return Enumerable.Range(0, 12).Select(_ => Guid.CreateVersion7()).Order().ToList();
        }
    }

    private async Task<int> AvailableWorkersAsync(NpgsqlDataSource dataSource, List<string> notes, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "select current_setting('max_connections')::int - (select count(*) from pg_stat_activity)::int");
        var free = (int)(await command.ExecuteScalarAsync(cancellationToken))!;
        var workers = Math.Max(1, Math.Min(context.Concurrency, free - ConnectionHeadroom));
        if (workers < context.Concurrency)
        {
            notes.Add($"Concurrency {context.Concurrency} capped at {workers}: the catalog PostgreSQL has only {free} free connections.");
        }

        return workers;
    }

    private static async Task CreateTablesAsync(NpgsqlDataSource dataSource, IReadOnlyList<Guid> clips, CancellationToken cancellationToken)
    {
        await using (var create = dataSource.CreateCommand($"""
            drop schema if exists {Schema} cascade;
            create schema {Schema};
            {VotesTable.CreateSql(Schema + ".votes", temporary: false)};
            create table {Schema}.clip_counters (clip_id uuid primary key, votes bigint not null default 0);
            """))
        {
            await create.ExecuteNonQueryAsync(cancellationToken);
        }

        await using var seed = dataSource.CreateCommand($"insert into {Schema}.clip_counters (clip_id) select unnest($1::uuid[])");
        seed.Parameters.Add(new NpgsqlParameter { Value = clips.ToArray() });
        await seed.ExecuteNonQueryAsync(cancellationToken);
    }

    private static string Status(LoadRecorder recorder)
    {
        var (succeeded, failed, p99) = recorder.Snapshot();
        var seconds = Math.Max(recorder.Elapsed.TotalSeconds, 0.001);
        return string.Create(CultureInfo.InvariantCulture, $"{seconds,5:0}s  commits {succeeded,9:N0} ({succeeded / seconds,7:0}/s)  errors {failed,6:N0}  p99 {p99,8:0.0} ms");
    }
}
