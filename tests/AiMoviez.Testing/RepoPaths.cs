namespace AiMoviez.Testing;

public static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    /// <summary>Debug or Release: the configuration this test assembly was built in, so services match it.</summary>
    public static string Configuration { get; } =
        new DirectoryInfo(AppContext.BaseDirectory.TrimEnd('/')).Parent!.Name;

    public static string RegionsFile => Path.Combine(Root, "regions", "regions.json");

    /// <summary>The built dll of one of our services, e.g. ("edge", "AiMoviez.Edge").</summary>
    public static string ServiceDll(string folder, string assembly)
    {
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
