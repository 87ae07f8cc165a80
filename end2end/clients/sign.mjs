// Signs a webhook body with each provider's own npm library, so Hookyard's verification is
// checked against independent implementations. Prints the headers as JSON.
//
//   node sign.mjs <stripe|standard|svix|github> <secret> <body-file> [timestamp-secs] [msg-id]
import { readFileSync } from "node:fs";
import Stripe from "stripe";
import { Webhook as StandardWebhook } from "standardwebhooks";
import { Webhook as SvixWebhook } from "svix";
import { sign as githubSign } from "@octokit/webhooks-methods";

const [scheme, secret, bodyFile, tsArg, idArg] = process.argv.slice(2);
const body = readFileSync(bodyFile, "utf8");
const ts = tsArg ? Number(tsArg) : Math.floor(Date.now() / 1000);
const id = idArg ?? "msg_" + Math.random().toString(36).slice(2);

let headers;
switch (scheme) {
  case "stripe": {
    const stripe = new Stripe("sk_test_unused");
    headers = {
      "stripe-signature": stripe.webhooks.generateTestHeaderString({ payload: body, secret, timestamp: ts }),
    };
    break;
  }
  case "standard": {
    const signature = new StandardWebhook(secret).sign(id, new Date(ts * 1000), body);
    headers = { "webhook-id": id, "webhook-timestamp": String(ts), "webhook-signature": signature };
    break;
  }
  case "svix": {
    const signature = new SvixWebhook(secret).sign(id, new Date(ts * 1000), body);
    headers = { "svix-id": id, "svix-timestamp": String(ts), "svix-signature": signature };
    break;
  }
  case "github": {
    headers = { "x-hub-signature-256": await githubSign(secret, body), "x-github-delivery": id };
    break;
  }
  default:
    console.error(`unknown scheme ${scheme}`);
    process.exit(2);
}
process.stdout.write(JSON.stringify(headers));
