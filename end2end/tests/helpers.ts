import { expect, Page } from "@playwright/test";
import { execFileSync } from "node:child_process";

// What every spec shares: the server under test, its CLI, hydration and screenshots.
export const bin = process.env.HOOKYARD_E2E_BIN!;
export const db = process.env.HOOKYARD_E2E_DB!;
export const base = process.env.HOOKYARD_E2E_BASE!;

/** Runs the `hookyard` CLI against the server's database (`input`: its standard input). */
export function hookyard(...args: string[]): string {
  return hookyardWithInput("", ...args);
}

export function hookyardWithInput(input: string, ...args: string[]): string {
  return execFileSync(bin, args, { input, env: { ...process.env, DATABASE_URL: db, HOOKYARD_LOG: "warn" } }).toString();
}

/** The roles, and the user of each that tests/auth.setup.ts creates. */
export const roles = ["viewer", "developer", "operator", "admin"] as const;
export type Role = (typeof roles)[number];
export const userOf = (role: Role) => ({ email: `${role}@e2e.test`, password: `e2e-${role}-password` });
/** The saved session of a role (see playwright.config.ts). */
export const authFile = (role: Role) => `${process.env.HOOKYARD_E2E_AUTH_DIR}/${role}.json`;

/** Waits until the page is hydrated (the theme toggle marks itself ready). */
export async function hydrated(page: Page) {
  await expect(page.locator("button.theme-toggle[data-ready=true]")).toBeVisible();
}

/** Full-page screenshots at 1280 and 390 px; fails if the page overflows sideways. */
export async function screenshots(page: Page, name: string) {
  for (const [label, width] of [["desktop", 1280], ["mobile", 390]] as const) {
    await page.setViewportSize({ width, height: label === "desktop" ? 900 : 844 });
    // From the top: a full-page capture of a scrolled page draws the sticky top bar mid-page.
    await page.evaluate(() => window.scrollTo(0, 0));
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow, `${name} overflows sideways at ${width}px`).toBeLessThanOrEqual(0);
    await page.screenshot({ path: `screenshots/${name}-${label}.png`, fullPage: true });
  }
  await page.setViewportSize({ width: 1280, height: 900 });
}
