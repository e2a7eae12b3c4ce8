namespace EdgeSync.Protocol;

/// <summary>
/// A batch's promise about one origin: it carries every change of <see cref="Site"/> with a sequence number in
/// (<see cref="From"/>, <see cref="To"/>] that the sender had (or a newer state of the same rows). A receiver whose
/// vector for the site is at least <see cref="From"/> may raise it to <see cref="To"/> after applying the batch.
/// </summary>
public sealed record OriginRange(string Site, long From, long To);
