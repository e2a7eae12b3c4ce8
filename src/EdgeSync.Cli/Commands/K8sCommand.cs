using System.CommandLine;
using EdgeSync.Cli.Internal;
using EdgeSync.Cli.K8s;

namespace EdgeSync.Cli.Commands;

/// <summary>
/// <c>edgesync k8s</c>: Kubernetes deployment helpers. <c>render</c> turns a fleet inventory into kustomize overlays
/// (one per factory plus the hub); <c>init-db</c> is the StatefulSet's init container.
/// </summary>
internal static class K8sCommand
{
    public static Command Create(CliContext context) => new("k8s", "Kubernetes deployment: render a fleet's kustomize overlays, prepare a replica's database.")
    {
        Render(context),
        InitDb(context),
    };

    private static Command Render(CliContext context)
    {
        var inventory = new Option<string>("--inventory")
        {
            Description = "The fleet inventory (YAML): image, hub, factories with id, region, node_count, storage_class, hub and tables. See deploy/examples/fleet.yaml.",
            HelpName = "FILE",
            Required = true,
        };
        var output = new Option<string>("--out")
        {
            Description = "Folder to write DIR/<factory-id>/ and DIR/hq/ into (created if missing; overlays from an earlier render are replaced).",
            HelpName = "DIR",
            Required = true,
        };
        var command = new Command("render", "Render one kustomize overlay per factory plus the HQ hub from an inventory; "
            + "same inventory, same bytes. Apply one with 'kubectl apply -k DIR/<factory-id>'.")
        {
            inventory, output,
        };
        command.SetAction(parsed =>
        {
            var fleet = InventoryReader.Read(parsed.GetRequiredValue(inventory));
            string dir = parsed.GetRequiredValue(output);
            int files = FleetRenderer.Write(fleet, dir);
            context.Out.WriteLine($"rendered {fleet.Factories.Count} factories and the hub ({files} files) into {dir}");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command InitDb(CliContext context)
    {
        var db = CommonOptions.Database("The database file to create if missing (e.g. /data/app.db).");
        var schema = new Option<string>("--schema")
        {
            Description = "An idempotent SQL script (CREATE TABLE IF NOT EXISTS ...) run on every start.",
            HelpName = "FILE",
            Required = true,
        };
        var command = new Command("init-db", "Create a replica's database on a new volume and apply the schema (the StatefulSet's init container).")
        {
            db, schema,
        };
        command.SetAction(parsed =>
        {
            string path = parsed.GetRequiredValue(db);
            bool created = DatabaseBootstrap.Run(path, parsed.GetRequiredValue(schema));
            context.Out.WriteLine(created ? $"created {path} and applied the schema" : $"applied the schema to {path}");
            return ExitCodes.Ok;
        });
        return command;
    }
}
