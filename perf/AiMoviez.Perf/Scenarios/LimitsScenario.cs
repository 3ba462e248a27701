using System.Diagnostics;
using System.Globalization;
using AiMoviez.Perf.Load;
using AiMoviez.Perf.Report;
using AiMoviez.Perf.Stack;
using Npgsql;
using NpgsqlTypes;

namespace AiMoviez.Perf.Scenarios;

/// <summary>
/// The physical ceilings on this machine, measured in the same run as the votes: how many plaintext GET /healthz
/// one edge answers over keep-alive connections (with this tool's own HTTP client, so the client cost is the same as
/// for votes), and how many rows a binary COPY writes into a table identical to the shard's votes table.
/// </summary>
public sealed class LimitsScenario(ScenarioContext context, double defaultHealthzSeconds = 10)
{
    private const string HealthzOperation = "healthz";
    private const long DefaultCopyRows = 1_000_000;
    private static readonly TimeSpan CopyTimeLimit = TimeSpan.FromSeconds(30);

    public async Task<ScenarioResult> RunAsync(CancellationToken cancellationToken)
    {
        var startedAt = DateTimeOffset.UtcNow;
        var notes = new List<string> { "healthz measured with this tool's own HTTP/2 client (prior knowledge, from 127.0.0.2), not wrk." };
        var metrics = new Dictionary<string, double>();
        var sampler = ProcessSampler.ForStack(context.Stack.Topology, context.Options.StateDirectoryOrDefault);
        using var background = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var sampling = sampler.RunAsync(TimeSpan.FromMinutes(3), background.Token);

        var edge = context.Stack.Edges[0];
        var healthzDuration = context.Options.DurationOr(defaultHealthzSeconds);
        var recorder = new LoadRecorder(HealthzOperation);
        recorder.Start();
        using var progressStop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var progress = ProgressDisplay.RunAsync("limits healthz", () => HealthzStatus(recorder), healthzDuration + TimeSpan.FromSeconds(30), progressStop.Token);
        var closed = new ClosedLoopSettings { Workers = context.Concurrency, MaxOperations = long.MaxValue, MaxDuration = healthzDuration };
        await ClosedLoopDriver.RunAsync(closed, async (intended, token) =>
        {
            var call = await context.Api.HealthzAsync(edge, token);
            recorder.Record(HealthzOperation, intended, call.Outcome, call.Succeeded);
            return true;
        }, cancellationToken);
        recorder.Stop();
        var healthz = recorder.Summarize().FirstOrDefault();
        metrics[MetricNames.HealthzPerSecond] = healthz?.SucceededPerSecond ?? 0;
        metrics["healthzP99Ms"] = healthz?.P99Ms ?? 0;

        await progressStop.CancelAsync();
        await progress;

        Console.WriteLine("[limits] binary COPY...");
        var (rows, seconds, durability) = await CopyAsync(cancellationToken);
        metrics[MetricNames.CopyRowsPerSecond] = Math.Round(rows / seconds, 1);
        metrics["copyRows"] = rows;
        metrics["copySeconds"] = Math.Round(seconds, 3);
        notes.Add($"COPY: {rows:N0} rows in {seconds:0.00} s into a temp table identical to the shard's votes (with its primary key), catalog PostgreSQL ({durability}).");
        Console.WriteLine($"[limits] healthz {metrics[MetricNames.HealthzPerSecond]:N0}/s, COPY {metrics[MetricNames.CopyRowsPerSecond]:N0} rows/s");
        await background.CancelAsync();
        await sampling;
        return new ScenarioResult
        {
            Name = "limits",
            StartedAt = startedAt,
            Seconds = Math.Round((DateTimeOffset.UtcNow - startedAt).TotalSeconds, 2),
            Settings = new Dictionary<string, string>
            {
                ["healthzEdge"] = $"{edge.Region} {edge.BaseUri}",
                ["healthzSeconds"] = healthzDuration.TotalSeconds.ToString(CultureInfo.InvariantCulture),
                ["healthzConnections"] = context.Concurrency.ToString(CultureInfo.InvariantCulture),
                ["copyRows"] = (context.Options.Votes ?? DefaultCopyRows).ToString(CultureInfo.InvariantCulture),
            },
            Metrics = metrics,
            Operations = recorder.Summarize(),
            Timeline = recorder.Timeline(),
            Processes = sampler.Summarize(),
            Notes = notes,
        };
    }

