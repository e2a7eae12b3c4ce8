using System.CommandLine;
using EdgeSync.Cli.Internal;
using EdgeSync.Schema;

namespace EdgeSync.Cli.Commands;

/// <summary><c>edgesync init</c>: sets up EdgeSync in an existing database and enables sync on its tables.</summary>
internal static class InitCommand
{
    public static Command Create(CliContext context)
    {
        var db = CommonOptions.Database("The existing SQLite database file (its tables must exist already).");
        var site = new Option<string>("--site")
        {
            Description = "This replica's site id, unique in the fleet (e.g. factory-001/sqlite-edge-0). Stored the first time; must match afterwards.",
            HelpName = "SITE",
            Required = true,
        };
        var tables = new Option<TableSpec[]>("--table")
        {
            Description = "A table to sync and its policy: NAME=append (immutable rows, e.g. telemetry) or NAME=lww "
                + "(last writer wins per column). Repeat for more tables.",
            HelpName = "NAME=POLICY",
            Required = true,
            Arity = ArgumentArity.OneOrMore,
            CustomParser = TableSpec.ParseAll,
        };
        var command = new Command("init", "Set up EdgeSync in a SQLite database and enable sync on tables. Safe to run again (adds tables; "
            + "a table keeps its policy).")
        {
            db, site, tables,
        };
        command.SetAction(parsed => Run(context, parsed.GetRequiredValue(db), parsed.GetRequiredValue(site), parsed.GetRequiredValue(tables)));
        return command;
    }

    private static int Run(CliContext context, string path, string site, TableSpec[] tables)
    {
        Databases.RequireFile(path);
        using var db = SyncDatabase.Open(path, new SyncDatabaseOptions { SiteId = site }, context.CancellationToken);
        var before = db.Tables.Select(t => t.Name).ToHashSet(StringComparer.OrdinalIgnoreCase);
        foreach (var spec in tables)
        {
            context.CancellationToken.ThrowIfCancellationRequested();
            var info = db.EnableTable(spec.Name, spec.Policy);
            string what = before.Contains(info.Name) ? "already enabled" : "enabled";
            context.Out.WriteLine($"{what} {info.Name}: policy {info.Policy.ToName()}, capture {info.Mode.ToName()}");
        }

        return ExitCodes.Ok;
    }
}
