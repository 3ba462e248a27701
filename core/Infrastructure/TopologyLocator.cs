using AiMoviez.Contracts;

namespace AiMoviez.Core.Infrastructure;

public static class TopologyLocator
{
    /// <summary>Topology:Path, or regions/regions.json found by walking up from the executable's directory.</summary>
    public static Topology Load(IConfiguration configuration)
    {
        var path = configuration["Topology:Path"];
        if (string.IsNullOrWhiteSpace(path))
        {
            path = FindDefault() ?? throw new InvalidOperationException(
                "Topology:Path is not set and no regions/regions.json was found above " + AppContext.BaseDirectory);
        }

        return TopologyFile.Load(path);
    }

    private static string? FindDefault()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "regions", "regions.json");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }
}
