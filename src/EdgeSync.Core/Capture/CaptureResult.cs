namespace EdgeSync.Capture;

/// <summary>What one capture pass sealed.</summary>
/// <param name="Changes">Rows that got a new clocked change (inserted, updated or deleted).</param>
/// <param name="RangeRows">Of those, rows sealed through an insert range (no per-row work).</param>
public readonly record struct CaptureResult(int Changes, int RangeRows);
