import { test, expect, Page } from "@playwright/test";

// The theme toggle only works once the WASM bundle has hydrated the page: `data-ready` is set
// by an effect, which runs in the browser only.
async function waitForHydration(page: Page) {
  await expect(page.locator("button.theme-toggle[data-ready=true]")).toBeVisible();
}

test("the shell hydrates and the theme toggle works and persists", async ({ page }) => {
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("console", (m) => m.type() === "error" && errors.push(m.text()));

  await page.emulateMedia({ colorScheme: "light" });
  await page.goto("/");
  await expect(page).toHaveTitle("Overview · Hookyard");
  await expect(page.getByRole("heading", { level: 1, name: "Overview" })).toBeVisible();
  await waitForHydration(page);

  const html = page.locator("html");
  await expect(html).not.toHaveAttribute("data-theme", /.+/);
  const toggle = page.getByRole("button", { name: "Switch to dark theme" });
  await toggle.click();
  await expect(html).toHaveAttribute("data-theme", "dark");
  await expect(page.getByRole("button", { name: "Switch to light theme" })).toBeVisible();

  // Persisted: a reload comes back dark before and after hydration.
  await page.reload();
  await expect(html).toHaveAttribute("data-theme", "dark");
  await waitForHydration(page);
  await page.getByRole("button", { name: "Switch to light theme" }).click();
  await expect(html).toHaveAttribute("data-theme", "light");

  expect(errors, errors.join("\n")).toEqual([]);
});

test("client-side navigation reaches every page after hydration", async ({ page }) => {
  await page.goto("/");
  await waitForHydration(page);
  const nav = page.getByRole("navigation", { name: "Main" });
  for (const [label, heading] of [
    ["Events", "Events"],
    ["Failures", "Failures"],
    ["Endpoints", "Endpoints"],
    ["Event types", "Event types"],
    ["Sources", "Sources"],
    ["Payments", "Payments"],
    ["Audit log", "Audit log"],
    ["Users & tokens", "Users & tokens"],
    ["Overview", "Overview"],
  ]) {
    await nav.getByRole("link", { name: label }).click();
    await expect(page.getByRole("heading", { level: 1, name: heading })).toBeVisible();
    await expect(nav.getByRole("link", { name: label })).toHaveAttribute("aria-current", "page");
  }
});

for (const [name, width, height] of [
  ["desktop", 1280, 800],
  ["mobile", 390, 844],
] as const) {
  for (const theme of ["light", "dark"] as const) {
    test(`screenshot of the shell at ${width}px, ${theme}`, async ({ page }) => {
      await page.setViewportSize({ width, height });
      await page.emulateMedia({ colorScheme: theme });
      await page.goto("/");
      await waitForHydration(page);
      // Nothing may overflow sideways on a phone.
      const overflow = await page.evaluate(
        () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
      );
      expect(overflow).toBeLessThanOrEqual(0);
      await page.screenshot({
        path: `screenshots/overview-${name}-${theme}.png`,
        fullPage: true,
      });
    });
  }
}
