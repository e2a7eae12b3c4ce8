using EdgeSync.Errors;

namespace EdgeSync.Schema;

/// <summary>The names policies and modes have in configuration files and metadata tables.</summary>
public static class TablePolicyNames
{
    /// <summary>Parses <c>append</c> or <c>lww</c> (case-insensitive).</summary>
    public static TablePolicy Parse(string value) => value.Trim().ToLowerInvariant() switch
    {
        "append" => TablePolicy.Append,
        "lww" => TablePolicy.Lww,
        _ => throw new ArgumentValidationException(
            $"unknown table policy '{value}'; use 'append' (immutable rows) or 'lww' (last-writer-wins per column)"),
    };

    /// <summary>The configuration name of a policy.</summary>
    public static string ToName(this TablePolicy policy) => policy == TablePolicy.Append ? "append" : "lww";

    /// <summary>The metadata name of a capture mode.</summary>
    public static string ToName(this CaptureMode mode) => mode == CaptureMode.RowidScan ? "rowid-scan" : "trigger";

    internal static CaptureMode ParseMode(string value) =>
        value == "rowid-scan" ? CaptureMode.RowidScan : CaptureMode.Trigger;
}
