import { test, expect, Browser, Page } from "@playwright/test";
import { authFile, base, hookyard, hydrated, Role, roles, screenshots, userOf } from "./helpers";
import Stripe from "stripe";

// Runs after the other specs (file order), whose counts of events it would change.
// Each role signed in (sessions saved by auth.setup.ts) sees only the pages and actions its
// role allows; the server refuses the rest. Events here are test-mode, so the Payments spec's
// live totals stay its own.
const secret = "whsec_e2e_access_secret";
const stripe = new Stripe("sk_test_unused");
const MARK = "access-note-4471";
let eventId = 0;

test.beforeAll(async () => {
  // beforeAll runs again after a failed test: create only once.
  if (!/^acc\s/m.test(hookyard("source", "list"))) {
    hookyard("source", "add", "--slug", "acc", "--scheme", "stripe", "--secret", secret, "--name", "Access test");
    hookyard("endpoint", "add", "--name", "acc-sink", "--url", "http://127.0.0.1:9/", "--events", "customer.deleted");
  }
  const payload = JSON.stringify({
    id: "evt_access_1", type: "customer.updated", object: "event", livemode: false,
    created: Math.floor(Date.now() / 1000),
    data: { object: { id: "cus_access", object: "customer", metadata: { note: MARK } } },
  });
  const res = await fetch(`${base}/hooks/acc`, {
    method: "POST",
    headers: { "content-type": "application/json", "stripe-signature": stripe.webhooks.generateTestHeaderString({ payload, secret }) },
    body: payload,
  });
  expect(res.status).toBe(200);
  eventId = (await res.json()).event_id;
});

async function as(browser: Browser, role: Role): Promise<Page> {
  const context = await browser.newContext({ storageState: authFile(role) });
  return context.newPage();
}

const navFor: Record<Role, string[]> = {
  viewer: ["Overview", "Events", "Failures", "Endpoints", "Event types", "Payments", "Alerts"],
  developer: ["Overview", "Events", "Failures", "Endpoints", "Event types", "Sources", "Payments", "Alerts"],
  operator: ["Overview", "Events", "Failures", "Endpoints", "Event types", "Sources", "Payments", "Alerts"],
  admin: ["Overview", "Events", "Failures", "Endpoints", "Event types", "Sources", "Payments", "Alerts", "Audit log", "Users & tokens"],
};

for (const role of roles) {
  test(`${role}: sees only the pages and actions the role allows`, async ({ browser }) => {
    const page = await as(browser, role);
    await page.goto("/");
    await hydrated(page);
    await expect(page.locator(".whoami")).toContainText(userOf(role).email);
    await expect(page.locator(".role-badge").first()).toHaveText(role);
    await expect(page.locator(".sidebar a > span:last-child")).toHaveText(navFor[role]);

    await page.goto(`/events/${eventId}`);
    await hydrated(page);
    await expect(page.getByRole("heading", { level: 1 })).toContainText("customer.updated");
    const html = await page.content();
    if (role === "viewer") {
      await expect(page.getByTestId("payload-withheld")).toBeVisible();
      expect(html).not.toContain(MARK);
      expect(html).not.toContain("stripe-signature");
      await screenshots(page, "access-viewer-event");
    } else {
      await expect(page.getByText(MARK).first()).toBeVisible();
    }
    const replay = page.getByRole("button", { name: "Replay" });
    await expect(replay).toHaveCount(role === "operator" || role === "admin" ? 1 : 0);

    await page.goto("/events?source=acc");
    await expect(page.getByLabel("Search in payloads")).toHaveCount(role === "viewer" ? 0 : 1);
    // Exports carry the page's filters; bodies only for roles that may read them.
    const csv = page.getByRole("link", { name: "CSV" });
    await expect(csv).toHaveAttribute("href", "/export/events.csv?source=acc");
    const exported = await page.request.get((await csv.getAttribute("href"))!);
    expect(exported.status()).toBe(200);
    expect(await exported.text()).toContain(",acc,customer.updated,evt_access_1,");
    await expect(page.getByRole("link", { name: "NDJSON with payloads" })).toHaveCount(role === "viewer" ? 0 : 1);
    const ndjson = await page.request.get("/export/events.ndjson?source=acc");
    expect(ndjson.status()).toBe(role === "viewer" ? 403 : 200);
    if (role !== "viewer") expect(await ndjson.text()).toContain(MARK);

    await page.goto("/endpoints");
    await hydrated(page);
    await expect(page.getByRole("link", { name: "New endpoint" })).toHaveCount(role === "admin" ? 1 : 0);
    const row = page.locator("tr", { hasText: "acc-sink" });
    await expect(row.getByRole("button", { name: "Pause" })).toHaveCount(role === "operator" || role === "admin" ? 1 : 0);
    await expect(row.getByRole("link", { name: "Edit" })).toHaveCount(role === "admin" ? 1 : 0);

    // Pages outside the role are refused by the server, not merely hidden.
    for (const [path, allowed] of [
      ["/sources", role !== "viewer"],
      ["/users", role === "admin"],
      ["/audit", role === "admin"],
      ["/endpoints/new", role === "admin"],
    ] as const) {
      const res = await page.goto(path);
      expect(res!.status(), `${role} ${path}`).toBe(allowed ? 200 : 403);
      if (!allowed) {
        await expect(page.getByRole("heading", { name: "Not allowed" })).toBeVisible();
        await expect(page.getByText(`Your role (${role}) cannot use this`)).toBeVisible();
      }
    }
    if (role === "operator") {
      await page.goto("/users");
      await screenshots(page, "access-refused");
    }
    await page.context().close();
  });
}

