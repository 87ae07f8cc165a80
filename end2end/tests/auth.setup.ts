import { test as setup, expect } from "@playwright/test";
import { authFile, hookyard, hookyardWithInput, roles, screenshots, userOf } from "./helpers";

// Before any user exists the sign-in page says how to create the first admin; then one user
// per role is created with the CLI (password on standard input, as an operator would) and
// each signs in once through the form, leaving a saved session for the specs.
setup("create a user per role and sign each in", async ({ page }) => {
  await page.goto("/events");
  await expect(page).toHaveURL(/\/login\?next=%2Fevents$/);
  await expect(page.getByRole("heading", { name: "Create the first admin" })).toBeVisible();
  await expect(page.locator("pre.command")).toHaveText("hookyard user add --email you@example.com --role admin");
  await screenshots(page, "setup-first-admin");

  for (const role of roles) {
    const { email, password } = userOf(role);
    const out = hookyardWithInput(`${password}\n`, "user", "add", "--email", email, "--role", role);
    expect(out).toContain(`${email} (${role})`);
  }
  expect(hookyard("user", "list")).toContain("viewer@e2e.test");

  for (const role of roles) {
    const { email, password } = userOf(role);
    await page.context().clearCookies();
    await page.goto("/login");
    await page.getByLabel("Email").fill(email);
    await page.getByLabel("Password").fill(password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page).toHaveURL(/\/$/);
    await expect(page.locator(".whoami")).toContainText(email);
    await page.context().storageState({ path: authFile(role) });
  }
});
