using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using EdgeSync.Cli.Commands;
using EdgeSync.Cli.Internal;
using EdgeSync.Errors;
using Microsoft.Data.Sqlite;

namespace EdgeSync.Cli;

/// <summary>
/// The <c>edgesync</c> command line, callable in-process: parses <c>args</c>, runs the command, writes to the given
/// writers, and returns an exit code from <see cref="ExitCodes"/>. Errors become one line on
/// <c>stderr</c> (<c>edgesync: message</c>), never a stack trace.
/// </summary>
public static class CliApp
{
    /// <summary>Runs one command line and returns its exit code.</summary>
    /// <param name="args">The arguments after the program name, e.g. <c>["status", "--db", "a.db"]</c>.</param>
    /// <param name="stdout">Where results and help go.</param>
    /// <param name="stderr">Where errors go.</param>
    /// <param name="cancellationToken">Cancels a running command (Ctrl-C); the command stops promptly and returns <see cref="ExitCodes.Cancelled"/>.</param>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);

        var context = new CliContext(stdout, stderr, cancellationToken);
        var parseResult = BuildRootCommand(context).Parse(args);
        if (parseResult.Action is ParseErrorAction)
        {
            string helpHint = parseResult.CommandResult.Command is RootCommand ? "edgesync --help" : $"edgesync {parseResult.CommandResult.Command.Name} --help";
            foreach (var error in parseResult.Errors)
            {
                stderr.WriteLine($"edgesync: {error.Message} (see '{helpHint}')");
            }

            return ExitCodes.UsageError;
        }

        try
        {
            return parseResult.Invoke(new InvocationConfiguration
            {
                Output = stdout,
                Error = stderr,
                EnableDefaultExceptionHandler = false,
                ProcessTerminationTimeout = null,
            });
        }
        catch (Exception e)
        {
            var (code, message) = ToExitCode(e, cancellationToken);
            stderr.WriteLine($"edgesync: {message}");
            return code;
        }
    }

    private static RootCommand BuildRootCommand(CliContext context)
    {
        var root = new RootCommand(
            "EdgeSync: incremental, conflict-free sync of SQLite databases across the replicas of edge clusters.\n"
            + "Start with 'edgesync demo': a local fleet of replicas writing concurrently and converging, no setup.")
        {
            InitCommand.Create(context),
            StatusCommand.Create(context),
            ConflictsCommand.Create(context),
            SchemaCommand.Create(context),
            SyncCommand.Create(context),
            VerifyCommand.Create(context),
            ServeCommand.Create(context),
            BackupCommand.Create(context),
            RestoreCommand.Create(context),
            DemoCommand.Create(context),
            K8sCommand.Create(context),
            CertsCommand.Create(context),
            PeersCommand.Create(context),
        };
        foreach (var help in root.Options.OfType<HelpOption>())
        {
            if (help.Action is HelpAction standard)
            {
                help.Action = new HelpWithExitCodesAction(standard);
            }
        }

        return root;
    }

    /// <summary>Maps an exception to an exit code and one line a user can act on.</summary>
    private static (int Code, string Message) ToExitCode(Exception e, CancellationToken cancellationToken) => e switch
    {
        OperationCanceledException when cancellationToken.IsCancellationRequested => (ExitCodes.Cancelled, "cancelled"),
        CliException cli => (cli.ExitCode, cli.Message),
        StorageException storage => (ExitCodes.IoError, storage.Message),
        EdgeSyncException edgeSync => (ExitCodes.EdgeSyncError, edgeSync.Message),
        SqliteException sqlite => (ExitCodes.IoError, $"SQLite error: {sqlite.Message}"),
        Grpc.Core.RpcException rpc => (ExitCodes.IoError, $"peer error ({rpc.StatusCode}): {rpc.Status.Detail}"),
        IOException or UnauthorizedAccessException or InvalidDataException => (ExitCodes.IoError, e.Message),
        _ => (ExitCodes.InternalError, $"internal error ({e.GetType().Name}): {e.Message}; this is a bug, please report it with the command line"),
    };
}
