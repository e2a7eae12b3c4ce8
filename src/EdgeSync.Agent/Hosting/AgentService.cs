using EdgeSync.Agent.Capture;
using EdgeSync.Agent.Internal;
using EdgeSync.Agent.Sync;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EdgeSync.Agent.Hosting;

/// <summary>
/// Starts the agent: opens every database (enabling the configured tables), then starts its capture loop and peer
/// loops. Stopping cancels the loops, waits for them (a batch being applied completes; nothing is half-applied), then
/// closes the databases.
/// </summary>
internal sealed class AgentService(
    IOptions<AgentOptions> options, DatabaseRegistry registry, Security.AgentSecurity security, ILoggerFactory loggers, TimeProvider time)
    : IHostedService, IAsyncDisposable
{
    private readonly ILogger _logger = loggers.CreateLogger("EdgeSync.Agent");
    private readonly List<HostedDatabase> _databases = [];
    private readonly List<IAsyncDisposable> _loops = [];
    private int _stopped;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var o = options.Value;
        try
        {
            foreach (var path in o.Databases)
            {
                _databases.Add(HostedDatabase.Open(path, o, loggers, time, registry.Metrics));
            }

            security.CheckOwnSites(_databases.Select(d => (d.Name, d.Site)));
        }
        catch
        {
            CloseDatabases();
            throw;
        }

        registry.Set(_databases.ToList());
        var syncLogger = loggers.CreateLogger("EdgeSync.Agent.Sync");
        foreach (var hosted in _databases)
        {
            var capture = new CaptureLoop(hosted, _logger, time);
            _loops.Add(capture);
            capture.Start();
            var peers = new PeerSupervisor(hosted, security.Tls, syncLogger, time);
            _loops.Add(peers);
            peers.Start();
        }

        Log.Started(_logger, string.Join(",", _databases.Select(d => d.Site).Distinct()), o.EffectiveRole,
            string.Join(",", _databases.Select(d => d.Name)), string.Join(",", o.StaticPeers), o.PeerDns);
        security.LogMode(o);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _stopped, 1) == 1)
        {
            return;
        }

        Log.Stopping(_logger);
        registry.Set([]);
        foreach (var loop in _loops)
        {
            await loop.DisposeAsync().ConfigureAwait(false);
        }

        _loops.Clear();
        CloseDatabases();
    }

    private void CloseDatabases()
    {
        foreach (var db in _databases)
        {
            db.Dispose();
        }

        _databases.Clear();
    }

    public async ValueTask DisposeAsync() => await StopAsync(CancellationToken.None).ConfigureAwait(false);
}
