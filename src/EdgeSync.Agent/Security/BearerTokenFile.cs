using System.Security.Cryptography;
using System.Text;

namespace EdgeSync.Agent.Security;

/// <summary>
/// The bearer token of <see cref="AgentAuthOptions.TokenFile"/>, re-read at most every
/// <see cref="TlsFiles.CheckInterval"/> (a rotated Secret is picked up without a restart; an unreadable file keeps
/// the previous token). Compared in constant time.
/// </summary>
internal sealed class BearerTokenFile
{
    /// <summary>Shortest token accepted: 16 characters (<c>edgesync certs token</c> writes 43).</summary>
    public const int MinLength = 16;

    private readonly string _path;
    private readonly TimeProvider _time;
    private byte[] _token;
    private long _lastCheck;

    public BearerTokenFile(string path, TimeProvider time)
    {
        _path = path;
        _time = time;
        _token = Read(path);
        _lastCheck = time.GetTimestamp();
    }

    /// <summary>Reads and checks a token file; throws with a message naming the key and the file.</summary>
    public static byte[] Read(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path).Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"EdgeSync:Auth:TokenFile: cannot read '{path}': {e.Message}", e);
        }

        if (text.Length < MinLength || text.Any(char.IsWhiteSpace))
        {
            throw new InvalidDataException(
                $"EdgeSync:Auth:TokenFile: '{path}' must hold one token of at least {MinLength} characters without spaces (edgesync certs token --out FILE makes one)");
        }

        return Encoding.UTF8.GetBytes(text);
    }

    /// <summary>True when <paramref name="presented"/> is the token.</summary>
    public bool Matches(string presented)
    {
        if (_time.GetElapsedTime(Interlocked.Read(ref _lastCheck)) >= TlsFiles.CheckInterval)
        {
            Interlocked.Exchange(ref _lastCheck, _time.GetTimestamp());
            try
            {
                Volatile.Write(ref _token, Read(_path));
            }
            catch (Exception e) when (e is IOException or InvalidDataException)
            {
                // Keep the previous token: a Secret being swapped is briefly unreadable.
            }
        }

        var token = Volatile.Read(ref _token);
        return CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(presented), token);
    }
}
