namespace EdgeSync.Agent.Export;

/// <summary>The stream is not where this exporter thought (a retry landed, or another exporter published): read it back.</summary>
internal sealed class ExportConflictException(string message) : Exception(message);
