using EdgeSync.Agent.Internal;
using Microsoft.Extensions.Logging;

namespace EdgeSync.Agent.Security;

/// <summary>
/// The current <see cref="TlsMaterial"/>, re-read when the files change (cert-manager rotates a Secret by swapping
/// the mounted files): at most every <see cref="CheckInterval"/> a caller hashes the three files and, when they
/// changed, loads them again. A half-written or mismatched set (key and certificate from different rotations) keeps
/// the previous material and is retried at the next check. New connections use the new certificate; open
/// connections keep theirs.
/// </summary>
internal sealed class TlsFiles
{
    public static readonly TimeSpan CheckInterval = TimeSpan.FromSeconds(10);

    private readonly AgentTlsOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Lock _lock = new();
    private TlsMaterial _current;
    private long _lastCheck;

    public TlsFiles(AgentTlsOptions options, ILogger logger, TimeProvider time)
    {
        _options = options;
        _logger = logger;
        _time = time;
        _current = TlsMaterial.Load(options);
        _lastCheck = time.GetTimestamp();
    }

    public TlsMaterial Current
    {
        get
        {
            if (_time.GetElapsedTime(Interlocked.Read(ref _lastCheck)) < CheckInterval)
            {
                return Volatile.Read(ref _current);
            }

            lock (_lock)
            {
                if (_time.GetElapsedTime(_lastCheck) >= CheckInterval)
                {
                    Interlocked.Exchange(ref _lastCheck, _time.GetTimestamp());
                    Reload();
                }

                return _current;
            }
        }
    }

    private void Reload()
    {
        try
        {
            if (TlsMaterial.FingerprintOf(_options).AsSpan().SequenceEqual(_current.Fingerprint))
            {
                return;
            }

            var next = TlsMaterial.Load(_options);
            Volatile.Write(ref _current, next);
            Log.TlsReloaded(_logger, next.Certificate.Subject, next.Certificate.NotAfter.ToUniversalTime());
        }
        catch (Exception e) when (e is IOException or InvalidDataException or System.Security.Cryptography.CryptographicException)
        {
            Log.TlsReloadFailed(_logger, e.Message);
        }
    }
}
