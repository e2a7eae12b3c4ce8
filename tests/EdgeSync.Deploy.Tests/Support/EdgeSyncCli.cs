using EdgeSync.Cli;

namespace EdgeSync.Deploy.Tests.Support;

/// <summary>Runs <c>edgesync</c> in-process and captures what a user would see.</summary>
public static class EdgeSyncCli
{
    public sealed record Result(int ExitCode, string Out, string Error);

    public static Result Run(params string[] args)
    {
        using var stdout = new StringWriter { NewLine = "\n" };
        using var stderr = new StringWriter { NewLine = "\n" };
        int code = CliApp.Run(args, stdout, stderr, TestContext.Current.CancellationToken);
        return new Result(code, stdout.ToString(), stderr.ToString());
    }

    /// <summary>Renders an inventory into <paramref name="outDir"/>, asserting success.</summary>
    public static void Render(string inventory, string outDir)
    {
        var result = Run("k8s", "render", "--inventory", inventory, "--out", outDir);
        Assert.True(result.ExitCode == 0, $"render failed ({result.ExitCode}): {result.Error}");
    }
}
