import { defineConfig } from "@playwright/test";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

// One Hookyard server for the whole run, on its own fresh SQLite database, using the binary
// that scripts/test.sh just built (override with HOOKYARD_BIN).
const port = Number(process.env.HOOKYARD_E2E_PORT ?? 3107);
// The config is loaded by the runner and again by each worker: the first creates the data
// directory and passes it on in the environment, so all agree on one database.
const dataDir =
  process.env.HOOKYARD_E2E_DATA_DIR ??
  (process.env.HOOKYARD_E2E_DATA_DIR = fs.mkdtempSync(path.join(os.tmpdir(), "hookyard-e2e-")));
const bin = process.env.HOOKYARD_BIN ?? path.resolve(__dirname, "../target/debug/hookyard");
export const baseURL = `http://127.0.0.1:${port}`;
process.env.HOOKYARD_E2E_AUTH_DIR = path.join(dataDir, "auth");
/** Where the signed-in session of `role` is saved. */
function authFile(role: string): string {
  return path.join(process.env.HOOKYARD_E2E_AUTH_DIR!, `${role}.json`);
}
// The tests seed data with the same binary and database (hookyard source add, ...).
process.env.HOOKYARD_E2E_BIN = bin;
// Alerts go to a receiver that tests/watch.spec.ts runs on this port.
process.env.HOOKYARD_E2E_ALERT_PORT ??= String(port + 2);
process.env.HOOKYARD_E2E_ALERT_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
process.env.HOOKYARD_E2E_DB = `sqlite://${dataDir}/hookyard.db`;
process.env.HOOKYARD_E2E_BASE = baseURL;

export default defineConfig({
  testDir: "./tests",
  outputDir: "./test-results",
  timeout: 60_000,
  expect: { timeout: 15_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [["list"]],
  // "setup" creates a user per role and signs each in once (tests/auth.setup.ts); the specs run
  // signed in as the admin unless they pick another role's saved session.
  projects: [
    { name: "setup", testMatch: /auth\.setup\.ts/ },
    {
      name: "chromium",
      dependencies: ["setup"],
      testIgnore: /auth\.setup\.ts/,
      use: { storageState: authFile("admin") },
    },
  ],
  use: {
    baseURL,
    trace: "retain-on-failure",
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    },
  },
  webServer: {
    command: `${bin} serve --bind 127.0.0.1:${port}`,
    url: `${baseURL}/healthz`,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: "ignore",
    stderr: "pipe",
    env: {
      DATABASE_URL: `sqlite://${dataDir}/hookyard.db`,
      HOOKYARD_LOG: process.env.HOOKYARD_E2E_LOG ?? "warn",
      HOOKYARD_ALERT_URL: `http://127.0.0.1:${process.env.HOOKYARD_E2E_ALERT_PORT}/alert`,
      HOOKYARD_ALERT_SECRET: process.env.HOOKYARD_E2E_ALERT_SECRET,
      HOOKYARD_ALERT_AFTER_FAILURES: "1",
      HOOKYARD_ALERT_TICK_MS: "300",
      HOOKYARD_ALERT_QUIET: "invoice.paid=6h",
    },
  },
});
