import { test, expect } from "@playwright/test";
import { base, hookyard, hydrated, screenshots } from "./helpers";
import * as http from "node:http";
import Stripe from "stripe";

// Real data through the real paths: sources and endpoints from the CLI, events signed by
// Stripe's own library and POSTed to /hooks, deliveries to a real HTTP handler.
const secret = "whsec_e2e_dashboard_secret";
const stripe = new Stripe("sk_test_unused");

async function send(event: object, signWith = secret): Promise<Response> {
  const payload = JSON.stringify(event);
  const header = stripe.webhooks.generateTestHeaderString({ payload, secret: signWith });
  return fetch(`${base}/hooks/shop`, {
    method: "POST",
    headers: { "content-type": "application/json", "stripe-signature": header },
    body: payload,
  });
}

let received = 0;
let handler: http.Server;

test.beforeAll(async () => {
  handler = http.createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      received++;
      res.writeHead(200).end("ok");
    });
  });
  await new Promise<void>((r) => handler.listen(0, "127.0.0.1", () => r()));
  const port = (handler.address() as any).port;
  // beforeAll runs again after a failed test: create only once.
  if (!/^shop\s/m.test(hookyard("source", "list"))) {
    hookyard("source", "add", "--slug", "shop", "--scheme", "stripe", "--secret", secret, "--name", "Shop (Stripe)");
    hookyard("endpoint", "add", "--name", "fulfilment", "--url", `http://127.0.0.1:${port}/hooks`, "--events", "payment_intent.*,charge.*");
  }
  const created = Math.floor(Date.now() / 1000);
  for (const [id, type, extra] of [
    ["evt_e2e_1", "payment_intent.succeeded", { order: "order-6735" }],
    ["evt_e2e_2", "charge.refunded", { order: "order-1111" }],
    ["evt_e2e_3", "invoice.paid", { order: "order-2222" }],
  ] as const) {
    const res = await send({
      id, type, object: "event", livemode: false, created, api_version: "2024-06-20",
      data: { object: { id: `pi_${id}`, object: "payment_intent", amount: 2000, currency: "usd", metadata: extra } },
    });
    expect(res.status).toBe(200);
  }
  // A refused request, to be explained on the Sources page.
  expect((await send({ id: "evt_bad", type: "x" }, "whsec_wrong")).status).toBe(400);
});

test.afterAll(() => handler.close());

test("events: filter by type and by a value inside the payload", async ({ page }) => {
  // This spec's source only: other specs add events of their own.
  await page.goto("/events?source=shop");
  const rows = page.locator("table.data tbody tr");
  await expect(rows).toHaveCount(3);
  await screenshots(page, "events");

  // Types seen so far, and their prefixes, are suggested.
  await expect(page.locator("datalist#known-types option[value='charge.*']")).toHaveCount(1);
  await expect(page.locator("datalist#known-types option[value='payment_intent.succeeded']")).toHaveCount(1);
  await page.getByLabel("Type").fill("charge.*");
  await page.getByRole("button", { name: "Filter" }).click();
  await expect(page).toHaveURL(/type=charge\.\*/);
  await expect(rows).toHaveCount(1);
  await expect(rows.first()).toContainText("charge.refunded");

  await page.goto("/events?source=shop");
  await page.getByLabel("Search in payloads").fill("order-6735");
  await page.getByRole("button", { name: "Filter" }).click();
  await expect(rows).toHaveCount(1);
  await expect(rows.first()).toContainText("payment_intent.succeeded");
  await expect(page.getByText("Payload search looks at the last 24 hours")).toBeVisible();
  // The back button returns to the unfiltered list.
  await page.goBack();
  await expect(rows).toHaveCount(3);
  await expect(page.getByText("Could not load events")).toHaveCount(0);
});

