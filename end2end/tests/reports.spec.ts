import { test, expect, Page } from "@playwright/test";
import { readFileSync } from "node:fs";

const DEMO_PASSWORD = "demo-pass-2026";

async function hydrated(page: Page) {
  await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");
}

async function login(page: Page, phone: string) {
  await page.goto("/login");
  await hydrated(page);
  await page.locator("#login-phone").fill(phone);
  await page.locator("#login-password").fill(DEMO_PASSWORD);
  await page.locator("#login-form button[type=submit]").click();
}

test("a street officer opens the report, changes the period, drills down to the records and downloads the workbook; the print view has no site chrome", async ({ page }) => {
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await login(page, "13800000003");
  await expect(page).toHaveURL(/\/street$/);
  await page.locator("#open-report").click();
  await expect(page).toHaveURL(/\/reports$/);
  await expect(page.locator("#report-tiles")).toBeVisible();
  await hydrated(page);

  // Another period: last January to this December.
  const year = new Date().getFullYear();
  await page.locator("#r-from").fill(`${year - 1}-01`);
  await page.locator("#r-to").fill(`${year}-12`);
  await page.getByRole("button", { name: "查看", exact: true }).click();
  await expect(page).toHaveURL(new RegExp(`from=${year - 1}-01&to=${year}-12`));
  await expect(page.locator("#report-scope")).toContainText(`${year - 1}-01-01 — ${year}-12-31`);
  const received = page.locator('#report-tiles [data-key="report.opinions"] dd');
  await expect(received).not.toHaveText("0");
  // Every chart has its table.
  for (const chart of ["#chart-channel", "#chart-category", "#chart-trend", "#chart-rating", "#chart-community"]) {
    await expect(page.locator(`${chart} svg[role=img]`)).toHaveCount(1);
    await expect(page.locator(`${chart} table tbody tr`).first()).toBeVisible();
  }

  // From the chart to the records behind a bar: as many rows as the bar
  // says (under one page), each a web opinion of the period.
  const webRow = page.locator("#chart-channel table tr", { hasText: "网上提交" });
  const webCount = Number(await webRow.locator("td.num").innerText());
  expect(webCount).toBeGreaterThan(0);
  await webRow.locator("a").click();
  await expect(page).toHaveURL(/\/reports\/records\?figure=opinions.*channel=web/);
  await expect(page.locator("#records-what")).toContainText("网上提交");
  await expect(page.locator("#records-scope")).toContainText(`${year - 1}-01-01 — ${year}-12-31`);
  if (webCount <= 50) {
    await expect(page.locator("#records tbody tr")).toHaveCount(webCount);
  } else {
    await expect(page.locator("#records tbody tr")).toHaveCount(50);
    await expect(page.locator("#records-more")).toBeVisible();
  }
  // A published one opens its public page.
  const published = page.locator("#records tbody tr", { hasText: "已公开" }).first();
  const title = (await published.locator("th a").innerText()).trim();
  await published.locator("th a").click();
  await expect(page).toHaveURL(/\/opinions\/\d+$/);
  await expect(page.locator("h1")).toContainText(title.slice(0, 4));
  await page.goBack();
  await page.locator("#records-back").click();
  // Back to the same period, to the day.
  await expect(page).toHaveURL(new RegExp(`/reports\\?community=&from=${year - 1}-01-01&to=${year}-12-31`));
  await expect(page.locator("#report-scope")).toContainText(`${year - 1}-01-01 — ${year}-12-31`);
  await expect(page.locator("#report-tiles")).toBeVisible();
  await hydrated(page);

  // The workbook.
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.locator("#report-xlsx").click(),
  ]);
  expect(download.suggestedFilename()).toMatch(/^hongcha-report-street-.*\.xlsx$/);
  const bytes = readFileSync((await download.path())!);
  expect(bytes.subarray(0, 2).toString()).toBe("PK");

  // Printed: the report, without the site's header, the form or buttons.
  await page.emulateMedia({ media: "print" });
  await expect(page.locator("header.top")).toBeHidden();
  await expect(page.locator("form.report-period")).toBeHidden();
  await expect(page.locator("#report-print")).toBeHidden();
  await expect(page.locator("#report-tiles")).toBeVisible();
  await expect(page.locator("#report-compare")).toBeVisible();
  expect(errors).toEqual([]);
});
