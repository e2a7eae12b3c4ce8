using System.Text.RegularExpressions;
using EdgeSync.Deploy.Tests.Support;

namespace EdgeSync.Deploy.Tests.Manifests;

/// <summary>
/// No container engine runs the suite, so the Dockerfile is checked by reading it: two stages (SDK build, ASP.NET
/// runtime), a numeric non-root USER matching the StatefulSet's runAsUser, the entrypoint, and that every path it
/// copies from the repository exists.
/// </summary>
public sealed partial class DockerfileTests
{
    private static readonly string[] Lines = File.ReadAllLines(Path.Combine(Repo.Deploy, "Dockerfile"));

    [Fact]
    public void Dockerfile_BuildsWithTheSdkAndRunsOnTheAspNetRuntime()
    {
        var stages = Lines.Where(l => l.StartsWith("FROM ", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, stages.Count);
        Assert.Matches("^FROM mcr.microsoft.com/dotnet/sdk:.* AS build$", stages[0]);
        Assert.Matches("^FROM mcr.microsoft.com/dotnet/aspnet:.* AS runtime$", stages[1]);
        Assert.Contains(Lines, l => l.StartsWith("COPY --from=build ", StringComparison.Ordinal));
    }

    [Fact]
    public void Dockerfile_RunsAsTheNonRootUserTheStatefulSetExpects()
    {
        var user = Lines.Last(l => l.StartsWith("USER ", StringComparison.Ordinal));
        var uid = user["USER ".Length..].Split(':')[0];
        Assert.True(int.TryParse(uid, out int n) && n != 0, $"USER must be numeric and not root: {user}");
        string statefulSet = File.ReadAllText(Path.Combine(Repo.Deploy, "base", "statefulset.yaml"));
        Assert.Contains($"runAsUser: {uid}", statefulSet, StringComparison.Ordinal);
        Assert.Contains($"fsGroup: {uid}", statefulSet, StringComparison.Ordinal);
    }

    [Fact]
    public void Dockerfile_EntrypointServesAndTheInitContainerPathExists()
    {
        Assert.Contains("ENTRYPOINT [\"/app/edgesync\", \"serve\"]", Lines);
        Assert.Contains(Lines, l => l.Contains("-o /app", StringComparison.Ordinal));
        Assert.Contains(Lines, l => l.StartsWith("ENV TMPDIR=/tmp", StringComparison.Ordinal));
        string statefulSet = File.ReadAllText(Path.Combine(Repo.Deploy, "base", "statefulset.yaml"));
        Assert.Contains("command: [\"/app/edgesync\"]", statefulSet, StringComparison.Ordinal);
    }

    [Fact]
    public void Dockerfile_EveryCopiedRepositoryPathExists()
    {
        int copied = 0;
        foreach (var line in Lines.Where(l => l.StartsWith("COPY ", StringComparison.Ordinal) && !l.Contains("--from=", StringComparison.Ordinal)))
        {
            var parts = line["COPY ".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries).Where(p => !p.StartsWith("--", StringComparison.Ordinal)).ToList();
            foreach (var source in parts.SkipLast(1))
            {
                string path = Path.Combine(Repo.Root, source.TrimEnd('/'));
                Assert.True(File.Exists(path) || Directory.Exists(path), $"Dockerfile copies '{source}', which does not exist in the repository");
                copied++;
            }
        }

        Assert.True(copied >= 10);
        var publish = Lines.Single(l => l.Contains("dotnet publish", StringComparison.Ordinal));
        string project = ProjectPath().Match(publish).Value;
        Assert.True(File.Exists(Path.Combine(Repo.Root, project)), project);
    }

    [GeneratedRegex(@"src/\S+\.csproj")]
    private static partial Regex ProjectPath();
}
