using AiMoviez.Contracts;

namespace AiMoviez.Edge.Infrastructure;

/// <summary>
/// Finds and loads regions.json (config <c>Topology:Path</c>, else found by walking up from the executable) and the
/// region this edge serves (config <c>Edge:Region</c>).
/// </summary>
public static class EdgeTopology
{
    public static (Topology Topology, RegionTopology Region) Load(IConfiguration configuration)
    {
        var configured = configuration["Topology:Path"];
        var topology = TopologyFile.Load(string.IsNullOrWhiteSpace(configured) ? FindDefault() : configured);
        var name = configuration[$"{EdgeOptions.Section}:{nameof(EdgeOptions.Region)}"];
        var region = string.IsNullOrEmpty(name)
            ? throw new InvalidOperationException("Edge:Region is not set; it must name a region of the topology.")
            : topology.Regions.FirstOrDefault(r => r.Name == name)
              ?? throw new InvalidOperationException($"Edge:Region '{name}' is not a region of the topology.");
        return (topology, region);
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