test("event detail: JSON tree, raw body, delivery, replay", async ({ page }) => {
  await page.goto("/events?type=payment_intent.succeeded");
  await page.getByRole("link", { name: "payment_intent.succeeded" }).first().click();
  await expect(page.getByRole("heading", { level: 1 })).toContainText("payment_intent.succeeded");
  await hydrated(page);
  const tree = page.getByTestId("json-tree");
  await expect(tree.getByText('"order-6735"')).toBeVisible();
  // Collapse the data object: its contents disappear; expand again.
  const data = tree.locator("details").filter({ hasText: "data" }).first();
  await data.locator("> summary").click();
  await expect(tree.getByText('"order-6735"')).toBeHidden();
  await data.locator("> summary").click();
  await expect(tree.getByText('"order-6735"')).toBeVisible();
  await expect(tree.locator(".json-key[title='$.data.object.amount']")).toBeVisible();
  await expect(page.getByText("✓ valid: matched secret")).toBeVisible();

  const delivery = page.locator("article.delivery");
  await expect(delivery).toHaveCount(1);
  await expect(delivery.first()).toContainText("fulfilment");
  await expect(delivery.first().locator(".badge").first()).toHaveText("succeeded", { timeout: 15_000 });
  await screenshots(page, "event-detail");

  await page.getByRole("button", { name: "Replay", exact: true }).click();
  await expect(page.getByRole("status").filter({ hasText: "Replayed" })).toContainText("Replayed to 1 endpoint");
  await expect(delivery).toHaveCount(2);
  await expect.poll(() => received, { timeout: 15_000 }).toBeGreaterThanOrEqual(3);
  // Or to one chosen endpoint.
  await page.getByLabel("Replay to").selectOption({ label: "Only fulfilment" });
  await page.getByRole("button", { name: "Replay", exact: true }).click();
  await expect(page.getByRole("status").filter({ hasText: "Replayed to “fulfilment”" })).toBeVisible();
  await expect(delivery).toHaveCount(3);
});

test("endpoints: pause and resume", async ({ page }) => {
  await page.goto("/endpoints");
  await hydrated(page);
  const row = page.locator("tr", { hasText: "fulfilment" });
  await expect(row.locator(".badge")).toHaveText("enabled");
  await row.getByRole("button", { name: "Pause" }).click();
  await expect(page.getByRole("status").filter({ hasText: "paused" })).toContainText("Endpoint “fulfilment” paused: new deliveries are held");
  await expect(row.locator(".badge")).toHaveText("paused");
  await screenshots(page, "endpoints");
  await row.getByRole("button", { name: "Resume" }).click();
  await expect(row.locator(".badge")).toHaveText("enabled");
});

test("sources: inbound URL and an explained rejection", async ({ page }) => {
  await page.goto("/sources");
  await expect(page.locator(".card.source", { hasText: "Shop (Stripe)" }).getByTestId("inbound-url")).toHaveText(`${base}/hooks/shop`);
  const rejection = page.locator("tr", { hasText: "signature_mismatch" });
  await expect(rejection).toContainText("No configured secret produces this signature");
  await screenshots(page, "sources");
});

test("failures page and overview with data", async ({ page }) => {
  await page.goto("/failures");
  await expect(page.getByRole("heading", { name: "Nothing is failing" })).toBeVisible();
  await screenshots(page, "failures");
  await page.goto("/");
  await expect(page.locator(".stat").filter({ hasText: "Events stored" })).toContainText("3");
  await screenshots(page, "overview-with-data");
});

test("event types: counts, samples and who subscribes", async ({ page }) => {
  await page.goto("/event-types");
  await expect(page.locator("tr", { hasText: "payment_intent.succeeded" })).toContainText("fulfilment");
  await expect(page.locator("tr", { hasText: "invoice.paid" })).toContainText("none: not delivered");
  await screenshots(page, "event-types");
  await page.locator("tr", { hasText: "charge.refunded" }).getByRole("link", { name: "newest event" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toContainText("charge.refunded");
});

test("failures: bulk replay with a preview count, then progress", async ({ page }) => {
  // An endpoint nobody listens on, for one new event type only (so earlier tests' counts hold).
  const closed = await new Promise<number>((resolve) => {
    const s = http.createServer();
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as any).port;
      s.close(() => resolve(port));
    });
  });
  hookyard("endpoint", "add", "--name", "audit-sink", "--url", `http://127.0.0.1:${closed}/`, "--events", "customer.*");
  await new Promise((r) => setTimeout(r, 2500)); // ingest caches endpoint settings for 2 s
  const created = Math.floor(Date.now() / 1000);
  expect((await send({ id: "evt_e2e_cust", type: "customer.created", created, data: { object: { id: "cus_1" } } })).status).toBe(200);

  // The first attempt fails within moments; the Failures page lists it once it has.
  await expect
    .poll(async () => {
      await page.goto("/failures");
      return page.locator("tr", { hasText: "audit-sink" }).count();
    }, { timeout: 20_000 })
    .toBeGreaterThan(0);
  await hydrated(page);
  const panel = page.locator("section.bulk");
  await panel.getByLabel("Endpoint").selectOption({ label: "audit-sink" });
  await panel.getByLabel("Deliveries").selectOption("retrying");
  await panel.getByRole("button", { name: "Preview" }).click();
  await expect(panel).toContainText("1 delivery would be sent again");
  await screenshots(page, "failures-bulk");
  await panel.getByRole("button", { name: "Replay 1" }).click();
  await expect(panel.getByTestId("bulk-progress")).toContainText("1 of 1 replayed, finished", { timeout: 15_000 });
});
