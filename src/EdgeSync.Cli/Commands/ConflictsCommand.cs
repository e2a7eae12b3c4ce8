using System.CommandLine;
using System.Text.Json;
using EdgeSync.Cli.Internal;
using EdgeSync.Merge;

namespace EdgeSync.Cli.Commands;

/// <summary><c>edgesync conflicts</c>: the conflict audit, newest first.</summary>
internal static class ConflictsCommand
{
    public static Command Create(CliContext context)
    {
        var db = CommonOptions.Database();
        var table = new Option<string?>("--table") { Description = "Only conflicts on this table.", HelpName = "NAME" };
        var limit = CommonOptions.Integer("--limit", "Show at most this many (newest first).", "N", 100, min: 1, max: 1_000_000);
        var json = CommonOptions.Json();
        var command = new Command("conflicts", "Show the conflict audit: each concurrent write that lost a merge on this replica, "
            + "the value kept and the value discarded, and the rule that decided.")
        {
            db, table, limit, json,
        };
        command.SetAction(parsed => Run(context, parsed.GetRequiredValue(db), parsed.GetValue(table), parsed.GetValue(limit), parsed.GetValue(json)));
        return command;
    }

    private static int Run(CliContext context, string path, string? table, int limit, bool json)
    {
        using var db = Databases.OpenInitialised(path, context.CancellationToken);
        var conflicts = db.Status.GetConflicts(limit, table);
        if (json)
        {
            JsonOutput.Write(context.Out, w => WriteJson(w, conflicts));
            return ExitCodes.Ok;
        }

        var output = context.Out;
        string scope = table is null ? "" : $" on table '{table}'";
        if (conflicts.Count == 0)
        {
            output.WriteLine($"no conflicts{scope}");
            return ExitCodes.Ok;
        }

        output.WriteLine($"{conflicts.Count} conflict{(conflicts.Count == 1 ? "" : "s")}{scope}, newest first{(conflicts.Count == limit ? $" (first {limit}; raise --limit for more)" : "")}:");
        foreach (var c in conflicts)
        {
            output.WriteLine($"#{c.Id}  {Format.Iso(c.At)}  {c.Table} [{c.Key}]{(c.Column is null ? " (whole row)" : "." + c.Column)}  rule {c.Rule}");
            output.WriteLine($"    kept       {Kept(c),-24} from {c.WinnerSite} at {c.WinnerHlc}");
            output.WriteLine($"    discarded  {Discarded(c),-24} from {c.LoserSite} at {c.LoserHlc}");
        }

        return ExitCodes.Ok;
    }

    private static string Kept(ConflictRecord c) => c.Column is not null ? Format.Literal(c.WinnerValue)
        : c.Rule == "delete-wins" ? "(delete)" : "(newer row)";

    private static string Discarded(ConflictRecord c) => c.Column is not null ? Format.Literal(c.LoserValue) : "(row's writes)";

    private static void WriteJson(Utf8JsonWriter w, IReadOnlyList<ConflictRecord> conflicts)
    {
        w.WriteStartArray();
        foreach (var c in conflicts)
        {
            w.WriteStartObject();
            w.WriteNumber("id", c.Id);
            w.WriteString("at", Format.Iso(c.At));
            w.WriteString("table", c.Table);
            w.WriteString("key", c.Key);
            if (c.Column is null)
            {
                w.WriteNull("column");
            }
            else
            {
                w.WriteString("column", c.Column);
            }

            w.WriteString("rule", c.Rule);
            w.WriteStartObject("winner");
            w.WriteValue("value", c.WinnerValue);
            w.WriteString("site", c.WinnerSite);
            w.WriteString("hlc", c.WinnerHlc.ToString());
            w.WriteEndObject();
            w.WriteStartObject("loser");
            w.WriteValue("value", c.LoserValue);
            w.WriteString("site", c.LoserSite);
            w.WriteString("hlc", c.LoserHlc.ToString());
            w.WriteEndObject();
            w.WriteEndObject();
        }

        w.WriteEndArray();
    }
}
