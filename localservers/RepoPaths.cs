namespace AiMoviez.LocalServers;

public static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    /// <summary>Debug or Release: the configuration the running program was built in, so services match it.</summary>
    public static string Configuration { get; } =
        new DirectoryInfo(AppContext.BaseDirectory.TrimEnd('/')).Parent!.Name;

    public static string RegionsFile => Path.Combine(Root, "regions", "regions.json");

    /// <summary>
    /// Where <c>./aimoviez</c> publishes the services (<c>.aimoviez/bin</c>, the edge and the aggregator as Native AOT
    /// executables); when set, services run from there instead of from the build output.
    /// </summary>
    public const string PublishedServicesVariable = "AIMOVIEZ_SERVICE_BIN";

    /// <summary>
    /// The program of one of our services, e.g. ("edge", "AiMoviez.Edge"): its published executable (or dll) under
    /// <see cref="PublishedServicesVariable"/> when that is set, else the dll the build made.
    /// </summary>
    public static string ServiceProgram(string folder, string assembly)
    {
        if (Environment.GetEnvironmentVariable(PublishedServicesVariable) is { Length: > 0 } published)
        {
            var executable = Path.Combine(published, folder, assembly);
            var dll = executable + ".dll";
            return File.Exists(executable) ? executable
                : File.Exists(dll) ? dll
                : throw new FileNotFoundException($"Neither {executable} nor {dll} is published ({PublishedServicesVariable}={published}).", executable);
        }

        var path = Path.Combine(Root, folder, "bin", Configuration, "net10.0", assembly + ".dll");
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{path} is not built; build the solution first.", path);
        }

        return path;
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "AiMoviez.sln")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException("AiMoviez.sln not found above " + AppContext.BaseDirectory);
    }
}
