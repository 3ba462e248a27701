using AiMoviez.Contracts;

namespace AiMoviez.Edge.Infrastructure;

/// <summary>Finds and loads regions.json (config <c>Topology:Path</c>, else found by walking up from the executable).</summary>
public static class EdgeTopology
{
    public static Topology Load(IConfiguration configuration)
    {
        var configured = configuration["Topology:Path"];
        return TopologyFile.Load(string.IsNullOrWhiteSpace(configured) ? FindDefault() : configured);
    }

    private static string FindDefault()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            foreach (var candidate in new[] { Path.Combine(dir.FullName, "regions", "regions.json"), Path.Combine(dir.FullName, "regions.json") })
            {
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }
        }

        throw new FileNotFoundException(
            $"Topology:Path is not set and no regions/regions.json was found above {AppContext.BaseDirectory}.");
    }
}
