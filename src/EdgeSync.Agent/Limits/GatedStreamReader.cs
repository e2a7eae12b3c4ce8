using System.Diagnostics;
using EdgeSync.Agent.Diagnostics;
using Grpc.Core;

namespace EdgeSync.Agent.Limits;

/// <summary>
/// Wraps a push stream so that each message is handed to the handler only once the database's <see cref="FairGate"/>
/// is this peer's: the handler decodes and applies the batch between two reads (SyncService.Push does exactly that),
/// so holding the gate from one read to the next serialises pushed batches per database, fairly across peers, without
/// touching the handler. Reading from the network happens outside the gate, so a slow sender holds nobody up.
/// </summary>
internal sealed class GatedStreamReader<T>(IAsyncStreamReader<T> inner, FairGate gate, string peer, AgentMetrics metrics) : IAsyncStreamReader<T>
{
    private bool _held;

    public T Current => inner.Current;

    public async Task<bool> MoveNext(CancellationToken cancellationToken)
    {
        Release();
        if (!await inner.MoveNext(cancellationToken).ConfigureAwait(false))
        {
            return false;
        }

        long start = Stopwatch.GetTimestamp();
        await gate.EnterAsync(peer, cancellationToken).ConfigureAwait(false);
        _held = true;
        metrics.ApplyWaited(Stopwatch.GetElapsedTime(start).TotalSeconds);
        return true;
    }

    /// <summary>Gives the gate back (after the last message, or when the call ends early).</summary>
    public void Release()
    {
        if (_held)
        {
            _held = false;
            gate.Exit();
        }
    }
}
