import { test, expect, Browser, Page } from "@playwright/test";
import { writeFileSync } from "node:fs";

// Lighthouse's mobile profile: a mid-range phone on a slow 4G connection
// (150 ms round trip, 1.6 Mbit/s down, 750 kbit/s up, CPU 4× slower).
const PROFILE = { latency: 150, down: 1_600_000 / 8, up: 750_000 / 8, cpu: 4 };
// The goal is 3 s on the release build (scripts/bench-read.sh sets it); the
// test command's debug build is many times larger, so it only has to finish.
const BUDGET_MS = Number(process.env.PHONE_BUDGET_MS ?? 90_000);
const DEMO_PASSWORD = process.env.DEMO_PASSWORD ?? "demo-pass-2026";

async function phone(browser: Browser): Promise<Page> {
  const context = await browser.newContext({
    viewport: { width: 390, height: 844 },
    deviceScaleFactor: 3,
    isMobile: true,
    hasTouch: true,
    locale: "zh-CN",
  });
  return context.newPage();
}

async function throttle(page: Page) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Network.enable");
  await cdp.send("Network.emulateNetworkConditions", {
    offline: false,
    latency: PROFILE.latency,
    downloadThroughput: PROFILE.down,
    uploadThroughput: PROFILE.up,
  });
  await cdp.send("Emulation.setCPUThrottlingRate", { rate: PROFILE.cpu });
}

/** Milliseconds from navigation to a hydrated page whose controls answer. */
async function timeToUsable(page: Page, path: string, usable: (p: Page) => Promise<void>) {
  const start = Date.now();
  await page.goto(path, { waitUntil: "commit", timeout: BUDGET_MS });
  await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true", { timeout: BUDGET_MS });
  await usable(page);
  return Date.now() - start;
}

test("the home page and the opinion form are usable on a slow phone", async ({ browser }) => {
  test.setTimeout(4 * BUDGET_MS + 60_000);
  const times: Record<string, number> = {};

  // A first visit: nothing cached. Usable = the language switch works.
  const visitor = await phone(browser);
  await throttle(visitor);
  times.home_first_visit = await timeToUsable(visitor, "/", async (p) => {
    await p.locator("#lang-switch").click();
    await expect(p.locator("html")).toHaveAttribute("lang", "en");
  });

  // A resident (signed in beforehand, at full speed) opens the form on a
  // cold phone, then again with the site's files cached.
  const resident = await phone(browser);
  const login = await resident.request.post("/api/login", {
    form: { phone: "13800000001", password: DEMO_PASSWORD, next: "/" },
    headers: { Origin: new URL(process.env.BASE_URL ?? "http://127.0.0.1:3000").origin },
  });
  expect(login.ok()).toBeTruthy();
  await throttle(resident);
  const formUsable = async (p: Page) => {
    const title = p.getByLabel("标题");
    await title.fill("楼下路灯不亮");
    await p.getByLabel("具体情况").fill("晚上很黑");
    await expect(p.locator("#op-body-count")).toContainText("4/2000");
  };
  times.form_first_visit = await timeToUsable(resident, "/opinions/new", formUsable);
  times.form_second_visit = await timeToUsable(resident, "/opinions/new", formUsable);

  console.log("time to a usable page on the phone profile (ms):", JSON.stringify(times));
  if (process.env.PHONE_TIMES_FILE) writeFileSync(process.env.PHONE_TIMES_FILE, JSON.stringify(times));
  for (const [what, ms] of Object.entries(times)) {
    expect(ms, `${what}: ${ms} ms`).toBeLessThanOrEqual(BUDGET_MS);
  }
});
