using AiMoviez.Contracts;
using AiMoviez.ServiceDefaults;

namespace AiMoviez.Edge.Infrastructure;

/// <summary>The topology (see <see cref="TopologyLocator"/>) and the region this edge serves (config <c>Edge:Region</c>).</summary>
internal static class EdgeTopology
{
    public static (Topology Topology, RegionTopology Region) Load(IConfiguration configuration)
    {
        var topology = TopologyLocator.Load(configuration);
        var name = configuration[$"{EdgeOptions.Section}:{nameof(EdgeOptions.Region)}"];
        var region = string.IsNullOrEmpty(name)
            ? throw new InvalidOperationException("Edge:Region is not set; it must name a region of the topology.")
            : topology.Regions.FirstOrDefault(r => r.Name == name)
              ?? throw new InvalidOperationException($"Edge:Region '{name}' is not a region of the topology.");
        return (topology, region);
    }
}
