using NATS.Client.KeyValueStore;

namespace EdgeSync.Agent.Export;

/// <summary>
/// The right to export one database: a key in a JetStream KV bucket whose entries expire after the lease time
/// (<see cref="ExportOptions.LeaseSeconds"/>, the bucket's max age). Taken with a create (fails while another holder's
/// entry lives) and kept with revision-checked updates; a holder that misses its renewals loses it when the entry
/// expires, and any replica's create then succeeds. The stream's per-subject expected sequence fences a holder that
/// does not know yet that it lost the lease (docs/lifecycle.md).
/// </summary>
internal sealed class ExportLease(INatsKVStore store, string key, string holder)
{
    private ulong _revision;

    public string Holder => holder;

    /// <summary>Takes the lease when nobody holds it.</summary>
    public async Task<bool> TryAcquireAsync(CancellationToken cancellationToken)
    {
        var result = await store.TryCreateAsync(key, holder, cancellationToken: cancellationToken).ConfigureAwait(false);
        if (result.Success)
        {
            _revision = result.Value;
        }

        return result.Success;
    }

    /// <summary>Renews the lease; false when it was lost (expired and taken, or deleted).</summary>
    public async Task<bool> TryRenewAsync(CancellationToken cancellationToken)
    {
        var result = await store.TryUpdateAsync(key, holder, _revision, cancellationToken: cancellationToken).ConfigureAwait(false);
        if (result.Success)
        {
            _revision = result.Value;
        }

        return result.Success;
    }

    /// <summary>Gives the lease up (only if still ours), so another replica need not wait for it to expire.</summary>
    public async Task ReleaseAsync(CancellationToken cancellationToken)
    {
        await store.TryDeleteAsync(key, new NatsKVDeleteOpts { Revision = _revision }, cancellationToken).ConfigureAwait(false);
    }
}
