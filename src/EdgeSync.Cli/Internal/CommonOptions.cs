using System.CommandLine;
using System.Globalization;

namespace EdgeSync.Cli.Internal;

/// <summary>Options several commands share, so they read the same everywhere.</summary>
internal static class CommonOptions
{
    public static Option<string> Database(string description = "The SQLite database file.") => new("--db")
    {
        Description = description,
        HelpName = "PATH",
        Required = true,
    };

    public static Option<bool> Json() => new("--json")
    {
        Description = "Print JSON instead of text (stable field names, for scripts).",
    };

    /// <summary>
    /// An integer option with a default, refusing values outside [min, max] (and non-numbers) with a usage error
    /// that names the option.
    /// </summary>
    public static Option<int> Integer(string name, string description, string helpName, int defaultValue, int min, int max) => new(name)
    {
        Description = description,
        HelpName = helpName,
        DefaultValueFactory = _ => defaultValue,
        CustomParser = result =>
        {
            string text = result.Tokens.Count == 1 ? result.Tokens[0].Value : "";
            if (!int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int value) || value < min || value > max)
            {
                result.AddError($"{name} must be a whole number from {min.ToString("N0", CultureInfo.InvariantCulture)} "
                    + $"to {max.ToString("N0", CultureInfo.InvariantCulture)}, not '{text}'");
                return defaultValue;
            }

            return value;
        },
    };
}
