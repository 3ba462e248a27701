using AiMoviez.Contracts;
using Microsoft.Extensions.Configuration;

namespace AiMoviez.ServiceDefaults;

/// <summary>The topology every service starts from: <c>Topology:Path</c>, else <c>regions/regions.json</c> found by walking up from the executable.</summary>
public static class TopologyLocator
{
    public const string PathKey = "Topology:Path";

    public static Topology Load(IConfiguration configuration)
    {
        var path = configuration[PathKey];
        return TopologyFile.Load(string.IsNullOrWhiteSpace(path) ? FindDefault() : path);
    }

    private static string FindDefault()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "regions", "regions.json");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException($"{PathKey} is not set and no regions/regions.json was found above {AppContext.BaseDirectory}.");
    }
}