    private async Task<(long Rows, double Seconds, string Durability)> CopyAsync(CancellationToken cancellationToken)
    {
        var rowsWanted = context.Options.Votes ?? DefaultCopyRows;
        var builder = new NpgsqlConnectionStringBuilder(LoopbackGuard.CheckConnectionString(context.Stack.CatalogConnectionString))
        {
            Timeout = 10,
            CommandTimeout = 120,
            MaxPoolSize = 2,
        };
        await using var dataSource = NpgsqlDataSource.Create(builder.ConnectionString);
        var durability = await VotesTable.DurabilitySettingsAsync(dataSource, cancellationToken);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using (var create = new NpgsqlCommand(VotesTable.CreateSql("votes_copy", temporary: true), connection))
        {
            await create.ExecuteNonQueryAsync(cancellationToken);
        }

        // Rows are made before the clock starts, so the rate is the database's, not this tool's row generation.
        var plan = new VotePlan(new ClipDistribution(12, context.Options.HotShare), 250_000, rowsWanted, seed: 7);
        var clips = Enumerable.Range(0, 12).Select(_ => Guid.CreateVersion7()).ToArray();
        var voterKeys = new Dictionary<int, string>();
        var rows = new List<(Guid Clip, string VoterKey)>((int)rowsWanted);
        while (plan.TryNext(out var vote))
        {
            if (!voterKeys.TryGetValue(vote.VoterIndex, out var key))
            {
                voterKeys[vote.VoterIndex] = key = VotesTable.VoterKey(context.VoterAt(vote.VoterIndex));
            }

            rows.Add((clips[vote.ClipIndex], key));
        }

        var seasonId = Guid.CreateVersion7();
        var now = DateTime.UtcNow;
        var today = DateOnly.FromDateTime(now);
        var started = Stopwatch.GetTimestamp();
        long written = 0;
        await using (var importer = await connection.BeginBinaryImportAsync($"copy votes_copy ({VotesTable.Columns}) from stdin (format binary)", cancellationToken))
        {
            foreach (var (clip, voterKey) in rows)
            {
                if ((written & 0x3FFF) == 0 && Stopwatch.GetElapsedTime(started) > CopyTimeLimit)
                {
                    break;
                }

                await importer.StartRowAsync(cancellationToken);
                await importer.WriteAsync(Guid.CreateVersion7(), NpgsqlDbType.Uuid, cancellationToken);
                await importer.WriteAsync(seasonId, NpgsqlDbType.Uuid, cancellationToken);
                await importer.WriteAsync(1, NpgsqlDbType.Integer, cancellationToken);
                await importer.WriteAsync(clip, NpgsqlDbType.Uuid, cancellationToken);
                await importer.WriteAsync(clip, NpgsqlDbType.Uuid, cancellationToken);
                await importer.WriteAsync(voterKey, NpgsqlDbType.Text, cancellationToken);
                await importer.WriteAsync("standard", NpgsqlDbType.Text, cancellationToken);
                await importer.WriteAsync(1, NpgsqlDbType.Integer, cancellationToken);
                await importer.WriteAsync("limits", NpgsqlDbType.Text, cancellationToken);
                await importer.WriteAsync(0, NpgsqlDbType.Integer, cancellationToken);
                await importer.WriteAsync(false, NpgsqlDbType.Boolean, cancellationToken);
                await importer.WriteAsync(now, NpgsqlDbType.TimestampTz, cancellationToken);
                await importer.WriteAsync(today, NpgsqlDbType.Date, cancellationToken);
                await importer.WriteAsync("counted", NpgsqlDbType.Text, cancellationToken);
                await importer.WriteNullAsync(cancellationToken);
                await importer.WriteAsync(now, NpgsqlDbType.TimestampTz, cancellationToken);
                written++;
            }

            await importer.CompleteAsync(cancellationToken);
        }

        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        await using (var drop = new NpgsqlCommand("drop table votes_copy", connection))
        {
            await drop.ExecuteNonQueryAsync(cancellationToken);
        }

        return (written, seconds, durability);
    }

    private static string HealthzStatus(LoadRecorder recorder)
    {
        var (succeeded, failed, p99) = recorder.Snapshot();
        var seconds = Math.Max(recorder.Elapsed.TotalSeconds, 0.001);
        return string.Create(CultureInfo.InvariantCulture, $"{seconds,5:0}s  200s {succeeded,9:N0} ({succeeded / seconds,7:0}/s)  errors {failed,6:N0}  p99 {p99,8:0.00} ms");
    }
}
