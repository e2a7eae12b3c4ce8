using EdgeSync.Agent.Hosting;
using EdgeSync.Agent.Internal;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using NATS.Client.KeyValueStore;

namespace EdgeSync.Agent.Export;

/// <summary>
/// On a hub with <see cref="ExportOptions.Urls"/> set: connects to NATS, makes sure the stream and the lease bucket
/// exist, and for every hosted database competes for its export lease; while it holds one it runs a
/// <see cref="DatabaseExporter"/>, renewing the lease every third of its lifetime and stopping the export as soon as
/// a renewal fails. A failed export pass is retried after a pause (the exporter reads the stream back first).
/// </summary>
internal sealed class ExportService(
    DatabaseRegistry registry, IOptions<AgentOptions> agentOptions, ExportMetrics metrics, TimeProvider time, ILogger<ExportService> logger)
    : BackgroundService
{
    private readonly string _holder = Guid.NewGuid().ToString("N");

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var agent = agentOptions.Value;
        var o = agent.Export;
        if (!o.Enabled || agent.EffectiveRole != AgentRole.Hub)
        {
            return;
        }

        while (!registry.IsOpen)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(50), time, stoppingToken).ConfigureAwait(false);
        }

        await using var nats = new NatsConnection(ConnectionOptions(o, agent.Site));
        var (js, leases) = await SetUpAsync(nats, o, stoppingToken).ConfigureAwait(false);
        var running = new Dictionary<string, Task>(StringComparer.Ordinal);
        while (!stoppingToken.IsCancellationRequested)
        {
            foreach (var db in registry.All)
            {
                if (!running.TryGetValue(db.Name, out var task) || task.IsCompleted)
                {
                    running[db.Name] = ExportWhileLeasedAsync(db, js, leases, o, stoppingToken);
                }
            }

            try
            {
                await Task.Delay(TimeSpan.FromSeconds(1), time, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        await Task.WhenAll(running.Values).ConfigureAwait(false);
    }

    private async Task<(INatsJSContext Js, INatsKVStore Leases)> SetUpAsync(NatsConnection nats, ExportOptions o, CancellationToken cancellationToken)
    {
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                await nats.ConnectAsync().ConfigureAwait(false);
                var js = new NatsJSContext(nats);
                await js.CreateOrUpdateStreamAsync(
                    new StreamConfig(o.Stream, [ExportSubjects.StreamSubjects(o.SubjectPrefix)])
                    {
                        NumReplicas = o.Replicas,
                        DuplicateWindow = TimeSpan.FromSeconds(o.DuplicateWindowSeconds),
                        Storage = StreamConfigStorage.File,
                    },
                    cancellationToken).ConfigureAwait(false);
                var kv = new NatsKVContext(js);
                var leases = await kv.CreateOrUpdateStoreAsync(
                    new NatsKVConfig(o.LeaseBucket) { History = 1, MaxAge = TimeSpan.FromSeconds(o.LeaseSeconds), NumberOfReplicas = o.Replicas },
                    cancellationToken).ConfigureAwait(false);
                return (js, leases);
            }
            catch (Exception e) when (e is NatsException or TimeoutException && !cancellationToken.IsCancellationRequested)
            {
                Log.ExportUnreachable(logger, string.Join(',', o.Urls), e.Message);
                await Task.Delay(TimeSpan.FromSeconds(Math.Min(10, 1 + attempt)), time, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async Task ExportWhileLeasedAsync(HostedDatabase db, INatsJSContext js, INatsKVStore leases, ExportOptions o, CancellationToken stoppingToken)
    {
        var lease = new ExportLease(leases, ExportSubjects.Token(db.Name), $"{db.Site} {_holder}");
        var renewEvery = TimeSpan.FromSeconds(o.LeaseSeconds / 3.0);
        metrics.Holder(db.Name, false);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (!await lease.TryAcquireAsync(stoppingToken).ConfigureAwait(false))
                {
                    await Task.Delay(renewEvery, time, stoppingToken).ConfigureAwait(false);
                    continue;
                }

                metrics.Holder(db.Name, true);
                Log.ExportLeaseTaken(logger, db.Name, lease.Holder, o.Stream);
                using var held = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                var renewals = RenewAsync(lease, renewEvery, held);
                await ExportUntilCancelledAsync(db, js, o, held.Token).ConfigureAwait(false);
                await held.CancelAsync().ConfigureAwait(false);
                await renewals.ConfigureAwait(false);
                metrics.Holder(db.Name, false);
                metrics.NoLag(db.Name);
                if (stoppingToken.IsCancellationRequested)
                {
                    using var release = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                    await lease.ReleaseAsync(release.Token).ConfigureAwait(false);
                }
                else
                {
                    Log.ExportLeaseLost(logger, db.Name);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e) when (e is NatsException or TimeoutException)
            {
                metrics.Holder(db.Name, false);
                Log.ExportUnreachable(logger, string.Join(',', o.Urls), e.Message);
                await Task.Delay(renewEvery, time, stoppingToken).ConfigureAwait(false);
            }
            catch (ObjectDisposedException)
            {
                break; // the database was closed
            }
        }

        metrics.Holder(db.Name, false);
    }

    private async Task ExportUntilCancelledAsync(HostedDatabase db, INatsJSContext js, ExportOptions o, CancellationToken held)
    {
        var exporter = new DatabaseExporter(db, js, o, metrics, time, logger);
        for (int failures = 0; !held.IsCancellationRequested;)
        {
            try
            {
                await exporter.RunAsync(held).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (held.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is NatsException or TimeoutException or ExportConflictException or OperationCanceledException
                or EdgeSync.Errors.EdgeSyncException or Microsoft.Data.Sqlite.SqliteException)
            {
                // A refused or failed publish, or the cursor write waiting too long for the hub's write lock: the
                // next pass reads the stream back first, so nothing is lost or published twice.
                failures = e is ExportConflictException ? 0 : failures + 1;
                int delay = Math.Min(5_000, 100 * (1 << Math.Min(failures, 6)));
                metrics.Failed(db.Name, e switch
                {
                    ExportConflictException => "conflict",
                    NatsJSApiException => "refused",
                    EdgeSync.Errors.EdgeSyncException or Microsoft.Data.Sqlite.SqliteException => "database",
                    _ => "unavailable",
                });
                Log.ExportFailed(logger, db.Name, e.Message, delay);
                try
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(delay), time, held).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private async Task RenewAsync(ExportLease lease, TimeSpan every, CancellationTokenSource held)
    {
        try
        {
            while (!held.IsCancellationRequested)
            {
                await Task.Delay(every, time, held.Token).ConfigureAwait(false);
                bool renewed;
                try
                {
                    renewed = await lease.TryRenewAsync(held.Token).ConfigureAwait(false);
                }
                catch (Exception e) when (e is NatsException or TimeoutException)
                {
                    renewed = false; // unreachable: stop exporting; another replica may take over once the entry expires
                }

                if (!renewed)
                {
                    await held.CancelAsync().ConfigureAwait(false);
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private static NatsOpts ConnectionOptions(ExportOptions o, string? site)
    {
        var auth = NatsAuthOpts.Default;
        if (o.CredentialsFile is { } creds)
        {
            auth = auth with { CredsFile = creds };
        }

        if (o.TokenFile is { } tokenFile)
        {
            auth = auth with { Token = File.ReadAllText(tokenFile).Trim() };
        }

        return NatsOpts.Default with
        {
            Url = string.Join(',', o.Urls),
            Name = $"edgesync-export {site}",
            AuthOpts = auth,
            MaxReconnectRetry = -1,
        };
    }
}
