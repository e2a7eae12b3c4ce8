using EdgeSync.Cli.Tests.Support;

namespace EdgeSync.Cli.Tests.Commands;

public sealed class CliAppTests
{
    [Fact]
    public void NoCommand_IsUsageError()
    {
        var result = CliRunner.Run();

        Assert.Equal(ExitCodes.UsageError, result.ExitCode);
        Assert.Equal("edgesync: Required command was not provided. (see 'edgesync --help')", result.Stderr.Trim());
    }

    [Fact]
    public void UnknownCommand_IsUsageError()
    {
        var result = CliRunner.Run("frobnicate");

        Assert.Equal(ExitCodes.UsageError, result.ExitCode);
        Assert.Contains("frobnicate", result.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--help")]
    [InlineData("sync", "--help")]
    [InlineData("demo", "-h")]
    public void Help_ListsTheExitCodes(params string[] args)
    {
        var result = CliRunner.Run(args);

        Assert.Equal(ExitCodes.Ok, result.ExitCode);
        Assert.Contains("Exit codes:", result.StdoutLines);
        Assert.Contains("2    usage error (unknown command or option, missing or malformed value)", result.StdoutLines);
        Assert.Contains("4    I/O or SQLite error (file missing, locked, read-only or corrupt)", result.StdoutLines);
    }

    [Fact]
    public void SyncHelp_OffersBothARunningAgentAndALocalFile()
    {
        var result = CliRunner.Run("sync", "--help");

        Assert.Contains("--peer", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("--with", result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void HelpRequestedWithMissingRequiredOption_ShowsHelp()
    {
        var result = CliRunner.Run("status", "--help");

        Assert.Equal(ExitCodes.Ok, result.ExitCode);
        Assert.Contains("--db <PATH>", result.Stdout, StringComparison.Ordinal);
    }
}
