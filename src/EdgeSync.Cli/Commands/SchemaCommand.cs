using System.CommandLine;
using System.Text.Json;
using EdgeSync.Cli.Internal;
using EdgeSync.Schema;

namespace EdgeSync.Cli.Commands;

/// <summary>
/// <c>edgesync schema</c>: each synced table's schema version and drift (<c>show</c>), and migrations run through
/// EdgeSync (<c>apply</c>), all-or-nothing with capture. See docs/schema.md.
/// </summary>
internal static class SchemaCommand
{
    private static readonly string[] Header = ["TABLE", "VERSION", "STATE", "COLUMNS"];

    public static Command Create(CliContext context)
    {
        var command = new Command("schema", "Schema evolution of synced tables: show each table's schema version and any drift, "
            + "or apply a migration file with no write missed and nothing half-applied (docs/schema.md).")
        {
            Show(context),
            Apply(context),
            Forget(context),
            Publish(context),
            Allow(context),
        };
        return command;
    }

    private static Command Show(CliContext context)
    {
        var db = CommonOptions.Database();
        var json = CommonOptions.Json();
        var command = new Command("show", "Take any schema change made since the last capture and show each synced table's schema version, "
            + "whether sync carries it, values kept aside for columns this replica lacks, and the migrations applied. Exit code 1 when a table's "
            + "sync is stopped by a schema change or a column conflicts in type.")
        {
            db, json,
        };
        command.SetAction(parsed => RunShow(context, parsed.GetRequiredValue(db), parsed.GetValue(json)));
        return command;
    }

    private static Command Apply(CliContext context)
    {
        var db = CommonOptions.Database();
        var file = new Argument<FileInfo>("FILE") { Description = "A file of SQL statements (no BEGIN or COMMIT): the migration." };
        var name = new Option<string?>("--name")
        {
            Description = "The migration's name in the log (default: the file name). The same name and contents again is a no-op.",
            HelpName = "NAME",
        };
        var json = CommonOptions.Json();
        var command = new Command("apply", "Run a migration file in one transaction with capture: changes made before it are captured first, "
            + "capture is installed again after it, and a failure rolls all of it back.")
        {
            db, file, name, json,
        };
        command.SetAction(parsed => RunApply(context, parsed.GetRequiredValue(db), parsed.GetRequiredValue(file), parsed.GetValue(name), parsed.GetValue(json)));
        return command;
    }

