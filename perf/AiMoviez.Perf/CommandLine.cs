using System.Globalization;

namespace AiMoviez.Perf;

/// <summary>Parses `scenario [--option value]...` into <see cref="PerfOptions"/>; unknown input is an error, never ignored.</summary>
public static class CommandLine
{
    public static readonly IReadOnlyList<string> Scenarios = ["sustained", "burst", "mixed", "baseline", "limits", "bench"];

    public const string Usage = """
        usage: AiMoviez.Perf <scenario> [options]
          scenarios: sustained | burst | mixed | baseline | limits | bench (sustained + baseline + limits)
          --rate N            target votes (or operations) per second, open model (sustained, mixed)
          --duration S        seconds of load
          --votes N           votes to send (burst; default 1,000,000)
          --voters N          distinct simulated voters
          --clips N           clips of the run's own season (default 12); with --season-id, use only the first N
                              votable clips (sorted by id; the first is the hot one)
          --regions a,b       edges to spread load over (default: every region in the topology)
          --hot-share F       share of votes the hot clip takes (default 0.3)
          --concurrency N     requests in flight (open model: ceiling; closed model: workers)
          --season-id ID      vote in this active season (default: the run creates, activates and at its end deletes
                              its own season, with one slot of 24 h)
          --topology PATH     topology file (default: <repo>/regions/regions.json)
          --state DIR         the stack's state folder, for pid files (default: <repo>/.aimoviez)
          --out DIR           results root (default: <repo>/perf/results); a <timestamp>/ folder is made in it
          --admin-token JWT   admin token for the run's own season and the pipeline view (default: `./aimoviez token --admin`)
          --creator-token JWT user token the run's own clips are created with (default: `./aimoviez token --user bench-creator`)
          --receipt-sample N  receipts polled after a run (default 50,000; the shard check covers every vote)
          --drain-timeout S   longest wait for tallies to become exact (default 120)
          --captcha on|off    on: the run turns require_captcha_voting on for its length (off again at its end) and
                              every vote carries its own dev-pass token, as the local stack's verifier expects
        """;

    public static PerfOptions Parse(IReadOnlyList<string> args, string repoRoot)
    {
        if (args.Count == 0 || !Scenarios.Contains(args[0]))
        {
            throw new UsageException(args.Count == 0 ? "No scenario given." : $"Unknown scenario '{args[0]}'.");
        }

        var options = new PerfOptions
        {
            Scenario = args[0],
            TopologyPath = Path.Combine(repoRoot, "regions", "regions.json"),
            RepoRoot = repoRoot,
            OutDirectory = Path.Combine(repoRoot, "perf", "results"),
        };

        for (var i = 1; i < args.Count; i += 2)
        {
            var name = args[i];
            if (i + 1 >= args.Count)
            {
                throw new UsageException($"Option '{name}' needs a value.");
            }

            var value = args[i + 1];
            options = name switch
            {
                "--rate" => options with { Rate = Positive(name, ParseDouble(name, value)) },
                "--duration" => options with { DurationSeconds = Positive(name, ParseDouble(name, value)) },
                "--votes" => options with { Votes = Positive(name, ParseInt(name, value)) },
                "--voters" => options with { Voters = Positive(name, ParseInt(name, value)) },
                "--clips" => options with { Clips = Positive(name, ParseInt(name, value)) },
                "--regions" => options with { Regions = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) },
                "--hot-share" => options with { HotShare = Share(name, ParseDouble(name, value)) },
                "--concurrency" => options with { Concurrency = Positive(name, ParseInt(name, value)) },
                "--season-id" => options with { SeasonId = Guid.TryParse(value, out var id) ? id : throw new UsageException($"{name}: '{value}' is not a UUID.") },
                "--topology" => options with { TopologyPath = Path.GetFullPath(value) },
                "--state" => options with { StateDirectory = Path.GetFullPath(value) },
                "--out" => options with { OutDirectory = Path.GetFullPath(value) },
                "--admin-token" => options with { AdminToken = value },
                "--creator-token" => options with { CreatorToken = value },
                "--receipt-sample" => options with { ReceiptSample = Positive(name, ParseInt(name, value)) },
                "--drain-timeout" => options with { DrainTimeoutSeconds = Positive(name, ParseDouble(name, value)) },
                "--captcha" => options with
                {
                    Captcha = value switch { "on" => true, "off" => false, _ => throw new UsageException($"{name}: '{value}' is not on or off.") },
                },
                _ => throw new UsageException($"Unknown option '{name}'."),
            };
        }

        return options;
    }

    private static double ParseDouble(string name, string value) =>
        double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed)
            ? parsed
            : throw new UsageException($"{name}: '{value}' is not a number.");

    private static int ParseInt(string name, string value) =>
        int.TryParse(value.Replace("_", "", StringComparison.Ordinal), NumberStyles.Integer, CultureInfo.InvariantCulture, out var parsed)
            ? parsed
            : throw new UsageException($"{name}: '{value}' is not an integer.");

    private static T Positive<T>(string name, T value) where T : System.Numerics.INumber<T> =>
        value > T.Zero ? value : throw new UsageException($"{name} must be positive.");

    private static double Share(string name, double value) =>
        value is > 0 and < 1 ? value : throw new UsageException($"{name} must be between 0 and 1 (exclusive).");
}

public sealed class UsageException(string message) : Exception(message);
