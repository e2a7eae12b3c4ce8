namespace EdgeSync;

/// <summary>
/// A point in this site's change history: every change this database sealed up to <see cref="Sequence"/> under the
/// site id <see cref="Origin"/>. From <see cref="SyncDatabase.CaptureForAck"/>; wait for it with
/// <see cref="SyncDatabase.WaitForAckAsync"/>.
/// </summary>
public readonly record struct AckTicket(string Origin, long Sequence);
