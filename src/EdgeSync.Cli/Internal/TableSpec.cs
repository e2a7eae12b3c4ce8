using System.CommandLine.Parsing;
using EdgeSync.Errors;
using EdgeSync.Schema;

namespace EdgeSync.Cli.Internal;

/// <summary>One <c>--table NAME=POLICY</c> value of <c>edgesync init</c>.</summary>
internal sealed record TableSpec(string Name, TablePolicy Policy)
{
    /// <summary>Parses every <c>NAME=POLICY</c> token of the option; a malformed one becomes a usage error.</summary>
    public static TableSpec[]? ParseAll(ArgumentResult result)
    {
        var specs = new List<TableSpec>();
        foreach (var token in result.Tokens)
        {
            int eq = token.Value.IndexOf('=', StringComparison.Ordinal);
            string name = eq < 0 ? "" : token.Value[..eq].Trim();
            if (eq < 0 || name.Length == 0)
            {
                result.AddError($"--table '{token.Value}' must be NAME=POLICY, for example telemetry=append or config=lww");
                return null;
            }

            try
            {
                var policy = TablePolicyNames.Parse(token.Value[(eq + 1)..]);
                if (specs.Any(s => string.Equals(s.Name, name, StringComparison.OrdinalIgnoreCase)))
                {
                    result.AddError($"--table '{name}' is given more than once");
                    return null;
                }

                specs.Add(new TableSpec(name, policy));
            }
            catch (ArgumentValidationException e)
            {
                result.AddError($"--table '{token.Value}': {e.Message}");
                return null;
            }
        }

        return [.. specs];
    }
}