    private static Command Publish(CliContext context)
    {
        var db = CommonOptions.Database("The hub's database (HQ): the migration flows down from it to every replica.");
        var file = new Argument<FileInfo>("FILE") { Description = "A file of SQL statements (no BEGIN or COMMIT): the migration." };
        var name = new Option<string?>("--name") { Description = "Its name in the fleet's log (default: the file name).", HelpName = "NAME" };
        var gate = CommonOptions.Integer("--gate", "Run it on a replica only once its application's gate reaches this (edgesync schema allow).", "N", 0, min: 0, max: int.MaxValue);
        var command = new Command("publish", "Publish a migration to the fleet's migration log: it flows down like configuration and each replica's "
            + "agent runs it (all or nothing) once that replica's application allows its gate.")
        {
            db, file, name, gate,
        };
        command.SetAction(parsed =>
        {
            var f = parsed.GetRequiredValue(file);
            if (!f.Exists)
            {
                throw new CliException(ExitCodes.UsageError, $"migration file '{f.FullName}' does not exist");
            }

            using var database = Databases.OpenInitialised(parsed.GetRequiredValue(db), context.CancellationToken);
            var migration = parsed.GetValue(name) ?? f.Name;
            database.PublishMigration(migration, File.ReadAllText(f.FullName), parsed.GetValue(gate));
            context.Out.WriteLine($"published migration '{migration}' (gate {parsed.GetValue(gate)}); replicas run it once their gate allows");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Allow(CliContext context)
    {
        var db = CommonOptions.Database();
        var gate = new Argument<int>("GATE") { Description = "The highest gate of published migrations this replica's application is ready for." };
        var command = new Command("allow", "Set this replica's gate (what the application does when it is ready for a schema version; "
            + "it may also write edgesync_schema_gate.allow itself): published migrations up to it run at the agent's next check.")
        {
            db, gate,
        };
        command.SetAction(parsed =>
        {
            using var database = Databases.OpenInitialised(parsed.GetRequiredValue(db), context.CancellationToken);
            database.SetSchemaGate(parsed.GetRequiredValue(gate));
            context.Out.WriteLine($"gate set to {parsed.GetRequiredValue(gate)}");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Forget(CliContext context)
    {
        var db = CommonOptions.Database();
        var table = new Argument<string>("TABLE") { Description = "The synced table to stop syncing here." };
        var command = new Command("forget", "Stop syncing a table here and forget its sync metadata (for a table dropped for good). "
            + "The table and its rows, if it still exists, are left as they are; other replicas keep their copy.")
        {
            db, table,
        };
        command.SetAction(parsed =>
        {
            using var database = Databases.OpenInitialised(parsed.GetRequiredValue(db), context.CancellationToken);
            var name = parsed.GetRequiredValue(table);
            database.ForgetTable(name);
            context.Out.WriteLine($"sync of table '{name}' forgotten here; enable it again with 'edgesync init --table {name}=POLICY' to sync it afresh");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static int RunShow(CliContext context, string path, bool json)
    {
        using var db = Databases.OpenInitialised(path, context.CancellationToken);
        var tables = db.CheckSchema();
        var migrations = db.GetMigrations();
        if (json)
        {
            JsonOutput.Write(context.Out, w =>
            {
                w.WriteStartObject();
                w.WriteString("database", db.Path);
                WriteTables(w, tables);
                w.WriteStartArray("migrations");
                foreach (var m in migrations)
                {
                    w.WriteStartObject();
                    w.WriteString("name", m.Name);
                    w.WriteString("sha256", m.Sha256);
                    w.WriteString("appliedAt", Format.Iso(m.AppliedAt));
                    w.WriteEndObject();
                }

                w.WriteEndArray();
                w.WriteEndObject();
            });
        }
        else
        {
            WriteText(context.Out, tables);
            foreach (var m in db.GetPublishedMigrations())
            {
                context.Out.WriteLine($"published   {m.Name} (gate {m.Gate}): {m.State}{(m.Error is null ? "" : ": " + m.Error)}");
            }

            context.Out.WriteLine(migrations.Count == 0
                ? "migrations  (none applied through edgesync schema apply)"
                : $"migrations  {string.Join(", ", migrations.Select(m => m.Name))}");
        }

        return tables.All(t => t.InSync) ? ExitCodes.Ok : ExitCodes.CheckFailed;
    }

    private static int RunApply(CliContext context, string path, FileInfo file, string? name, bool json)
    {
        if (!file.Exists)
        {
            throw new CliException(ExitCodes.UsageError, $"migration file '{file.FullName}' does not exist");
        }

        string sql = File.ReadAllText(file.FullName);
        using var db = Databases.OpenInitialised(path, context.CancellationToken);
        var result = db.ApplyMigration(name ?? file.Name, sql);
        if (json)
        {
            JsonOutput.Write(context.Out, w =>
            {
                w.WriteStartObject();
                w.WriteString("migration", result.Name);
                w.WriteBoolean("alreadyApplied", result.AlreadyApplied);
                WriteTables(w, result.Tables);
                w.WriteEndObject();
            });
            return ExitCodes.Ok;
        }

        context.Out.WriteLine(result.AlreadyApplied
            ? $"migration '{result.Name}' was already applied here; nothing to do"
            : $"applied migration '{result.Name}'");
        WriteText(context.Out, result.Tables);
        return ExitCodes.Ok;
    }

    private static void WriteText(TextWriter output, IReadOnlyList<TableSchemaStatus> tables)
    {
        if (tables.Count == 0)
        {
            output.WriteLine("no synced tables");
            return;
        }

        var rows = new List<string[]> { Header };
        rows.AddRange(tables.Select(t => new[] { t.Table, t.Version.ToString(System.Globalization.CultureInfo.InvariantCulture), State(t), string.Join(", ", t.Columns) }));
        Format.Table(output, "", rows);
        foreach (var t in tables)
        {
            WriteProblems(output, t);
        }
    }

    /// <summary>What is wrong with a table's schema and what to do, one block per problem (also used by <c>edgesync status</c>).</summary>
    internal static void WriteProblems(TextWriter output, TableSchemaStatus t)
    {
        if (t.Drift is { } d)
        {
            output.WriteLine($"  {t.Table}: sync STOPPED ({d.Change}): {d.Detail}");
            output.WriteLine($"    what to do: {d.Remedy}");
        }

        foreach (var s in t.Stashed)
        {
            output.WriteLine(s.TypeConflict
                ? $"  {t.Table}.{s.Column}: declared {Show(s.LocalType!)} here but {Show(s.PeerType)} at a peer: {s.Values} values from peers kept aside, not applied; "
                  + "give the column the same type on every replica (docs/schema.md)"
                : $"  {t.Table}.{s.Column}: {s.Values} values from peers kept for a column this replica does not have yet ({Show(s.PeerType)} there); "
                  + "they are written when the application adds it");
        }
    }

    private static string State(TableSchemaStatus t) =>
        t.Drift is not null ? "STOPPED" : t.Stashed.Any(s => s.TypeConflict) ? "TYPE CONFLICT" : t.Stashed.Count > 0 ? "ok (peer ahead)" : "ok";

    private static string Show(string type) => type.Length == 0 ? "(no type)" : type;

    internal static void WriteTables(Utf8JsonWriter w, IReadOnlyList<TableSchemaStatus> tables)
    {
        w.WriteStartArray("tables");
        foreach (var t in tables)
        {
            w.WriteStartObject();
            w.WriteString("table", t.Table);
            w.WriteNumber("version", t.Version);
            w.WriteBoolean("inSync", t.InSync);
            w.WriteStartArray("columns");
            foreach (var c in t.Columns)
            {
                w.WriteStringValue(c);
            }

            w.WriteEndArray();
            if (t.Drift is { } d)
            {
                w.WriteStartObject("drift");
                w.WriteString("change", d.Change);
                w.WriteString("detail", d.Detail);
                w.WriteString("remedy", d.Remedy);
                w.WriteEndObject();
            }
            else
            {
                w.WriteNull("drift");
            }

            w.WriteStartArray("keptAside");
            foreach (var s in t.Stashed)
            {
                w.WriteStartObject();
                w.WriteString("column", s.Column);
                w.WriteString("peerType", s.PeerType);
                if (s.LocalType is null)
                {
                    w.WriteNull("localType");
                }
                else
                {
                    w.WriteString("localType", s.LocalType);
                }

                w.WriteBoolean("typeConflict", s.TypeConflict);
                w.WriteNumber("values", s.Values);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        w.WriteEndArray();
    }
}
