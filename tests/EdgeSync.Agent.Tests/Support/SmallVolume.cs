using System.Diagnostics;

namespace EdgeSync.Agent.Tests.Support;

/// <summary>
/// A size-limited tmpfs mounted on a directory the test owns (a small volume that really fills); unmounted at dispose.
/// Needs root on Linux: <see cref="SkipUnlessPossible"/> skips with the reason otherwise (CI runs as root).
/// </summary>
public sealed class SmallVolume : IDisposable
{
    private SmallVolume(string path, long bytes)
    {
        Path = path;
        Bytes = bytes;
    }

    /// <summary>Where it is mounted.</summary>
    public string Path { get; }

    /// <summary>Its size.</summary>
    public long Bytes { get; }

    public static void SkipUnlessPossible() =>
        Assert.SkipUnless(OperatingSystem.IsLinux() && Environment.UserName == "root" && File.Exists("/bin/mount"),
            "needs root on Linux to mount a size-limited tmpfs (CI runs as root)");

    /// <summary>Mounts a tmpfs of <paramref name="mebibytes"/> MiB on <paramref name="path"/> (created if needed).</summary>
    public static SmallVolume Mount(string path, int mebibytes)
    {
        SkipUnlessPossible();
        Directory.CreateDirectory(path);
        Run("/bin/mount", $"-t tmpfs -o size={mebibytes}m tmpfs {path}");
        return new SmallVolume(path, mebibytes * 1024L * 1024);
    }

    public void Dispose() => Run("/bin/umount", $"-l {Path}");

    private static void Run(string exe, string args)
    {
        using var p = Process.Start(new ProcessStartInfo(exe, args) { RedirectStandardError = true })!;
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"{exe} {args}: {p.StandardError.ReadToEnd()}");
    }
}
