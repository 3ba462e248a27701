using System.Globalization;
using System.Net;
using System.Text;
using AiMoviez.Perf.Load;

namespace AiMoviez.Perf.Report;

/// <summary>
/// A self-contained HTML page (inline CSS and SVG, no scripts, no network) with throughput and latency over time per
/// scenario and every table of the console report.
/// </summary>
public static class HtmlReport
{
    private const int Width = 860;
    private const int Height = 240;
    private const int Margin = 48;

    private sealed record Series(string Name, string Color, IReadOnlyList<double?> Values);

    public static string Render(RunReport report)
    {
        var html = new StringBuilder();
        var m = report.Machine;
        html.Append("<!doctype html><html><head><meta charset=\"utf-8\"><title>AiMoviez perf ").Append(E(report.RunId)).Append("</title><style>")
            .Append("body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222;max-width:1000px}h2{margin-top:32px;border-bottom:1px solid #ccc}")
            .Append("table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ddd;padding:3px 8px;text-align:right}th{background:#f4f4f4}")
            .Append("td:first-child,th:first-child{text-align:left}.ok{color:#1a7f37}.bad{color:#cf222e;font-weight:bold}svg{background:#fcfcfc;border:1px solid #eee}")
            .Append("</style></head><body>");
        html.Append("<h1>AiMoviez perf run ").Append(E(report.RunId)).Append(" <span class=\"").Append(report.Passed ? "ok\">PASSED" : "bad\">FAILED").Append("</span></h1>");
        html.Append("<p>").Append(E($"{report.StartedAt:u} — {m.Cores} cores, {m.CpuModel}, {m.MemoryGb} GB RAM, {m.Os}, {m.Runtime}, {m.StateAtStart()}")).Append("<br><code>")
            .Append(E(report.Command)).Append("</code></p>");

        if (report.Ratios.Count > 0)
        {
            html.Append("<h2>Ratios</h2>");
            Table(html, ["ratio", "value", "meaning"], report.Ratios.Select(r => new[] { r.Name, N(r.Value, "0.0000"), r.Meaning }));
        }

        foreach (var scenario in report.Scenarios)
        {
            html.Append("<h2>").Append(E(scenario.Name)).Append(" <span class=\"").Append(scenario.Passed ? "ok\">ok" : "bad\">FAILED").Append("</span></h2>");
            if (scenario.Error is not null)
            {
                html.Append("<p class=\"bad\">").Append(E(scenario.Error)).Append("</p>");
            }

            html.Append("<p>").Append(E(string.Join(", ", scenario.Settings.Select(s => $"{s.Key}={s.Value}")))).Append("</p>");
            Table(html, ["metric", "value"], scenario.Metrics.Select(kv => new[] { kv.Key, N(kv.Value, "0.###") }));
            if (scenario.Operations.Count > 0)
            {
                Table(html, ["operation", "count", "ok/s", "p50 ms", "p90 ms", "p99 ms", "p99.9 ms", "max ms", "outcomes"],
                    scenario.Operations.Select(o => new[]
                    {
                        o.Operation, N(o.Count, "0"), N(o.SucceededPerSecond, "0.0"), N(o.P50Ms, "0.000"), N(o.P90Ms, "0.000"),
                        N(o.P99Ms, "0.000"), N(o.P999Ms, "0.000"), N(o.MaxMs, "0.0"), string.Join(", ", o.Outcomes.Select(x => $"{x.Key} ×{x.Value}")),
                    }));
            }

            if (scenario.Timeline.Count > 1)
            {
                Charts(html, scenario.Timeline);
            }

            if (scenario.Verification is { } v)
            {
                html.Append("<h3>Verification <span class=\"").Append(v.Passed ? "ok\">passed" : "bad\">failed").Append("</span></h3>");
                Table(html, ["accepted", "counted", "rejected", "revoked", "missing", "not ours", "receipts checked", "receipts final", "drain s (public)", "drain s (shard)"],
                    [[N(v.Accepted, "0"), N(v.Counted, "0"), N(v.Rejected, "0"), N(v.Revoked, "0"), N(v.MissingInShard, "0"),
                      N(v.ForeignVotes, "0"), N(v.ReceiptsChecked, "0"), N(v.ReceiptsFinal, "0"), v.DrainSeconds is { } d ? N(d, "0.000") : "never",
                      v.ShardDrainSeconds is { } s ? N(s, "0.000") : "never"]]);
                List(html, "bad", v.Problems);
                List(html, "", v.Notes);
            }

            if (scenario.Processes.Count > 0)
            {
                html.Append("<h3>Processes (100 % = one core)</h3>");
                Table(html, ["process", "pid", "cpu avg %", "cpu peak %", "rss peak MB", "pss peak MB"],
                    scenario.Processes.Select(p => new[] { p.Name, N(p.Pid, "0"), N(p.AverageCpuPercent, "0.0"), N(p.PeakCpuPercent, "0.0"), N(p.PeakRssMb, "0.0"), N(p.PeakPssMb, "0.0") }));
            }

            if (scenario.CpuPerVote is { } cpu)
            {
                Cpu(html, cpu);
            }

            if (scenario.RuntimePerVote is { Processes.Count: > 0 } runtime)
            {
                Runtime(html, runtime);
            }

            List(html, "", scenario.Notes);
        }

        html.Append("</body></html>\n");
        return html.ToString();
    }

