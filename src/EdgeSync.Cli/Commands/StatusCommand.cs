using System.CommandLine;
using System.Text.Json;
using EdgeSync.Cli.Internal;
using EdgeSync.Schema;

namespace EdgeSync.Cli.Commands;

/// <summary><c>edgesync status</c>: site id, version vector, synced tables and the <c>cluster_sync</c> rows.</summary>
internal static class StatusCommand
{
    private static readonly string[] PeerHeader = ["PEER", "TABLE", "LAST SYNC (UTC)", "STATE"];
    private static readonly string[] BacklogHeader = ["PEER", "CHANGES BEHIND", "LAG"];
    private static readonly string[] AckHeader = ["LEVEL", "CHANGES NOT HELD THERE"];
    private static readonly AckLevel[] AckLevels = [AckLevel.Replicas(1), AckLevel.Hub];
    private static readonly string[] RejectedHeader = ["PEER", "RULE", "SINCE (UTC)", "DETAIL"];

    public static Command Create(CliContext context)
    {
        var db = CommonOptions.Database();
        db.Required = false; // not with --fleet
        var json = CommonOptions.Json();
        var fleet = new Option<bool>("--fleet")
        {
            Description = "Show the fleet as a running agent sees it (its /v1/fleet, what its /ui console shows): problems first, then clusters, "
                + "replicas that are not ok, tables with conflicts. Needs --peer. Exit 1 when a problem is listed.",
        };
        var peer = new Option<string?>("--peer") { Description = "With --fleet: the agent's HTTP URL (e.g. http://hq:8080).", HelpName = "URL" };
        var token = new Option<string?>("--token") { Description = "With --fleet: the agent's bearer token (EdgeSync:Auth:TokenFile), when it requires one.", HelpName = "TOKEN" };
        var cluster = new Option<string?>("--cluster") { Description = "With --fleet: only this cluster (a factory's detail).", HelpName = "ID" };
        var tls = new TlsFlags(); // with --fleet and an https:// peer: authenticate with this site's certificate instead of a token
        var command = new Command("status", "Show a database's site id, version vector, synced tables, the last sync with each peer "
            + "per table (the cluster_sync table), and pushes a peer refused under an authorization rule; or, with --fleet --peer URL, "
            + "the whole fleet as that agent sees it. The last sync is written when an exchange moves changes, recovers from an error "
            + "or first succeeds; while a connected peer and this replica agree it is refreshed at most every 5 minutes, so it may "
            + "be up to 5 minutes plus IdleSyncIntervalMs old on a healthy idle link (the agent's edgesync_last_sync_timestamp_seconds "
            + "gauge follows every exchange).")
        {
            db, json, fleet, peer, token, cluster, tls.Certificate, tls.Key, tls.Authority,
        };
        command.Validators.Add(result =>
        {
            bool isFleet = result.GetValue(fleet);
            if (isFleet && result.GetValue(peer) is null)
            {
                result.AddError("--fleet needs --peer URL (the agent's HTTP endpoint)");
            }
            else if (!isFleet && result.GetValue(db) is null)
            {
                result.AddError("Option '--db' is required (or --fleet --peer URL).");
            }
            else if (!isFleet && tls.All.Any(o => result.GetResult(o) is not null))
            {
                result.AddError("--tls-cert, --tls-key and --tls-ca go with --fleet --peer https://URL");
            }
        });
        command.SetAction(parsed => parsed.GetValue(fleet)
            ? FleetStatus.Run(context, parsed.GetValue(peer)!, parsed.GetValue(token), parsed.GetValue(cluster), parsed.GetValue(json), tls.Read(parsed))
            : Run(context, parsed.GetValue(db)!, parsed.GetValue(json)));
        return command;
    }

