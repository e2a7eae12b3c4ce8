using Microsoft.Playwright;

namespace EdgeSync.Console.Tests.Support;

/// <summary>
/// Debian's headless chromium driven by Playwright (<c>ExecutablePath</c>: Playwright's own browser download is never
/// used). <c>EDGESYNC_CHROMIUM</c> names another executable. Tests skip, saying why, when there is none (.ci/run installs
/// the <c>chromium</c> package; with CI=true a skip fails the run).
/// </summary>
public static class Chromium
{
    public static string Path => Environment.GetEnvironmentVariable("EDGESYNC_CHROMIUM") is { Length: > 0 } p ? p : "/usr/bin/chromium";

    public static void SkipWhenMissing() =>
        Assert.SkipUnless(File.Exists(Path), $"no chromium at {Path}: install Debian's 'chromium' package (apt-get install chromium) or set EDGESYNC_CHROMIUM");

    public static async Task<(IPlaywright Playwright, IBrowser Browser)> LaunchAsync()
    {
        Environment.SetEnvironmentVariable("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1");
        var playwright = await Playwright.CreateAsync();
        try
        {
            // --no-sandbox: CI runs as root, where chromium refuses its sandbox.
            var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
            {
                ExecutablePath = Path, Headless = true, Args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
            });
            return (playwright, browser);
        }
        catch
        {
            playwright.Dispose();
            throw;
        }
    }

    /// <summary>Where screenshots go: <c>EDGESYNC_CONSOLE_SCREENSHOTS</c> (docs/console when refreshing the committed ones), else the test output.</summary>
    public static string ScreenshotDirectory()
    {
        string dir = Environment.GetEnvironmentVariable("EDGESYNC_CONSOLE_SCREENSHOTS") is { Length: > 0 } d
            ? d : System.IO.Path.Combine(AppContext.BaseDirectory, "screenshots");
        Directory.CreateDirectory(dir);
        return dir;
    }
}
