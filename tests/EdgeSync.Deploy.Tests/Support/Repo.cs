namespace EdgeSync.Deploy.Tests.Support;

/// <summary>Paths in the repository under test (found from the test binary upwards by <c>EdgeSync.slnx</c>).</summary>
public static class Repo
{
    public static string Root { get; } = FindRoot();

    public static string Deploy => Path.Combine(Root, "deploy");

    public static string FleetExample => Path.Combine(Deploy, "examples", "fleet.yaml");

    public static string Monitoring => Path.Combine(Deploy, "monitoring");

    public static string File(params string[] parts) => Path.Combine([Root, .. parts]);

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (System.IO.File.Exists(Path.Combine(dir.FullName, "EdgeSync.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"no EdgeSync.slnx above {AppContext.BaseDirectory}");
    }
}