    private static int Run(CliContext context, string path, bool json)
    {
        using var db = Databases.OpenInitialised(path, context.CancellationToken);
        var vector = db.Vector;
        var schema = db.CheckSchema(); // a schema change made since the last capture is named here, not found later
        var tables = db.Tables.OrderBy(t => t.Name, StringComparer.Ordinal).ToList();
        var peers = db.Status.GetSyncStatus();
        if (json)
        {
            JsonOutput.Write(context.Out, w => WriteJson(w, db, vector, tables, peers, schema));
            return ExitCodes.Ok;
        }

        var output = context.Out;
        output.WriteLine($"database  {path}");
        output.WriteLine($"site      {db.SiteId}");
        output.WriteLine($"vector    {(vector.Count == 0 ? "(empty)" : string.Join("  ", vector.Select(e => $"{e.Key}:{Format.N(e.Value)}")))}");
        output.WriteLine($"tables    {(tables.Count == 0 ? "(none)" : string.Join(", ", tables.Select(t => $"{t.Name} ({t.Policy.ToName()}, {t.Mode.ToName()}, schema v{t.SchemaVersion})")))}");
        if (schema.Any(t => t.Drift is not null || t.Stashed.Count > 0))
        {
            output.WriteLine("schema    (changes sync does not carry as they are; see 'edgesync schema show' and docs/schema.md)");
            foreach (var t in schema)
            {
                SchemaCommand.WriteProblems(output, t);
            }
        }

        var rejections = db.Status.GetRejections();
        if (rejections.Count > 0)
        {
            output.WriteLine("rejected  (a peer refused this replica's changes; they stay here, and the push is retried until it is accepted)");
            var lines = new List<string[]> { RejectedHeader };
            lines.AddRange(rejections.Select(r => new[] { r.Peer, r.Rule, Format.Iso(r.AtMs), r.Detail }));
            Format.Table(output, "  ", lines);
        }

        foreach (var d in db.Divergences)
        {
            output.WriteLine($"diverged  from {d.Peer} at the content check of {Format.Iso(d.CheckedAt.ToUnixTimeMilliseconds())} "
                + "(rows differ although both hold the same changes; edgesync verify names them)");
            foreach (var line in d.Tables)
            {
                output.WriteLine($"  {line}");
            }
        }

        var acknowledged = AckLag(db);
        if (acknowledged.Count > 0)
        {
            output.WriteLine("acknowledged (this replica's own changes not yet held at each level; 'exported' is known to the hub's running agent)");
            var lines = new List<string[]> { AckHeader };
            lines.AddRange(acknowledged.Select(a => new[] { a.Level, Format.N(a.Behind) }));
            Format.Table(output, "  ", lines);
        }

        if (peers.Count == 0)
        {
            output.WriteLine("peers     (no sync yet)");
            return ExitCodes.Ok;
        }

        output.WriteLine("peers");
        var rows = new List<string[]> { PeerHeader };
        rows.AddRange(peers.Select(p => new[] { p.ClusterId, p.Table, p.LastSyncTime > 0 ? Format.Iso(p.LastSyncTime) : "never", p.State }));
        Format.Table(output, "  ", rows);
        var backlogs = db.Status.GetPeerBacklogs();
        if (backlogs.Count > 0)
        {
            output.WriteLine("backlog (what each peer lacks, from the vector it last reported)");
            var lines = new List<string[]> { BacklogHeader };
            lines.AddRange(backlogs.Select(b => new[] { b.Peer, Format.N(b.Backlog), $"{b.OldestUnsentAge.TotalSeconds:0.0} s" }));
            Format.Table(output, "  ", lines);
        }

        return ExitCodes.Ok;
    }

    private static void WriteJson(Utf8JsonWriter w, SyncDatabase db, Clocks.VersionVector vector, List<TableInfo> tables,
        IReadOnlyList<Storage.SyncStatusEntry> peers, IReadOnlyList<TableSchemaStatus> schema)
    {
        w.WriteStartObject();
        w.WriteString("database", db.Path);
        w.WriteString("siteId", db.SiteId);
        w.WriteStartObject("vector");
        foreach (var (site, seq) in vector)
        {
            w.WriteNumber(site, seq);
        }

        w.WriteEndObject();
        w.WriteStartArray("tables");
        foreach (var t in tables)
        {
            w.WriteStartObject();
            w.WriteString("name", t.Name);
            w.WriteString("policy", t.Policy.ToName());
            w.WriteString("captureMode", t.Mode.ToName());
            w.WriteNumber("schemaVersion", t.SchemaVersion);
            w.WriteStartArray("columns");
            foreach (var c in t.Columns)
            {
                w.WriteStringValue(c);
            }

            w.WriteEndArray();
            w.WriteStartArray("primaryKey");
            foreach (int i in t.PrimaryKey)
            {
                w.WriteStringValue(t.Columns[i]);
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteStartArray("peers");
        foreach (var p in peers)
        {
            w.WriteStartObject();
            w.WriteString("syncId", p.SyncId);
            w.WriteString("peer", p.ClusterId);
            w.WriteString("table", p.Table);
            if (p.LastSyncTime > 0)
            {
                w.WriteString("lastSyncTime", Format.Iso(p.LastSyncTime));
            }
            else
            {
                w.WriteNull("lastSyncTime");
            }

            w.WriteString("state", p.State);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteStartArray("backlog");
        foreach (var b in db.Status.GetPeerBacklogs())
        {
            w.WriteStartObject();
            w.WriteString("peer", b.Peer);
            w.WriteNumber("changes", b.Backlog);
            w.WriteNumber("lagSeconds", Math.Round(b.OldestUnsentAge.TotalSeconds, 3));
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteStartObject("acknowledged");
        foreach (var (level, behind) in AckLag(db))
        {
            w.WriteNumber(level, behind);
        }

        w.WriteEndObject();
        w.WriteStartArray("rejections");
        foreach (var r in db.Status.GetRejections())
        {
            w.WriteStartObject();
            w.WriteString("peer", r.Peer);
            w.WriteString("rule", r.Rule);
            w.WriteString("at", Format.Iso(r.AtMs));
            w.WriteString("detail", r.Detail);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WritePropertyName("schema");
        w.WriteStartObject();
        SchemaCommand.WriteTables(w, schema);
        w.WriteEndObject();
        w.WriteStartArray("divergences");
        foreach (var d in db.Divergences)
        {
            w.WriteStartObject();
            w.WriteString("peer", d.Peer);
            w.WriteString("checkedAt", Format.Iso(d.CheckedAt.ToUnixTimeMilliseconds()));
            w.WriteStartArray("tables");
            foreach (var line in d.Tables)
            {
                w.WriteStringValue(line);
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteEndObject();
    }

    /// <summary>
    /// Per acknowledgement level, how many of this replica's own changes the level does not hold yet (from the vectors
    /// peers last reported; what <c>edgesync_ack_lag_changes</c> publishes); empty before this replica wrote anything.
    /// </summary>
    private static List<(string Level, long Behind)> AckLag(SyncDatabase db)
    {
        long own = db.Vector[db.SiteId];
        return own == 0 ? [] : AckLevels.Select(level => (level.ToString(), own - db.HeldAt(level)[db.SiteId])).ToList();
    }
}
