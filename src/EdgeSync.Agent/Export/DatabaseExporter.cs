using System.Collections.Concurrent;
using EdgeSync.Agent.Hosting;
using EdgeSync.Agent.Internal;
using EdgeSync.Clocks;
using Microsoft.Extensions.Logging;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace EdgeSync.Agent.Export;

/// <summary>
/// Exports one hosted database while this agent holds its lease: reads back where the stream is for each table and
/// origin, then extracts the changes past the cursor, publishes them per table and origin in sequence order (one
/// message in flight per subject, every subject at once), and raises the cursor once JetStream acknowledged them.
/// Each publish carries <c>Nats-Msg-Id</c> and the subject's expected last sequence, so a retry, a second exporter or
/// a message that arrives late can neither duplicate rows nor leave a gap: any refusal ends the pass and the
/// exporter reads the stream back (docs/lifecycle.md).
/// </summary>
internal sealed class DatabaseExporter(
    HostedDatabase db, INatsJSContext js, ExportOptions options, ExportMetrics metrics, TimeProvider time, ILogger logger)
{
    private readonly Dictionary<(string Table, string Site), long> _cursor = [];
    private readonly ConcurrentDictionary<string, ulong> _subjectSeq = new(StringComparer.Ordinal);
    private readonly ExportBatchBuilder _builder = new(options.MaxMessageRows, options.MaxMessageBytes);
    private DateTimeOffset _caughtUpAt = time.GetUtcNow();

    /// <summary>Exports until <paramref name="cancellationToken"/> (the lease) ends or a publish fails (the exception).</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        _cursor.Clear();
        _subjectSeq.Clear();
        foreach (var p in db.Db.ReadExportCursor())
        {
            _cursor[(p.Table, p.Site)] = p.Sequence;
        }

        await ReconcileAsync(Tables(), cancellationToken).ConfigureAwait(false);
        using var changed = db.Changed.Subscribe();
        while (!cancellationToken.IsCancellationRequested)
        {
            var tables = Tables();
            var own = db.Db.Vector;
            var from = VersionVector.From(own.Keys.Select(site => KeyValuePair.Create(site, tables.Count == 0 ? own[site] : tables.Min(t => Cursor(t, site)))));
            long behind = own.Sum(e => Math.Max(0, e.Value - from[e.Key]));
            if (behind == 0)
            {
                _caughtUpAt = time.GetUtcNow();
                metrics.Lag(db.Name, 0, _caughtUpAt);
                using var idle = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                idle.CancelAfter(TimeSpan.FromMilliseconds(options.IdleMs));
                try
                {
                    await changed.Reader.ReadAsync(idle.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                }

                continue;
            }

            metrics.Lag(db.Name, behind, _caughtUpAt);
            if (!await ExportPassAsync(from, tables, cancellationToken).ConfigureAwait(false))
            {
                // Nothing past the cursor could be read (rows changed after capture end a range): try again shortly.
                await Task.Delay(TimeSpan.FromMilliseconds(options.IdleMs), time, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async Task<bool> ExportPassAsync(VersionVector from, HashSet<string> tables, CancellationToken cancellationToken)
    {
        bool progressed = false;
        foreach (var batch in db.Db.GetChanges(from, tables.Contains, cancellationToken))
        {
            var (chains, reached) = _builder.Build(batch, tables, Cursor, SchemaVersionOf);
            var published = await Task.WhenAll(chains.Select(c => PublishChainAsync(c, cancellationToken))).ConfigureAwait(false);
            db.Db.RecordExported(reached, cancellationToken);
            foreach (var r in reached)
            {
                Raise(r.Table, r.Site, r.Sequence);
            }

            PublishExportedVector();
            int rows = published.Sum();
            Log.ExportPublished(logger, db.Name, rows, chains.Sum(c => c.Count));
            progressed |= reached.Count > 0;
        }

        return progressed;
    }

    private async Task<int> PublishChainAsync(List<ExportMessage> chain, CancellationToken cancellationToken)
    {
        int rows = 0;
        foreach (var m in chain)
        {
            string subject = ExportSubjects.Subject(options.SubjectPrefix, db.Name, m.Table, m.Origin);
            if (!_subjectSeq.TryGetValue(subject, out ulong last))
            {
                var (seq, to) = await ReadLastAsync(subject, cancellationToken).ConfigureAwait(false);
                _subjectSeq[subject] = last = seq;
                if (to > m.From)
                {
                    Raise(m.Table, m.Origin, to);
                    throw new ExportConflictException($"the stream holds {m.Table} of {m.Origin} up to {to}, past this replica's cursor {m.From}");
                }
            }

            var headers = new NatsHeaders
            {
                [ExportSubjects.Database] = db.Name,
                [ExportSubjects.Table] = m.Table,
                [ExportSubjects.Origin] = m.Origin,
                [ExportSubjects.SeqFrom] = m.From.ToString(System.Globalization.CultureInfo.InvariantCulture),
                [ExportSubjects.SeqTo] = m.To.ToString(System.Globalization.CultureInfo.InvariantCulture),
                [ExportSubjects.Rows] = m.Rows.ToString(System.Globalization.CultureInfo.InvariantCulture),
                [ExportSubjects.SchemaVersion] = m.SchemaVersion.ToString(System.Globalization.CultureInfo.InvariantCulture),
            };
            var opts = new NatsJSPubOpts
            {
                MsgId = ExportSubjects.MessageId(db.Name, m.Table, m.Origin, m.From),
                ExpectedLastSubjectSequence = last,
            };
            var ack = await js.PublishAsync(subject, m.Body, headers: headers, opts: opts, cancellationToken: cancellationToken).ConfigureAwait(false);
            ack.EnsureSuccess();
            if (ack.Duplicate)
            {
                _subjectSeq.TryRemove(subject, out _);
                throw new ExportConflictException($"message {opts.MsgId} was already in the stream");
            }

            _subjectSeq[subject] = ack.Seq;
            metrics.Published(db.Name, m.Rows);
            rows += m.Rows;
        }

        return rows;
    }

    /// <summary>Per exported table and origin this hub knows, where the stream is; raises the cursor to it.</summary>
    private async Task ReconcileAsync(HashSet<string> tables, CancellationToken cancellationToken)
    {
        int ahead = 0;
        var raised = new List<ExportPosition>();
        foreach (var site in db.Db.Vector.Keys)
        {
            foreach (var table in tables)
            {
                string subject = ExportSubjects.Subject(options.SubjectPrefix, db.Name, table, site);
                var (seq, to) = await ReadLastAsync(subject, cancellationToken).ConfigureAwait(false);
                _subjectSeq[subject] = seq;
                if (to > Cursor(table, site))
                {
                    Raise(table, site, to);
                    raised.Add(new ExportPosition(table, site, to));
                    ahead++;
                }
            }
        }

        db.Db.RecordExported(raised, cancellationToken);
        PublishExportedVector();
        Log.ExportReconciled(logger, db.Name, _subjectSeq.Count, ahead);
    }

    /// <summary>The stream sequence and <c>EdgeSync-Seq-To</c> of the last message on <paramref name="subject"/> (0, 0: none).</summary>
    private async Task<(ulong Seq, long To)> ReadLastAsync(string subject, CancellationToken cancellationToken)
    {
        try
        {
            var stream = await js.GetStreamAsync(options.Stream, cancellationToken: cancellationToken).ConfigureAwait(false);
            var got = await stream.GetAsync(new StreamMsgGetRequest { LastBySubj = subject }, cancellationToken).ConfigureAwait(false);
            return (got.Message.Seq, ExportHeaders.SeqTo(got.Message.Hdrs));
        }
        catch (NatsJSApiException e) when (e.Error.Code == 404)
        {
            return (0, 0);
        }
    }

    /// <summary>
    /// Per origin, the lowest cursor over the exported tables: every change of the origin up to it is exported (or is
    /// of a table that is not). Recorded for <c>ack=exported</c> and retention, and sent to peers in the conversation.
    /// </summary>
    private void PublishExportedVector()
    {
        var tables = Tables();
        var own = db.Db.Vector;
        var exported = VersionVector.From(own.Keys.Select(site => KeyValuePair.Create(site, tables.Count == 0 ? own[site] : Math.Min(own[site], tables.Min(t => Cursor(t, site))))));
        if (db.Db.RecordExportedVector(exported))
        {
            db.Changed.Notify(); // peers hear of it with this database's next vector announcement
        }
    }

    private HashSet<string> Tables()
    {
        var synced = db.Db.Tables.Select(t => t.Name);
        return options.Tables.Count == 0
            ? synced.ToHashSet(StringComparer.Ordinal)
            : synced.Where(t => options.Tables.Contains(t, StringComparer.OrdinalIgnoreCase)).ToHashSet(StringComparer.Ordinal);
    }

    private int SchemaVersionOf(string table) => db.Db.Tables.FirstOrDefault(t => t.Name == table)?.SchemaVersion ?? 1;

    private long Cursor(string table, string site) => _cursor.GetValueOrDefault((table, site));

    private void Raise(string table, string site, long seq)
    {
        if (seq > Cursor(table, site))
        {
            _cursor[(table, site)] = seq;
        }
    }
}
