import { test, expect, Browser, Page } from "@playwright/test";

// 风险预警 in a browser: the street office's overview map and a portrait's
// drill-down to the warnings behind it; a grid worker signs for, arrives at
// and closes a gas-leak case on a phone-sized screen. seed-demo raised the
// warnings (an urgent gas leak at the grid worker's compound among them).
const DEMO_PASSWORD = process.env.DEMO_PASSWORD ?? "demo-pass-2026";
const PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==",
  "base64",
);

async function hydrated(page: Page) {
  await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");
}

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

async function login(page: Page, phoneNumber: string) {
  await page.goto("/login");
  await hydrated(page);
  await page.locator("#login-phone").fill(phoneNumber);
  await page.locator("#login-password").fill(DEMO_PASSWORD);
  await page.locator("#login-form button[type=submit]").click();
  await expect(page).not.toHaveURL(/\/login/);
}

test("the street office reads the risk map and drills into an area's warnings", async ({ browser }) => {
  const page = await (await browser.newContext()).newPage();
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await login(page, "13800000003");
  await hydrated(page);
  await page.locator("#open-risk").click();
  await expect(page).toHaveURL(/\/risk$/);
  await hydrated(page);
  // The map has a shape per community, each named with its score, and the
  // same figures in the table.
  const map = page.locator("#risk-map svg[role=img]");
  await expect(map).toBeVisible();
  const shapes = map.locator("g.map-unit");
  expect(await shapes.count()).toBeGreaterThan(1);
  // Every shape has its row in the table (a community added since, with
  // no outline yet, has a row and no shape).
  const rows = page.locator("#risk-table tbody tr");
  expect(await rows.count()).toBeGreaterThanOrEqual(await shapes.count());
  // The highest-ranked community has warnings; its score colours the map.
  const top = rows.first();
  const score = Number(await top.locator("td").first().innerText());
  expect(score).toBeGreaterThan(0);
  await expect(map.locator("path.risk-band-3").first()).toBeVisible();
  // Drill down: that community's warnings, each linking to its portrait.
  await top.locator("th a").click();
  await expect(page.locator("#risk-drill")).toBeVisible();
  const cases = page.locator("#risk-drill li.risk-case");
  expect(await cases.count()).toBeGreaterThan(0);
  await cases.first().locator("h3 a").click();
  await expect(page).toHaveURL(/\/risk\/warnings\/\d+$/);
  await hydrated(page);
  await expect(page.locator("#risk-why")).toBeVisible();
  await expect(page.locator("#risk-timeline li").first()).toContainText("触发预警");
  // By compound: the same page, another level.
  await page.goto("/risk?level=compound");
  await hydrated(page);
  const compounds = page.locator("#risk-map svg g.map-unit path");
  expect(await compounds.count()).toBeGreaterThan(1);
  // A shape drills down too.
  await compounds.first().click();
  await expect(page.locator("#risk-drill")).toBeVisible();
  expect(errors).toEqual([]);
});

test("a grid worker signs for, arrives at and closes a case on a phone", async ({ browser }) => {
  const page = await phone(browser);
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await login(page, "13800000004");
  await page.goto("/tasks");
  await hydrated(page);
  await page.locator("#open-risk-cases").click();
  await expect(page).toHaveURL(/\/tasks\/risk$/);
  await hydrated(page);
  // Only the grid worker's compound's cases: the urgent gas leak.
  const gas = page.locator("#risk-cases li.risk-case", { hasText: "燃气泄漏" });
  await expect(gas).toHaveCount(1);
  await expect(gas.locator(".badge.risk-urgent")).toBeVisible();
  await gas.locator("h3 a").click();
  await expect(page).toHaveURL(/\/risk\/warnings\/\d+$/);
  await hydrated(page);
  await expect(page.locator("#risk-stage")).toHaveText("签收指派");
  // Nothing is wider than the screen.
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(0);

  await page.getByRole("button", { name: "签收" }).click();
  await expect(page.locator("#risk-stage")).toHaveText("到达现场");
  await page.getByLabel("现场情况（可选）").fill("已到 3 幢楼下，闻到燃气味，已疏散");
  await page.getByLabel("位置（门牌或经纬度，可选）").fill("3 幢 1 单元");
  await page.getByRole("button", { name: "已到场" }).click();
  await expect(page.locator("#risk-stage")).toHaveText("处置反馈");
  // A photo of the scene (a plain form: the page comes back with it).
  await page.locator("#risk-photo-file").setInputFiles({ name: "scene.png", mimeType: "image/png", buffer: PNG });
  await page.getByLabel("照片说明（可不填）").fill("总阀已关闭");
  await page.getByRole("button", { name: "上传照片" }).click();
  await expect(page.getByRole("status")).toContainText("照片已上传");
  await hydrated(page);
  await expect(page.locator("#risk-timeline img")).toHaveCount(1);
  await expect(page.locator("#risk-stage")).toHaveText("处置反馈");
  // Feedback is required.
  await page.getByLabel("处置反馈").fill("已关闭总阀，燃气公司抢修完毕，复测正常");
  await page.getByRole("button", { name: "办结并反馈" }).click();
  await expect(page.locator("#risk-stage")).toHaveText("已办结");
  const timeline = page.locator("#risk-timeline");
  await expect(timeline).toContainText("签收");
  await expect(timeline).toContainText("到达现场");
  await expect(timeline).toContainText("位置：3 幢 1 单元");
  await expect(timeline).toContainText("已关闭总阀");
  // Closed cases leave the list.
  await page.goto("/tasks/risk");
  await hydrated(page);
  await expect(page.locator("#risk-cases li.risk-case", { hasText: "燃气泄漏" })).toHaveCount(0);
  expect(errors).toEqual([]);
});

test("the responsible property company sees its notice and reports it fixed", async ({ browser }) => {
  const page = await phone(browser);
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await login(page, "13800000006");
  // A property company works from the task inbox; its own notices are linked there.
  await page.goto("/tasks");
  await hydrated(page);
  await page.locator("#open-my-risk").click();
  await expect(page).toHaveURL(/\/risk\/mine$/);
  await hydrated(page);
  // Its compound's notices, open first; the SMS it was sent is on record.
  const ebike = page.locator("#risk-mine li.risk-case", { hasText: "飞线充电" });
  await expect(ebike).toHaveCount(1);
  await expect(ebike).toContainText("短信提醒");
  await ebike.getByLabel("做了哪些整改").fill("已拆除楼道飞线，增设充电桩指引");
  await ebike.getByRole("button", { name: "已整改，提交反馈" }).click();
  await expect(page.getByRole("status")).toContainText("反馈已提交");
  await expect(ebike).toContainText("已反馈，等待复核");
  await expect(ebike).toContainText("责任方反馈");
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(0);
  expect(errors).toEqual([]);
});
