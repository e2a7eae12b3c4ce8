using System.Text.Json;
using System.Text.Json.Serialization;

namespace EdgeSync.Agent.Console;

/// <summary>The console API's JSON (camelCase, nulls written, ISO 8601 times), source-generated.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, WriteIndented = false)]
[JsonSerializable(typeof(FleetSnapshot))]
internal sealed partial class FleetJson : JsonSerializerContext;