test.describe("signed out", () => {
  test.use({ storageState: { cookies: [], origins: [] } });

  test("sign-in: a page asks for it, a wrong password is refused, then in and out", async ({ page }) => {
    await page.goto("/payments?mode=test");
    await expect(page).toHaveURL(/\/login\?next=/);
    await hydrated(page);
    await screenshots(page, "login");
    const { email, password } = userOf("developer");
    await page.getByLabel("Email").fill(email);
    await page.getByLabel("Password").fill("not the password");
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page.getByRole("alert")).toHaveText("That email and password do not match an active account.");
    await expect(page.getByLabel("Email")).toHaveValue(email);
    await screenshots(page, "login-refused");
    await page.getByLabel("Password").fill(password);
    await page.getByRole("button", { name: "Sign in" }).click();
    // Back where the sign-in began.
    await expect(page).toHaveURL(/\/payments\?mode=test$/);
    const cookie = (await page.context().cookies()).find((c) => c.name === "hookyard_session")!;
    expect(cookie.httpOnly).toBe(true);
    expect(cookie.sameSite).toBe("Lax");
    await hydrated(page);
    await page.getByRole("button", { name: "Sign out" }).click();
    await expect(page.getByText("You are signed out.")).toBeVisible();
    // The old cookie is worth nothing now: the server ended the session.
    await page.context().addCookies([cookie]);
    await page.goto("/events");
    await expect(page).toHaveURL(/\/login\?next=/);
  });
});

test("admin: add a user with a generated password, change the role, disable; tokens", async ({ page, browser }) => {
  await page.goto("/users");
  await hydrated(page);
  await page.getByLabel("Email").fill("ana@e2e.test");
  await page.locator("form", { hasText: "Add user" }).getByLabel("Role").selectOption("operator");
  await page.getByRole("button", { name: "Add user" }).click();
  await expect(page.getByText("ana@e2e.test can sign in now, as operator.")).toBeVisible();
  const password = (await page.getByTestId("new-secret").textContent())!.trim();
  expect(password.length).toBeGreaterThanOrEqual(16);
  const row = page.locator("tr[data-user='ana@e2e.test']");
  await expect(row).toBeVisible();

  // The new user signs in with the password shown once.
  const other = await browser.newContext({ storageState: { cookies: [], origins: [] } });
  const ana = await other.newPage();
  await ana.goto("/login");
  await ana.getByLabel("Email").fill("ana@e2e.test");
  await ana.getByLabel("Password").fill(password);
  await ana.getByRole("button", { name: "Sign in" }).click();
  await expect(ana.locator(".role-badge")).toHaveText("operator");

  await row.getByLabel("Role of ana@e2e.test").selectOption("viewer");
  await row.getByRole("button", { name: "Change" }).click();
  await expect(page.getByText("ana@e2e.test is now viewer.")).toBeVisible();
  await ana.reload();
  await expect(ana.locator(".role-badge")).toHaveText("viewer");
  await page.locator("tr[data-user='ana@e2e.test']").getByRole("button", { name: "Disable" }).click();
  await expect(page.getByText("ana@e2e.test is disabled and signed out everywhere.")).toBeVisible();
  await ana.reload();
  await expect(ana).toHaveURL(/\/login/);
  await other.close();

  // You cannot lock yourself out from here.
  await expect(page.locator(`tr[data-user='${userOf("admin").email}']`).getByRole("button", { name: "Disable" })).toHaveCount(0);

  await page.getByLabel("What it is for").fill("nightly export");
  await page.locator("form", { hasText: "Create token" }).getByLabel("Role").selectOption("developer");
  await page.getByRole("button", { name: "Create token" }).click();
  await expect(page.getByText("Token “nightly export” (developer) is ready.")).toBeVisible();
  const token = (await page.getByTestId("new-secret").last().textContent())!.trim();
  expect(token).toMatch(/^hy_/);
  const me = await fetch(`${base}/api/v1/me`, { headers: { authorization: `Bearer ${token}` } });
  expect(await me.json()).toMatchObject({ name: "nightly export", role: "developer", token: true });
  await screenshots(page, "users");
  await page.locator("tr[data-token='nightly export']").getByRole("button", { name: "Revoke" }).click();
  await expect(page.getByText(/is revoked; requests with it are refused/)).toBeVisible();
  expect((await fetch(`${base}/api/v1/me`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(401);
});

test("audit log: sign-ins and changes, filtered by what and who", async ({ page }) => {
  await page.goto("/audit");
  await hydrated(page);
  await expect(page.getByRole("heading", { level: 1, name: "Audit log" })).toBeVisible();
  await page.getByLabel("What").selectOption("user.");
  await page.getByRole("button", { name: "Filter" }).click();
  await expect(page).toHaveURL(/action=user\./);
  const rows = page.locator("table.audit tbody tr");
  await expect(rows.first()).toBeVisible();
  for (const action of await rows.locator(".action-tag").allTextContents()) {
    expect(action.startsWith("user.")).toBe(true);
  }
  await expect(page.locator("table.audit")).toContainText("user.created");
  await page.goto(`/audit?action=login.&actor=${encodeURIComponent(userOf("viewer").email)}`);
  await expect(page.locator("table.audit")).toContainText("login.succeeded");
  await expect(page.getByLabel("Who")).toHaveValue(userOf("viewer").email);
  await page.goto("/audit");
  await screenshots(page, "audit");
});