    private static void Cpu(StringBuilder html, CpuPerVote cpu)
    {
        html.Append("<h3>CPU per accepted vote</h3><p>").Append(E(string.Create(CultureInfo.InvariantCulture,
            $"Over the load window ({cpu.WindowSeconds:0.0} s, {cpu.AcceptedVotes:N0} accepted votes): each process's CPU time (every thread and child) divided by the votes the stack accepted."))).Append("</p>");
        var rows = cpu.Processes.Select(p => new[] { p.Name, p.Group, N(p.CpuSeconds, "0.00"), N(p.MicrosecondsPerVote, "0.0") }).ToList();
        rows.Add(["stack (load tool apart)", "", "", N(cpu.StackMicrosecondsPerVote, "0.0")]);
        if (cpu.LoadToolMicrosecondsPerVote is { } tool)
        {
            rows.Add(["load tool (perf)", "", "", N(tool, "0.0")]);
        }

        if (cpu.DashboardMicrosecondsPerVote is { } dashboard)
        {
            rows.Add(["dashboard (telemetry)", "", "", N(dashboard, "0.0")]);
        }

        if (cpu.MachineMicrosecondsPerVote is { } machine)
        {
            rows.Add(["machine (all processes)", "", "", N(machine, "0.0")]);
        }

        Table(html, ["process", "kind", "cpu s", "µs per vote"], rows);
        Table(html, ["kind", "µs per vote"], cpu.GroupMicrosecondsPerVote.OrderByDescending(g => g.Value).Select(g => new[] { g.Key, N(g.Value, "0.0") }));
        if (cpu.LeaderboardFold is { } fold)
        {
            html.Append("<p>").Append(E(string.Create(CultureInfo.InvariantCulture,
                $"With the leaderboards' fold: the rollup's processes from the load's start until the leaderboards held its votes ({fold.SecondsAfterLoad:0.0} s after the load), their idle rate (the lowest of {fold.IdleReadings} readings, before the load and after the fold, over {fold.IdleSeconds:0.0} s) taken out of the time after the load."))).Append("</p>");
            var foldRows = fold.Processes.Select(p => new[] { p.Name, p.Group, N(p.CpuSeconds, "0.00"), N(p.MicrosecondsPerVote, "0.0") }).ToList();
            foldRows.Add(["stack (load tool apart), with the fold", "", "", N(fold.StackMicrosecondsPerVote, "0.0")]);
            Table(html, ["process", "kind", "cpu s", "µs per vote"], foldRows);
        }

        if (cpu.Healthz is { } h)
        {
            html.Append("<p>Edges' CPU per GET /healthz, driven after the votes at their rate:</p>");
            Table(html, ["requests", "rate /s", "seconds", "edges µs per healthz", "edges µs per vote", "vote / healthz"],
                [[N(h.Requests, "0"), N(h.RatePerSecond, "0"), N(h.Seconds, "0.0"), N(h.EdgesMicrosecondsPerRequest, "0.0"),
                  N(h.EdgesMicrosecondsPerVote, "0.0"), h.VoteOverHealthz is { } r ? N(r, "0.00") : "—"]]);
        }
    }

    private static void Runtime(StringBuilder html, RuntimePerVote runtime)
    {
        html.Append("<h3>.NET runtime per accepted vote</h3><p>Over the load window, from each service's System.Runtime counters (GET /metrics).</p>");
        Table(html, ["process", "kind", "KB allocated per vote", "thread-pool work items per vote", "gen0 collections per 1,000 votes", "lock contentions per 1,000 votes"],
            runtime.Processes.Select(p => new[] { p.Name, p.Group, N(p.AllocatedKilobytesPerVote, "0.00"), N(p.WorkItemsPerVote, "0.00"),
                N(p.Gen0CollectionsPerThousandVotes, "0.00"), N(p.LockContentionsPerThousandVotes, "0.00") }));
    }

