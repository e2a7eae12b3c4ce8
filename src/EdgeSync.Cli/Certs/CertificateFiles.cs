using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using EdgeSync.Cli.Internal;

namespace EdgeSync.Cli.Certs;

/// <summary>
/// Reads and writes the PEM files of <c>edgesync certs</c>: a CA folder (<c>ca.crt</c>, <c>ca.key</c>) and a site
/// folder with the key names of a cert-manager Secret (<c>tls.crt</c>, <c>tls.key</c>, <c>ca.crt</c>). Private keys
/// and tokens are created with mode 0600 on Unix. Existing files are never overwritten without <c>force</c>.
/// </summary>
internal static class CertificateFiles
{
    public const string CaCert = "ca.crt", CaKey = "ca.key", TlsCert = "tls.crt", TlsKey = "tls.key";

    private const UnixFileMode Secret = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode Public = Secret | UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    /// <summary>Refuses (usage error) when any of <paramref name="names"/> exists in <paramref name="dir"/> and <paramref name="force"/> is off.</summary>
    public static void CheckWritable(string dir, bool force, params string[] names)
    {
        var existing = names.Select(n => Path.Combine(dir, n)).Where(File.Exists).ToList();
        if (existing.Count > 0 && !force)
        {
            throw new CliException(ExitCodes.UsageError,
                $"{string.Join(" and ", existing)} already exist{(existing.Count == 1 ? "s" : "")}; refusing to overwrite (add --force to replace)");
        }
    }

    /// <summary>Writes <paramref name="text"/> to DIR/NAME (replacing it), with mode 0600 when <paramref name="secret"/>.</summary>
    public static string Write(string dir, string name, string text, bool secret)
    {
        Directory.CreateDirectory(dir);
        string path = Path.Combine(dir, name);
        File.Delete(path); // a new file gets the mode below; an existing one would keep its own
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = secret ? Secret : Public;
        }

        using var stream = new FileStream(path, options);
        using var writer = new StreamWriter(stream);
        writer.Write(text);
        return path;
    }

    /// <summary>The CA certificate with its private key from a folder written by <c>edgesync certs ca</c>.</summary>
    public static X509Certificate2 ReadAuthority(string dir)
    {
        string cert = Path.Combine(dir, CaCert), key = Path.Combine(dir, CaKey);
        foreach (var path in new[] { cert, key })
        {
            if (!File.Exists(path))
            {
                throw new CliException(ExitCodes.UsageError, $"--ca: '{path}' does not exist (make a CA with 'edgesync certs ca --out {dir}')");
            }
        }

        try
        {
            return X509Certificate2.CreateFromPemFile(cert, key);
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException)
        {
            throw new CliException(ExitCodes.UsageError, $"--ca: '{cert}' and '{key}' are not a PEM certificate and its private key ({e.Message})");
        }
    }
}
