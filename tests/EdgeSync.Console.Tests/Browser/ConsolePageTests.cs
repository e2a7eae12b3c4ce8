using Deque.AxeCore.Commons;
using Deque.AxeCore.Playwright;
using EdgeSync.Agent.Tests.Support;
using EdgeSync.Console.Tests.Support;
using Microsoft.Playwright;

namespace EdgeSync.Console.Tests.Browser;

/// <summary>
/// The console in a real headless chromium against a real fleet: what an operator sees at the hub's <c>/ui</c>, live,
/// while a factory is cut and healed; the factory detail view; accessibility (axe: no serious or critical violation).
/// </summary>
public sealed class ConsolePageTests
{
    /// <summary>Generous: the page polls every second; a cut shows as soon as the hub notices the conversation ended.</summary>
    private static readonly LocatorAssertionsToHaveAttributeOptions Soon = new() { Timeout = 15_000 };

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task HubConsole_ShowsTopologyAndConflict_TurnsRedWhenAFactoryIsCut_AndRecovers()
    {
        Chromium.SkipWhenMissing();
        await using var fleet = await ConsoleFleet.StartAsync();
        var (playwright, browser) = await Chromium.LaunchAsync();
        using var _ = playwright;
        await using var __ = browser;
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 860 } });

        await page.GotoAsync(fleet.Hub.HttpUrl + "/ui");
        var f1 = page.Locator("[data-cluster='factory-001']");
        var f2 = page.Locator("[data-cluster='factory-002']");
        await Assertions.Expect(f1).ToHaveAttributeAsync("data-state", "ok", Soon);
        await Assertions.Expect(f2).ToHaveAttributeAsync("data-state", "ok", Soon);
        await Assertions.Expect(f1.Locator("[data-site]")).ToHaveCountAsync(2);
        await Assertions.Expect(page.Locator("#agent")).ToContainTextAsync("hq · hub");
        await Assertions.Expect(page.Locator("#no-problems")).ToBeVisibleAsync();

        // The conflict both factories made on item m1, with the decision (rule, winner and loser sites).
        var items = page.Locator("#table-rows tr[data-table='items']");
        await Assertions.Expect(items.Locator("td").Nth(5)).Not.ToHaveTextAsync("0", new() { Timeout = 15_000 });
        await Assertions.Expect(items.Locator(".decisions li").First).ToContainTextAsync(": lww kept");
        await Assertions.Expect(items.Locator(".decisions li").First).ToContainTextAsync("'m1'.");
        await Assertions.Expect(items.Locator(".decisions li").First).ToContainTextAsync("factory-00");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Chromium.ScreenshotDirectory(), "fleet-overview.png"), FullPage = true });

        // Cut factory-002: its card turns red within seconds, the problem is listed first, linked to the runbook.
        await fleet.CutFactory2Async();
        AppDb.Exec(fleet.Hub.DbPath, "INSERT INTO settings(key, value) VALUES ('line-speed', '42')");
        await Assertions.Expect(f2).ToHaveAttributeAsync("data-state", "cut", Soon);
        await Assertions.Expect(f2.Locator(".badge").First).ToHaveCSSAsync("color", "rgb(164, 14, 38)");
        await Assertions.Expect(f1).ToHaveAttributeAsync("data-state", "ok");
        var problem = page.Locator("#problem-list li[data-alert='EdgeSyncPeerUnreachable']");
        await Assertions.Expect(problem).ToContainTextAsync("factory-002/sqlite-edge-0 is cut off");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Chromium.ScreenshotDirectory(), "fleet-cut.png"), FullPage = true });

        // Its detail view (a deep link) shows the replica cut and the change it lacks (the hub's new setting).
        await page.GotoAsync(fleet.Hub.HttpUrl + "/ui#/cluster/factory-002");
        var replica = page.Locator("#replica-rows tr[data-site='factory-002/sqlite-edge-0']");
        await Assertions.Expect(replica).ToHaveAttributeAsync("data-state", "cut", Soon);
        // At least the hub's new setting (more when the cut came before earlier changes reached it).
        await Assertions.Expect(replica.Locator("td").Nth(3)).ToHaveTextAsync(new System.Text.RegularExpressions.Regex("^[1-9][0-9]*$"));
        await Assertions.Expect(page.Locator("#detail-h")).ToContainTextAsync("factory-002");

        // The runbook link opens the section on what to do.
        await problem.Locator("a").ClickAsync();
        await Assertions.Expect(page.Locator("#runbook-text h3#edgesyncpeerunreachable")).ToBeVisibleAsync();

        // Heal: back to ok, the problem gone, nothing lacking.
        await page.GotoAsync(fleet.Hub.HttpUrl + "/ui#/cluster/factory-002");
        await fleet.HealFactory2Async();
        await Assertions.Expect(replica).ToHaveAttributeAsync("data-state", "ok", Soon);
        await Assertions.Expect(replica.Locator("td").Nth(3)).ToHaveTextAsync("0", new() { Timeout = 15_000 });
        await Assertions.Expect(page.Locator("#no-problems")).ToBeVisibleAsync(new() { Timeout = 15_000 });
    }

    [Fact]
    public async Task FactoryDetail_AndFilters_WorkFromDeepLinks()
    {
        Chromium.SkipWhenMissing();
        await using var fleet = await ConsoleFleet.StartAsync();
        var (playwright, browser) = await Chromium.LaunchAsync();
        using var _ = playwright;
        await using var __ = browser;
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 760 } });

        await page.GotoAsync(fleet.Hub.HttpUrl + "/ui#/cluster/factory-001");
        await Assertions.Expect(page.Locator("#replica-rows tr")).ToHaveCountAsync(2, new() { Timeout = 15_000 });
        await Assertions.Expect(page.Locator("#peer-rows tr")).ToHaveCountAsync(2);
        await Assertions.Expect(page.Locator("#overview")).ToBeHiddenAsync();
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Chromium.ScreenshotDirectory(), "factory-detail.png"), FullPage = true });

        // Filters live in the URL: the whole fleet filtered to factory-002 shows one card; a state filter hides healthy ones.
        await page.GotoAsync(fleet.Hub.HttpUrl + "/ui#/?cluster=factory-002");
        await Assertions.Expect(page.Locator("#clusters [data-cluster]")).ToHaveCountAsync(1, new() { Timeout = 15_000 });
        await Assertions.Expect(page.Locator("#f-cluster")).ToHaveValueAsync("factory-002");
        await page.SelectOptionAsync("#f-cluster", "");
        await page.SelectOptionAsync("#f-state", "cut");
        await Assertions.Expect(page.Locator("#clusters [data-cluster]")).ToHaveCountAsync(0);
        Assert.Contains("state=cut", page.Url, StringComparison.Ordinal);
        await page.SelectOptionAsync("#f-state", "");
        await Assertions.Expect(page.Locator("#clusters [data-cluster]")).ToHaveCountAsync(3);
    }

    [Fact]
    public async Task Console_HasNoSeriousAccessibilityViolations()
    {
        Chromium.SkipWhenMissing();
        await using var fleet = await ConsoleFleet.StartAsync();
        var (playwright, browser) = await Chromium.LaunchAsync();
        using var _ = playwright;
        await using var __ = browser;
        var page = await browser.NewPageAsync();
        await fleet.CutFactory2Async(); // a problem listed too

        foreach (var view in new[] { "/ui", "/ui#/cluster/factory-001", "/ui#/runbook/edgesyncpeerunreachable" })
        {
            await page.GotoAsync(fleet.Hub.HttpUrl + view);
            await Assertions.Expect(page.Locator("#agent")).ToContainTextAsync("hub", new() { Timeout = 15_000 });
            if (view == "/ui")
            {
                await Assertions.Expect(page.Locator("#problem-list li")).ToHaveCountAsync(1, new() { Timeout = 15_000 });
            }

            AxeResult result = await page.RunAxe();
            var serious = result.Violations.Where(v => v.Impact is "serious" or "critical").ToList();
            Assert.True(serious.Count == 0, $"{view}: " + string.Join("\n", serious.Select(v =>
                $"{v.Id} ({v.Impact}): {v.Help} at {string.Join(", ", v.Nodes.Select(n => n.Target?.ToString()))}")));
        }
    }
}
