namespace EdgeSync.Agent.Sync;

/// <summary>One encoded batch ready to send: the bytes <see cref="Inbound.Receive"/> takes, and the rows they hold.</summary>
internal readonly record struct OutboundBatch(byte[] Payload, int Rows);
