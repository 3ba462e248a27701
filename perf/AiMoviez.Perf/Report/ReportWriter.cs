using System.Text.Json;

namespace AiMoviez.Perf.Report;

/// <summary>Writes report.json and index.html into perf/results/&lt;timestamp&gt;/.</summary>
public static class ReportWriter
{
    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static async Task<string> WriteAsync(RunReport report, string resultsRoot, CancellationToken cancellationToken)
    {
        var directory = Path.Combine(resultsRoot, report.StartedAt.UtcDateTime.ToString("yyyyMMdd-HHmmss", System.Globalization.CultureInfo.InvariantCulture));
        Directory.CreateDirectory(directory);
        await File.WriteAllTextAsync(Path.Combine(directory, "report.json"), JsonSerializer.Serialize(report, JsonOptions), cancellationToken);
        await File.WriteAllTextAsync(Path.Combine(directory, "index.html"), HtmlReport.Render(report), cancellationToken);
        return directory;
    }
}
