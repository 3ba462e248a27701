namespace AiMoviez.Perf.Report;

/// <summary>The ratios the issue asks for, from whichever scenarios this run has.</summary>
public static class RatioCalculator
{
    public static IReadOnlyList<Ratio> From(IReadOnlyList<ScenarioResult> scenarios)
    {
        var baseline = Metric(scenarios, "baseline", MetricNames.BaselineVotesPerSecond);
        var healthz = Metric(scenarios, "limits", MetricNames.HealthzPerSecond);
        var copy = Metric(scenarios, "limits", MetricNames.CopyRowsPerSecond);
        var ratios = new List<Ratio>();
        foreach (var voteScenario in new[] { "sustained", "burst", "mixed" })
        {
            if (Metric(scenarios, voteScenario, MetricNames.AcceptedPerSecond) is not { } accepted)
            {
                continue;
            }

            Add(ratios, $"{voteScenario} / baseline", accepted, baseline,
                "accepted votes/s of the gateway over synchronous one-transaction-per-vote PostgreSQL votes/s (above 1: the new design is faster)");
            Add(ratios, $"{voteScenario} / healthz ceiling", accepted, healthz,
                "accepted votes/s over the plaintext /healthz requests/s one edge serves: the share of the HTTP ceiling a vote costs");
            Add(ratios, $"{voteScenario} / COPY ceiling", accepted, copy,
                "accepted votes/s over binary-COPY rows/s into an identical votes table: the share of the database ceiling used");
        }

        Add(ratios, "baseline / COPY ceiling", baseline, copy, "one-transaction-per-vote rate as a share of the batched COPY rate (its inverse is what batching buys)");
        return ratios;
    }

    private static void Add(List<Ratio> ratios, string name, double? numerator, double? denominator, string meaning)
    {
        if (numerator is { } n && denominator is { } d && d > 0)
        {
            ratios.Add(new Ratio(name, Math.Round(n / d, 4), meaning));
        }
    }

    private static double? Metric(IReadOnlyList<ScenarioResult> scenarios, string scenario, string metric) =>
        scenarios.FirstOrDefault(s => s.Name == scenario && s.Error is null)?.Metrics.TryGetValue(metric, out var value) == true ? value : null;
}
