import { test, expect } from "@playwright/test";
import { base, hookyard, screenshots } from "./helpers";
import Stripe from "stripe";

// A business owner's view of payments, from real data: a Stripe source made with the CLI and
// events signed by Stripe's own library, POSTed to /hooks; the server's projector folds them in.
const secret = "whsec_e2e_payments_secret";
const stripe = new Stripe("sk_test_unused");

async function send(id: string, type: string, created: number, object: Record<string, unknown>) {
  const livemode = object.livemode ?? true;
  const payload = JSON.stringify({
    id, type, object: "event", api_version: "2024-06-20", created, livemode, pending_webhooks: 1,
    data: { object },
  });
  const header = stripe.webhooks.generateTestHeaderString({ payload, secret });
  const res = await fetch(`${base}/hooks/pay`, {
    method: "POST",
    headers: { "content-type": "application/json", "stripe-signature": header },
    body: payload,
  });
  expect(res.status, `${id}: ${await res.clone().text()}`).toBe(200);
  return (await res.json()) as { status: string; event_id: number };
}

function intent(id: string, status: string, amount: number, currency: string, extra: Record<string, unknown> = {}) {
  return {
    id, object: "payment_intent", amount, currency, status, customer: `cus_${id.slice(3)}`,
    description: `Order ${id}`, livemode: true, last_payment_error: null, ...extra,
  };
}

const now = Math.floor(Date.now() / 1000);

test.beforeAll(async () => {
  // beforeAll runs again in a fresh worker after a failure; the source is made once.
  if (!/^pay\s/m.test(hookyard("source", "list"))) {
    hookyard("source", "add", "--slug", "pay", "--scheme", "stripe", "--secret", secret, "--name", "Payments (Stripe)");
  }
  await send("evt_p_usd_ok", "payment_intent.succeeded", now - 30, intent("pi_p_usd", "succeeded", 5000, "usd"));
  // Stripe does not promise order: the creation arrives after the success (stale).
  await send("evt_p_usd_created", "payment_intent.created", now - 60, intent("pi_p_usd", "requires_payment_method", 5000, "usd"));
  // A redelivery is answered, and never counted twice.
  expect((await send("evt_p_usd_ok", "payment_intent.succeeded", now - 30, intent("pi_p_usd", "succeeded", 5000, "usd"))).status).toBe("duplicate");
  await send("evt_p_usd_refund", "charge.refunded", now - 10, {
    id: "ch_p_usd", object: "charge", amount: 5000, amount_refunded: 1500, captured: true, currency: "usd",
    customer: "cus_p_usd", livemode: true, paid: true, payment_intent: "pi_p_usd", refunded: false, status: "succeeded",
  });
  await send("evt_p_jpy", "payment_intent.succeeded", now - 20, intent("pi_p_jpy", "succeeded", 12000, "jpy"));
  await send("evt_p_fail", "payment_intent.payment_failed", now - 15, intent("pi_p_fail", "requires_payment_method", 2500, "usd", {
    last_payment_error: { code: "card_declined", message: "Your card was declined.", type: "card_error" },
  }));
  await send("evt_p_test", "payment_intent.succeeded", now - 5, intent("pi_p_test", "succeeded", 99900, "usd", { livemode: false }));
});

test("payments: live totals per currency, failed filter, one payment's timeline to the raw event", async ({ page }) => {
  // The projector folds events in moments after they are stored.
  await expect
    .poll(async () => {
      await page.goto("/payments");
      return page.locator(".money-stat").count();
    }, { timeout: 20_000 })
    .toBeGreaterThanOrEqual(2);
  await expect(page.getByText("Live mode: test payments are never counted here.")).toBeVisible();

  const usd = page.locator(".money-stat[data-currency=usd]");
  await expect(usd).toContainText("50.00 USD");
  await expect(usd).toContainText("1 failed this month");
  await expect(page.locator(".money-stat[data-currency=jpy]")).toContainText("12,000 JPY");
  const usdToday = page.locator(".totals-table tr.currency-first", { hasText: "USD" });
  await expect(usdToday).toContainText("Today");
  await expect(usdToday.locator("td").nth(1)).toContainText("50.00 USD (1)"); // collected
  await expect(usdToday.locator("td").nth(2)).toHaveText("15.00 USD"); // refunded
  await expect(usdToday.locator("td").nth(4)).toHaveText("1 · 25.00 USD"); // failed
  await expect(usdToday.locator("td").nth(5)).toHaveText("35.00 USD"); // net
  await expect(page.getByText("999.00 USD")).toHaveCount(0); // the test payment is not live
  await expect(page.locator(".payment-chart svg")).toHaveCount(2); // one chart per currency
  await screenshots(page, "payments");

  // Test mode lists the test payment (and only test payments).
  await page.getByRole("link", { name: "Test", exact: true }).click();
  await expect(page).toHaveURL(/mode=test/);
  await expect(page.locator("table.payments-table")).toContainText("pi_p_test");
  await expect(page.locator("table.payments-table")).not.toContainText("pi_p_jpy");
  await page.getByRole("link", { name: "Live", exact: true }).click();

  // What failed?
  await page.getByLabel("Status").selectOption("failed");
  await page.getByRole("button", { name: "Filter" }).click();
  await expect(page).toHaveURL(/status=failed/);
  const rows = page.locator("table.payments-table tbody tr");
  await expect(rows).toHaveCount(1);
  await expect(rows.first()).toContainText("pi_p_fail");
  await expect(rows.first()).toContainText("Your card was declined.");
  await screenshots(page, "payments-failed");
  await rows.first().getByRole("link", { name: "pi_p_fail" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toContainText("25.00 USD");
  await expect(page.getByRole("heading", { level: 1 })).toContainText("failed");

  // The refunded payment: its timeline, the stale event flagged, then the raw event.
  await page.goto("/payments?q=pi_p_usd");
  await page.getByRole("link", { name: "pi_p_usd" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toContainText("50.00 USD");
  await expect(page.getByRole("heading", { level: 1 })).toContainText("partially refunded");
  const timeline = page.locator("table.timeline tbody tr");
  await expect(timeline).toHaveCount(3);
  await expect(timeline.nth(0)).toContainText("payment_intent.created");
  await expect(timeline.nth(0)).toContainText("stale");
  await expect(timeline.nth(1)).toContainText("delivered 1 more time, counted once");
  await expect(timeline.nth(2)).toContainText("charge.refunded");
  await expect(timeline.nth(2)).toContainText("15.00 USD"); // the refund, not the charge
  await expect(page.locator("dl.facts")).toContainText("15.00 USD");
  await screenshots(page, "payment");
  await timeline.nth(2).getByRole("link", { name: "charge.refunded" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toContainText("charge.refunded");
  await expect(page.getByText("evt_p_usd_refund").first()).toBeVisible();
});

test("overview: today's and this month's live money", async ({ page }) => {
  await page.goto("/");
  const money = page.locator("section.money-overview");
  await expect(money).toContainText("Payments, live mode");
  await expect(money.locator("tr", { hasText: "JPY" })).toContainText("12,000 JPY");
  await expect(money).not.toContainText("999.00 USD");
  await screenshots(page, "overview-payments");
});
