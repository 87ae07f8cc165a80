import { test, expect } from "@playwright/test";
import { base, hookyard, hydrated, screenshots } from "./helpers";
import { execFileSync } from "node:child_process";
import * as http from "node:http";
import Stripe from "stripe";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Webhook } from "standardwebhooks";

// Creating and changing endpoints and sources from the dashboard, the live tail and the JSON
// tree's tools. Deliveries and test sends go to a real local handler, which checks our
// signatures with the standardwebhooks library; senders sign with npm stripe and @octokit.
const sourceSecret = "whsec_e2e_manage_secret";
const stripe = new Stripe("sk_test_unused");

// @octokit/webhooks-methods is ESM-only, so it signs through the shared client script.
function githubSign(secret: string, body: string): string {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "hy-gh-")), "body.json");
  fs.writeFileSync(file, body);
  const headers = JSON.parse(
    execFileSync("node", [path.join(__dirname, "../clients/sign.mjs"), "github", secret, file]).toString(),
  );
  return headers["x-hub-signature-256"];
}

async function sendStripe(event: object): Promise<Response> {
  const payload = JSON.stringify(event);
  const header = stripe.webhooks.generateTestHeaderString({ payload, secret: sourceSecret });
  return fetch(`${base}/hooks/manage`, {
    method: "POST",
    headers: { "content-type": "application/json", "stripe-signature": header },
    body: payload,
  });
}

// The handler: records what it receives and whether the Standard Webhooks signature verified
// with the secret the dashboard showed.
type Got = { path: string; body: string; verified: boolean | null };
const got: Got[] = [];
let endpointSecret = "";
let handler: http.Server;
let handlerUrl = "";

test.beforeAll(async () => {
  handler = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString();
      let verified: boolean | null = null;
      if (endpointSecret) {
        try {
          new Webhook(endpointSecret).verify(body, req.headers as Record<string, string>);
          verified = true;
        } catch {
          verified = false;
        }
      }
      got.push({ path: req.url ?? "", body, verified });
      res.writeHead(200, { "content-type": "text/plain" }).end("handled");
    });
  });
  await new Promise<void>((r) => handler.listen(0, "127.0.0.1", () => r()));
  handlerUrl = `http://127.0.0.1:${(handler.address() as any).port}/ledger`;
  // beforeAll runs again in a new worker after a failed test; the source is there by then.
  if (!hookyard("source", "list").includes("manage")) {
    hookyard("source", "add", "--slug", "manage", "--scheme", "stripe", "--secret", sourceSecret, "--name", "Manage (Stripe)");
  }
  const created = Math.floor(Date.now() / 1000);
  const res = await sendStripe({
    id: "evt_manage_1", type: "charge.captured", object: "event", livemode: false, created,
    data: { object: { id: "ch_manage_1", object: "charge", amount: 4200, currency: "eur", metadata: { "order ref": "A/7" } } },
  });
  expect(res.status).toBe(200);
});

test.afterAll(() => handler.close());

