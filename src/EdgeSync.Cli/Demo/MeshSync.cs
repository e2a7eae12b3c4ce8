using EdgeSync.Cli.Internal;

namespace EdgeSync.Cli.Demo;

/// <summary>
/// The demo's sync loop: a full mesh, one round at a time. In a round every replica pulls from every other
/// (each ordered pair (a, b): b applies each batch of a's changes past b's vector).
/// </summary>
internal sealed class MeshSync(IReadOnlyList<DemoReplica> replicas)
{
    private static readonly TimeSpan IdlePause = TimeSpan.FromMilliseconds(5);

    private long _rounds;

    /// <summary>Rounds completed.</summary>
    public long Rounds => Interlocked.Read(ref _rounds);

    /// <summary>Runs rounds until cancelled, pausing briefly after a round that moved nothing.</summary>
    public void RunUntilCancelled(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            if (Round(cancellationToken) == 0)
            {
                cancellationToken.WaitHandle.WaitOne(IdlePause);
            }
        }
    }

    /// <summary>
    /// Runs rounds until one moves nothing and every replica holds the same version vector. False when that does
    /// not happen within <paramref name="timeout"/>.
    /// </summary>
    public bool RunUntilQuiescent(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (Round(cancellationToken) == 0 && VectorsEqual())
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>One round over every ordered pair; returns the rows applied.</summary>
    public long Round(CancellationToken cancellationToken)
    {
        long applied = 0;
        foreach (var from in replicas)
        {
            foreach (var to in replicas)
            {
                if (from == to)
                {
                    continue;
                }

                var totals = Transfer.Run(from.Db, to.Db, cancellationToken);
                to.AddSynced(totals.Applied);
                applied += totals.Applied;
            }
        }

        Interlocked.Increment(ref _rounds);
        return applied;
    }

    private bool VectorsEqual()
    {
        var first = replicas[0].Db.Vector;
        return replicas.Skip(1).Select(r => r.Db.Vector).All(v => v.Dominates(first) && first.Dominates(v));
    }
}
