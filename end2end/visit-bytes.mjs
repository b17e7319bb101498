// Bytes a browser transfers for the home page: a first visit (nothing
// cached) and a second one (same browser, files kept), counted by Chromium
// itself (encoded bytes on the wire, headers included).
//   BASE_URL=http://127.0.0.1:3000 node visit-bytes.mjs
import { chromium } from "@playwright/test";

const base = process.env.BASE_URL ?? "http://127.0.0.1:3000";
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu"],
});
const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
const page = await context.newPage();
const cdp = await context.newCDPSession(page);
await cdp.send("Network.enable");
let bytes = 0;
const files = new Map();
cdp.on("Network.responseReceived", (e) => files.set(e.requestId, e.response.url));
cdp.on("Network.loadingFinished", (e) => {
  bytes += e.encodedDataLength;
  const url = files.get(e.requestId) ?? "?";
  files.set(e.requestId, `${url} ${e.encodedDataLength}`);
});
async function visit(label) {
  bytes = 0;
  files.clear();
  await page.goto(base + "/", { waitUntil: "load" });
  await page.locator("body[data-hydrated=true]").waitFor();
  await page.waitForLoadState("networkidle");
  console.log(`  ${label}: ${(bytes / 1024).toFixed(1)} KiB`);
  for (const f of files.values()) console.log(`    ${f.replace(base, "")}`);
}
await visit("first visit");
await visit("second visit");
await browser.close();
