import { test, expect } from "@playwright/test";
import { base, hookyard, hydrated, screenshots } from "./helpers";
import * as http from "node:http";
import Stripe from "stripe";
import { Webhook } from "standardwebhooks";

// Alerts end to end (named to run last: it adds an event and an endpoint): a handler that fails once then recovers; the server (started by
// playwright.config.ts with HOOKYARD_ALERT_AFTER_FAILURES=1 and HOOKYARD_ALERT_URL pointing
// here) raises "failing" then "recovered", sends both signed (checked with standardwebhooks),
// and the Alerts page shows them as sent.
const alertPort = Number(process.env.HOOKYARD_E2E_ALERT_PORT);
const alertSecret = process.env.HOOKYARD_E2E_ALERT_SECRET!;
const sourceSecret = "whsec_e2e_alerts_secret";

type Alert = { type: string; text: string; verified: boolean };
const alerts: Alert[] = [];
let handlerHits = 0;
let server: http.Server;

test.beforeAll(async () => {
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString();
      if (req.url === "/alert") {
        let verified = false;
        try {
          new Webhook(alertSecret).verify(body, req.headers as Record<string, string>);
          verified = true;
        } catch {}
        const json = JSON.parse(body);
        alerts.push({ type: json.type, text: json.text, verified });
        res.writeHead(204).end();
      } else {
        handlerHits += 1;
        res.writeHead(handlerHits === 1 ? 500 : 200).end(handlerHits === 1 ? "down" : "ok");
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(alertPort, "127.0.0.1", resolve));
  if (!/^alerting\s/m.test(hookyard("source", "list"))) {
    hookyard("source", "add", "--slug", "alerting", "--scheme", "stripe", "--secret", sourceSecret);
    hookyard("endpoint", "add", "--name", "books", "--url", `http://127.0.0.1:${alertPort}/ledger`, "--events", "invoice.*", "--source", "alerting");
  }
});

test.afterAll(() => server.close());

test("a failing then recovering endpoint: alerts sent signed and listed on the page", async ({ page }) => {
  test.setTimeout(60_000);
  const payload = JSON.stringify({ id: "evt_alerts_e2e", type: "invoice.payment_failed", livemode: false, data: { object: { id: "in_1" } } });
  const header = new Stripe("sk_test_unused").webhooks.generateTestHeaderString({ payload, secret: sourceSecret });
  const sent = await fetch(`${base}/hooks/alerting`, {
    method: "POST",
    headers: { "content-type": "application/json", "stripe-signature": header },
    body: payload,
  });
  expect(sent.status).toBe(200);
  // First try 500 (failing), the retry about 5 s later 200 (recovered). Endpoints that earlier
  // specs left failing raise alerts of their own, whose retries may reach this receiver too:
  // only those about "books" are this test's.
  const ours = () => alerts.filter((a) => a.text.includes("“books”"));
  await expect.poll(() => ours().map((a) => a.type), { timeout: 40_000 }).toEqual(["endpoint.failing", "endpoint.recovered"]);
  expect(alerts.every((a) => a.verified)).toBe(true);
  expect(ours()[0].text).toContain("Endpoint “books” is failing: 1 attempt in a row failed (last: HTTP 500)");

  await page.goto("/alerts");
  await hydrated(page);
  await expect(page.getByRole("heading", { name: "Alerts", level: 1 })).toBeVisible();
  await expect(page.getByText(`http://127.0.0.1:${alertPort}/…`)).toBeVisible();
  await expect(page.getByText("Endpoint “books” recovered")).toBeVisible();
  const booksRows = page.locator("table.alerts tbody tr", { hasText: "“books”" });
  await expect(booksRows.locator(".badge", { hasText: "sent" })).toHaveCount(2);
  await expect(page.getByRole("cell", { name: "invoice.paid" })).toBeVisible();
  await screenshots(page, "alerts");

  // Filter by kind.
  await page.getByRole("link", { name: "recovered", exact: true }).click();
  await expect(page).toHaveURL(/kind=endpoint\.recovered/);
  await expect(booksRows).toHaveCount(1);
});
