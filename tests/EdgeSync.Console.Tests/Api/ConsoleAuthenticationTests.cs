using System.Net;
using System.Net.Http.Headers;
using EdgeSync.Agent.Tests.Support;

namespace EdgeSync.Console.Tests.Api;

/// <summary>The console is authenticated as ingest is: without the token (or a client certificate) nothing of the fleet is shown.</summary>
public sealed class ConsoleAuthenticationTests
{
    private const string Token = "console-test-token-0123456789";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("/v1/fleet")]
    [InlineData("/v1/fleet/solo")]
    [InlineData("/ui/console.js")]
    [InlineData("/ui/runbook.md")]
    public async Task WithoutToken_Is401ProblemWithChallenge(string path)
    {
        using var dir = new TempDir();
        await using var agent = await StartAsync(dir);
        using var response = await agent.Http.GetAsync(path, Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("Bearer", Assert.Single(response.Headers.WwwAuthenticate).Scheme);

        using var wrong = new HttpRequestMessage(HttpMethod.Get, path);
        wrong.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "not-the-token-at-all-000");
        using var refused = await agent.Http.SendAsync(wrong, Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);

        using var right = new HttpRequestMessage(HttpMethod.Get, path);
        right.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        using var ok = await agent.Http.SendAsync(right, Ct);
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
    }

    [Fact]
    public async Task Page_WithoutToken_AsksForIt_AndTheTokenSignsTheBrowserIn()
    {
        using var dir = new TempDir();
        await using var agent = await StartAsync(dir);
        using var handler = new HttpClientHandler { AllowAutoRedirect = false, UseCookies = true };
        using var browser = new HttpClient(handler) { BaseAddress = new Uri(agent.HttpUrl) };

        using var page = await browser.GetAsync("/ui", Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, page.StatusCode);
        string html = await page.Content.ReadAsStringAsync(Ct);
        Assert.Contains("name=\"token\"", html, StringComparison.Ordinal);
        Assert.DoesNotContain("console.js", html, StringComparison.Ordinal);

        using var wrong = await browser.GetAsync("/ui?token=not-the-token-at-all-000", Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.False(wrong.Headers.Contains("Set-Cookie"));

        using var signIn = await browser.GetAsync("/ui?token=" + Token, Ct);
        Assert.Equal(HttpStatusCode.Redirect, signIn.StatusCode);
        Assert.Equal("/ui", signIn.Headers.Location?.OriginalString); // the token leaves the address bar
        string cookie = Assert.Single(signIn.Headers.GetValues("Set-Cookie"));
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", cookie, StringComparison.OrdinalIgnoreCase);

        using var after = await browser.GetAsync("/ui", Ct);
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
        using var api = await browser.GetAsync("/v1/fleet", Ct);
        Assert.Equal(HttpStatusCode.OK, api.StatusCode);

        // The cookie is the console's only: ingest still wants the bearer token.
        using var ingest = await browser.PostAsync("/v1/tables/items/rows", new StringContent("[{\"id\":\"x\",\"name\":\"n\"}]",
            System.Text.Encoding.UTF8, "application/json"), Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, ingest.StatusCode);
    }

    private static async Task<TestAgent> StartAsync(TempDir dir)
    {
        string tokenFile = dir.File("token");
        await File.WriteAllTextAsync(tokenFile, Token + "\n", Ct);
        return await TestAgent.StartAsync(dir.Db("solo"), "solo/sqlite-edge-0", settings: new Dictionary<string, string?> { ["EdgeSync:Auth:TokenFile"] = tokenFile });
    }
}