test("endpoints: create with field errors, then edit, test send, pause, resume, rotate", async ({ page }) => {
  await page.goto("/endpoints");
  await page.getByRole("link", { name: "New endpoint" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("New endpoint");
  await hydrated(page);

  // Mistakes are reported next to their fields, all at once, and nothing is saved.
  await page.getByLabel("Name", { exact: true }).fill("ledger");
  await page.getByLabel("URL", { exact: true }).evaluate((el: HTMLInputElement) => (el.type = "text"));
  await page.getByLabel("URL", { exact: true }).fill("ledger.internal/hooks");
  await page.getByLabel("Event types", { exact: true }).fill("charge.**");
  await page.getByLabel("Timeout (seconds)").fill("900");
  await page.getByRole("button", { name: "Create endpoint" }).click();
  await expect(page.locator("#url-error")).toContainText("Not a URL");
  await expect(page.locator("#events-error")).toContainText("charge.**");
  await expect(page.locator("#timeout_secs-error")).toContainText("1 to 300");
  await expect(page.getByRole("alert").filter({ hasText: "Nothing was saved: 3 fields to fix" })).toBeVisible();
  await screenshots(page, "endpoint-new-errors");

  // Fix them; take an event type from the suggestions of types seen so far.
  await page.getByLabel("URL", { exact: true }).fill(handlerUrl);
  await page.getByLabel("Event types", { exact: true }).fill("");
  await page.getByRole("button", { name: "+ charge.captured" }).click();
  await expect(page.getByLabel("Event types", { exact: true })).toHaveValue("charge.captured");
  await page.getByLabel("Timeout (seconds)").fill("5");
  await page.getByRole("button", { name: "Create endpoint" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Created “ledger”" })).toBeVisible();
  endpointSecret = (await page.getByTestId("new-secret").textContent()) ?? "";
  expect(endpointSecret).toMatch(/^whsec_/);
  await page.getByRole("link", { name: "Open the endpoint" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toContainText("ledger");
  await hydrated(page);

  // A test event reaches the handler, signed with the secret shown once.
  await page.getByRole("button", { name: "Send test event" }).click();
  await expect(page.getByTestId("test-result")).toContainText("Answered 200");
  await expect(page.getByTestId("test-result")).toContainText("handled");
  const test = got.find((g) => g.body.includes("hookyard.test"));
  expect(test?.verified).toBe(true);

  // Edit: the settings round-trip and the change is stated.
  await page.getByLabel("Event types", { exact: true }).fill("charge.*, refund.created");
  await page.getByLabel("Description").fill("Posts captured charges to the ledger");
  await page.getByRole("button", { name: "Save changes" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Saved “ledger”" })).toBeVisible();
  await page.reload();
  await expect(page.getByLabel("Event types", { exact: true })).toHaveValue("charge.*, refund.created");
  await hydrated(page);
  await screenshots(page, "endpoint-edit");

  // Pause and resume from its page.
  await page.getByRole("button", { name: "Pause" }).click();
  await expect(page.getByRole("status").filter({ hasText: "paused: new deliveries are held" })).toBeVisible();
  await expect(page.locator("h1 .badge")).toHaveText("paused");
  await page.getByRole("button", { name: "Resume" }).click();
  await expect(page.locator("h1 .badge")).toHaveText("enabled");

  // Rotate: a new secret, shown once; deliveries verify with it and not with the old one.
  const old = endpointSecret;
  await page.getByRole("button", { name: "Rotate secret" }).click();
  const rotated = (await page.getByTestId("new-secret").textContent()) ?? "";
  expect(rotated).toMatch(/^whsec_/);
  expect(rotated).not.toBe(old);
  endpointSecret = rotated;
  await page.getByRole("button", { name: "Send test event" }).click();
  await expect(page.getByTestId("test-result")).toContainText("Answered 200");
  expect(got[got.length - 1].verified).toBe(true);

  // The list shows its health over the last day.
  await page.goto("/endpoints");
  const row = page.locator("tr", { hasText: "ledger" });
  await expect(row).toContainText("charge.*, refund.created");
  await expect(row.getByRole("link", { name: "Edit" })).toBeVisible();
});

test("sources: create with a generated secret, then rotate with an overlap", async ({ page }) => {
  await page.goto("/sources");
  await page.getByRole("link", { name: "New source" }).click();
  await hydrated(page);
  await page.getByLabel("Slug").fill("GitHub Main");
  await page.getByLabel("Signature scheme").selectOption("github");
  await page.getByRole("button", { name: "Create source" }).click();
  await expect(page.locator("#slug-error")).toContainText("lower-case letters");
  await page.getByLabel("Slug").fill("github-main");
  await page.getByLabel("Name", { exact: true }).fill("GitHub (main org)");
  await page.getByRole("button", { name: "Create source" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Created source “github-main”" })).toBeVisible();
  const first = (await page.getByTestId("new-secret").textContent()) ?? "";
  expect(first.length).toBeGreaterThanOrEqual(32);
  await screenshots(page, "source-new");

  // A push signed by @octokit with that secret is accepted.
  const push = async (secret: string, id: string) => {
    const body = JSON.stringify({ ref: "refs/heads/main", after: id });
    return fetch(`${base}/hooks/github-main`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-github-event": "push",
        "x-github-delivery": id,
        "x-hub-signature-256": githubSign(secret, body),
      },
      body,
    });
  };
  expect((await push(first, "d-1")).status).toBe(200);

  await page.goto("/sources/github-main");
  await hydrated(page);
  await expect(page.getByTestId("inbound-url")).toHaveText(`${base}/hooks/github-main`);
  await page.getByLabel("Body limit (KiB)").fill("512");
  await page.getByRole("button", { name: "Save changes" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Saved source “github-main”" })).toBeVisible();

  await page.getByLabel("Keep the previous secret for (hours)").fill("24");
  await page.getByRole("button", { name: "Rotate secret" }).click();
  await expect(page.getByRole("status").filter({ hasText: "The previous secret keeps working for 24 hours" })).toBeVisible();
  const second = (await page.getByTestId("new-secret").textContent()) ?? "";
  expect(second).not.toBe(first);
  await expect(page.locator(".secret-list li")).toHaveCount(2);
  await expect(page.locator(".secret-list")).toContainText("previous, until");
  await screenshots(page, "source-edit");
  // Both secrets are accepted during the overlap; a made-up one is not.
  expect((await push(second, "d-2")).status).toBe(200);
  expect((await push(first, "d-3")).status).toBe(200);
  expect((await push("not-the-secret", "d-4")).status).toBe(400);
});

test("events: the live tail shows an event sent while watching", async ({ page }) => {
  await page.goto("/events?source=manage");
  await hydrated(page);
  await page.getByRole("button", { name: "Live tail" }).click();
  await expect(page.getByTestId("live-status")).toContainText("Watching");
  const created = Math.floor(Date.now() / 1000);
  expect((await sendStripe({ id: "evt_manage_live", type: "charge.refunded", object: "event", livemode: false, created, data: { object: { id: "ch_live" } } })).status).toBe(200);
  const live = page.getByTestId("live-rows");
  await expect(live).toContainText("evt_manage_live", { timeout: 10_000 });
  await expect(live).toContainText("1 new since the live tail started");
  await screenshots(page, "events-live");
  await page.getByRole("button", { name: "Live tail on" }).click();
  await expect(page.getByTestId("live-status")).toContainText("Off");
});

test("event detail: find in the payload, collapse and expand all, copy a path and a value", async ({ page, context }) => {
  await context.grantPermissions(["clipboard-read", "clipboard-write"]);
  await page.goto("/events?id=evt_manage_1");
  await page.getByRole("link", { name: "charge.captured" }).first().click();
  await hydrated(page);
  const tree = page.getByTestId("json-tree");
  await page.getByLabel("Find in payload").fill("a/7");
  await expect(page.getByRole("status").filter({ hasText: "1 match" })).toBeVisible();
  await expect(tree.locator(".hit")).toHaveText('"A/7"');

  await page.getByRole("button", { name: "Collapse all" }).click();
  await expect(tree.getByText('"A/7"')).toBeHidden();
  await page.getByRole("button", { name: "Expand all" }).click();
  await expect(tree.getByText('"A/7"')).toBeVisible();

  await tree.getByRole("button", { name: "order ref", exact: true }).click();
  const selected = page.getByTestId("json-selected");
  await expect(selected).toContainText('$.data.object.metadata["order ref"]');
  await selected.getByRole("button", { name: "Copy path" }).click();
  await expect(selected.getByRole("button", { name: "Copied ✓" })).toBeVisible();
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe('$.data.object.metadata["order ref"]');
  await tree.getByRole("button", { name: "amount", exact: true }).click();
  await selected.getByRole("button", { name: "Copy value" }).click();
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe("4200");
  await screenshots(page, "event-json-tools");
});