    private static void Charts(StringBuilder html, IReadOnlyList<TimelinePoint> timeline)
    {
        var seconds = timeline.Select(p => p.Second).ToList();
        Chart(html, "Throughput per second", "per s", seconds,
            [new Series("succeeded", "#1a7f37", timeline.Select(p => (double?)p.Succeeded).ToList()),
             new Series("failed", "#cf222e", timeline.Select(p => (double?)p.Failed).ToList())]);
        Chart(html, "Latency from intended send (ms)", "ms", seconds,
            [new Series("p50", "#0969da", timeline.Select(p => (double?)p.P50Ms).ToList()),
             new Series("p99", "#bf8700", timeline.Select(p => (double?)p.P99Ms).ToList())]);
        if (timeline.Any(p => p.TallyStalenessMs is not null))
        {
            Chart(html, "Public tally staleness (now − asOf)", "ms", seconds,
                [new Series("staleness", "#8250df", timeline.Select(p => p.TallyStalenessMs).ToList())]);
            Chart(html, "Accepted votes the public tally did not show yet", "votes", seconds,
                [new Series("votes behind", "#6e7781", timeline.Select(p => p.TallyBehindVotes is { } b ? (double?)b : null).ToList())]);
        }
    }

    private static void Chart(StringBuilder html, string title, string unit, IReadOnlyList<int> seconds, IReadOnlyList<Series> series)
    {
        var maxX = Math.Max(1, seconds.Max());
        var values = series.SelectMany(s => s.Values).Where(v => v is not null).Select(v => v!.Value).DefaultIfEmpty(1).ToList();
        // Votes behind can dip below zero (counted before the 202 arrived), so the axis starts at the lowest value.
        var minY = Math.Min(0, values.Min());
        var maxY = Math.Max(minY + 1e-9, values.Max() * 1.1);
        double X(int second) => Margin + (Width - 2 * Margin) * second / (double)maxX;
        double Y(double value) => Height - Margin - (Height - 2 * Margin) * (value - minY) / (maxY - minY);

        html.Append("<h3>").Append(E(title)).Append("</h3><svg width=\"").Append(Width).Append("\" height=\"").Append(Height)
            .Append("\" viewBox=\"0 0 ").Append(Width).Append(' ').Append(Height).Append("\" xmlns=\"http://www.w3.org/2000/svg\" font-size=\"11\">");
        for (var i = 0; i <= 4; i++)
        {
            var value = minY + (maxY - minY) * i / 4;
            var y = Y(value);
            html.Append(CultureInfo.InvariantCulture, $"<line x1=\"{Margin}\" y1=\"{y:0.0}\" x2=\"{Width - Margin}\" y2=\"{y:0.0}\" stroke=\"#e5e5e5\"/>")
                .Append(CultureInfo.InvariantCulture, $"<text x=\"{Margin - 4}\" y=\"{y + 4:0.0}\" text-anchor=\"end\">{E(N(value, Math.Abs(value) >= 100 ? "0" : "0.##"))}</text>");
        }

        for (var i = 0; i <= 5; i++)
        {
            var second = maxX * i / 5;
            html.Append(CultureInfo.InvariantCulture, $"<text x=\"{X(second):0.0}\" y=\"{Height - Margin + 16}\" text-anchor=\"middle\">{second}s</text>");
        }

        html.Append(CultureInfo.InvariantCulture, $"<text x=\"8\" y=\"14\">{E(unit)}</text>");
        for (var s = 0; s < series.Count; s++)
        {
            var points = string.Join(' ', seconds.Zip(series[s].Values)
                .Where(p => p.Second is not null)
                .Select(p => string.Create(CultureInfo.InvariantCulture, $"{X(p.First):0.0},{Y(p.Second!.Value):0.0}")));
            html.Append("<polyline fill=\"none\" stroke-width=\"1.5\" stroke=\"").Append(series[s].Color).Append("\" points=\"").Append(points).Append("\"/>")
                .Append(CultureInfo.InvariantCulture, $"<rect x=\"{Margin + 10 + s * 140}\" y=\"6\" width=\"10\" height=\"10\" fill=\"{series[s].Color}\"/>")
                .Append(CultureInfo.InvariantCulture, $"<text x=\"{Margin + 24 + s * 140}\" y=\"15\">{E(series[s].Name)}</text>");
        }

        html.Append("</svg>");
    }

    private static void Table(StringBuilder html, IReadOnlyList<string> headers, IEnumerable<IReadOnlyList<string>> rows)
    {
        html.Append("<table><tr>");
        foreach (var header in headers)
        {
            html.Append("<th>").Append(E(header)).Append("</th>");
        }

        html.Append("</tr>");
        foreach (var row in rows)
        {
            html.Append("<tr>");
            foreach (var cell in row)
            {
                html.Append("<td>").Append(E(cell)).Append("</td>");
            }

            html.Append("</tr>");
        }

        html.Append("</table>");
    }

    private static void List(StringBuilder html, string cssClass, IReadOnlyList<string> items)
    {
        if (items.Count == 0)
        {
            return;
        }

        html.Append("<ul class=\"").Append(cssClass).Append("\">");
        foreach (var item in items)
        {
            html.Append("<li>").Append(E(item)).Append("</li>");
        }

        html.Append("</ul>");
    }

    private static string N(double value, string format) => value.ToString(format, CultureInfo.InvariantCulture);

    private static string E(string text) => WebUtility.HtmlEncode(text);
}
