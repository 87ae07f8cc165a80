// Verifies a delivery with the standardwebhooks library (used by the delivery tests).
//   node verify-standard.mjs <secret> <body-file> <headers-json-file>  -> exit 0 if valid
import { readFileSync } from "node:fs";
import { Webhook } from "standardwebhooks";

const [secret, bodyFile, headersFile] = process.argv.slice(2);
try {
  new Webhook(secret).verify(readFileSync(bodyFile, "utf8"), JSON.parse(readFileSync(headersFile, "utf8")));
  process.stdout.write("valid");
} catch (e) {
  process.stdout.write(`invalid: ${e.message}`);
  process.exit(1);
}
