import { test, expect, Browser, Page } from "@playwright/test";
import { readFileSync } from "node:fs";

// 企服通 in a browser: a building manager sees the red / yellow / blue
// lease warnings of their building and records an outcome on a phone; an
// enterprise account sees the policies judged for it with their reasons
// and files a request that the street office accepts and answers, then
// rates the answer. seed-demo loaded the register, policies and accounts.
const DEMO_PASSWORD = process.env.DEMO_PASSWORD ?? "demo-pass-2026";

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

test("a building manager sees red, yellow and blue leases and records an outcome", async ({ browser }) => {
  const page = await phone(browser);
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await login(page, "13800000009");
  await page.goto("/tasks");
  await hydrated(page);
  await page.locator("#open-leases").click();
  await expect(page).toHaveURL(/\/enterprise\/leases$/);
  await hydrated(page);
  // Every colour is there, each counted.
  for (const level of ["red", "yellow", "blue"]) {
    expect(await page.locator(`#ent-leases li[data-level=${level}]`).count()).toBeGreaterThan(0);
  }
  await expect(page.locator("#ent-lease-counts .lease-red")).toContainText(/红色 [1-9]/);
  // Only the manager's own building.
  const cards = await page.locator("#ent-leases > li").allInnerTexts();
  for (const c of cards) expect(c).toContain("古荡科创大厦");
  const redText = await page.locator("#ent-lease-counts .lease-red").innerText();
  const redBefore = Number(redText.replace(/\D+/g, ""));
  // One still waiting for an outcome.
  const card = page.locator("#ent-leases li[data-level=red]", { has: page.getByLabel("结果") }).first();
  const name = await card.locator("h2").innerText();
  await card.getByLabel("结果").selectOption("renewed");
  await card.getByLabel("备注").fill("已与企业确认续租三年");
  await card.getByRole("button", { name: "保存" }).click();
  await expect(page.getByRole("status")).toContainText("已保存");
  const done = page.locator("#ent-leases li", { hasText: name });
  await expect(done).toContainText("已续租");
  await expect(done).toContainText("已与企业确认续租三年");
  // The outcome takes it out of the open count.
  await expect(page.locator("#ent-lease-counts .lease-red")).toContainText(`红色 ${redBefore - 1}`);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(0);
  expect(errors).toEqual([]);
});

test("a building manager adds a vacant unit and 找场地 lists it", async ({ browser }) => {
  const page = await phone(browser);
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await login(page, "13800000009");
  await page.goto("/tasks");
  await hydrated(page);
  await page.locator("#open-buildings").click();
  await expect(page).toHaveURL(/\/enterprise\/buildings$/);
  await hydrated(page);
  // Only the manager's own building, and no building form for them.
  const cards = page.locator("#ent-buildings > li");
  await expect(cards).toHaveCount(1);
  await expect(cards.first()).toContainText("古荡科创大厦");
  await expect(page.locator("#building-new")).toHaveCount(0);
  const unit = `U${Date.now() % 10000000}`;
  const card = cards.first();
  await card.locator("summary", { hasText: "新增房源" }).click();
  const form = card.locator("details[open] form");
  await form.getByLabel("房号").fill(unit);
  await form.getByLabel("面积（㎡）").fill("456");
  await form.getByLabel("空置，可出租").check();
  await form.getByRole("button", { name: "保存" }).click();
  await expect(page.getByRole("status")).toContainText("已保存");
  await expect(card.locator(`li[data-vacant=true] input[value="${unit}"]`)).toHaveCount(1);
  await page.goto("/enterprise/space?min_area=450");
  await hydrated(page);
  await expect(page.locator("#ent-spaces")).toContainText(unit);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(0);
  expect(errors).toEqual([]);
});

test("an enterprise sees its policies with reasons and files a request the street answers", async ({ browser }) => {
  const page = await phone(browser);
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await login(page, "13800000010");
  await page.goto("/tasks");
  await hydrated(page);
  await page.locator("#open-enterprise").click();
  await expect(page).toHaveURL(/\/enterprise$/);
  await hydrated(page);
  // Eligible ones say why, and so do the ones it does not fit.
  const eligible = page.locator("#ent-policies li[data-state=eligible]");
  expect(await eligible.count()).toBeGreaterThan(0);
  await expect(eligible.first().locator("ul.reasons li").first()).toBeVisible();
  const not = page.locator("#ent-policies li[data-state=ineligible]").first();
  await expect(not).toContainText("暂不符合");
  await expect(not.locator("ul.reasons li").first()).not.toBeEmpty();
  // A request.
  const title = `扩租需求 ${Date.now() % 100000}`;
  await page.getByLabel("诉求类型").selectOption("space");
  await page.getByLabel("标题", { exact: true }).fill(title);
  await page.getByLabel("具体情况").fill("团队扩张，希望在本楼再租 300 平方米办公室。");
  await page.getByRole("button", { name: "提交", exact: true }).click();
  await expect(page.getByRole("status")).toContainText("诉求已提交");
  const mine = page.locator("#ent-requests li", { hasText: title });
  await expect(mine).toContainText("受理");

  // The street office accepts and answers it.
  const staff = await (await browser.newContext({ locale: "zh-CN" })).newPage();
  await login(staff, "13800000003");
  await staff.goto("/enterprise/requests");
  await hydrated(staff);
  const item = staff.locator("#ent-queue li", { hasText: title });
  await item.getByRole("button", { name: "受理" }).click();
  await expect(item).toContainText("办理答复");
  await item.getByLabel("答复：").fill("已为您对接本楼 12 层 320 平方米空置房源，物业将联系看房。");
  await item.getByRole("button", { name: "答复并办结" }).click();
  await expect(item).toContainText("对接本楼 12 层");

  // The enterprise sees the answer and rates it.
  await page.reload();
  await hydrated(page);
  await expect(mine).toContainText("已答复");
  await expect(mine).toContainText("对接本楼 12 层");
  await mine.getByLabel("对答复满意吗？（5 分最满意）").selectOption("5");
  await mine.getByRole("button", { name: "评价", exact: true }).click();
  await expect(mine).toContainText("已办结");
  expect(errors).toEqual([]);
});

// A valid unified social credit code: 17 characters and their check character (GB 32100).
function creditCode(n: number): string {
  const chars = "0123456789ABCDEFGHJKLMNPQRTUWXY";
  const weights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
  const first = `91330106MA${String(2000000 + n).padStart(7, "0")}`;
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += chars.indexOf(first[i]) * weights[i];
  return first + chars[(31 - (sum % 31)) % 31];
}

test("the street office uploads a register file, previews it and follows the import to its end", async ({ page }) => {
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await login(page, "13800000003");
  await page.goto("/enterprise/register");
  await hydrated(page);
  const n = Date.now() % 100000;
  const csv = `统一社会信用代码,企业名称,楼宇编号,租期结束\n${creditCode(n)},上传企业${n}有限公司,GD-01,2028-06-30\n${creditCode(n + 1)},上传企业${n + 1}有限公司,GD-02,\n`;
  await page.locator("#ent-file").setInputFiles({ name: "register.csv", mimeType: "text/csv", buffer: Buffer.from(csv) });
  await page.locator("#ent-upload button[type=submit]").click();
  await expect(page).toHaveURL(/file=/);
  await hydrated(page);
  await expect(page.locator("#ent-import-counts")).toContainText("新增 2");
  await page.locator("#ent-import-go button[type=submit]").click();
  await expect(page.locator("#ent-import-done")).toContainText("新增 2");
  await expect(page.locator("#ent-import-bar")).toHaveAttribute("value", "2");
  // The register shows them, waiting for review.
  await page.goto(`/enterprise/register?q=${encodeURIComponent(`上传企业${n}`)}`);
  await hydrated(page);
  await expect(page.locator("body")).toContainText(`上传企业${n}有限公司`);
  expect(errors).toEqual([]);
});

test("an enterprise attaches a PDF to its request and the street office downloads it", async ({ browser }) => {
  const page = await phone(browser);
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await login(page, "13800000010");
  await page.goto("/enterprise");
  await hydrated(page);
  const title = `续租合同 ${Date.now()}`;
  await page.getByLabel("诉求类型").selectOption("space");
  await page.getByLabel("标题", { exact: true }).fill(title);
  await page.getByLabel("具体情况").fill("附上现行租赁合同，请帮忙看续租条款。");
  await page.getByRole("button", { name: "提交", exact: true }).click();
  await expect(page.getByRole("status")).toContainText("诉求已提交");
  const mine = page.locator("#ent-requests > li", { hasText: title });
  const input = mine.getByLabel("添加附件（照片或 PDF）");
  // A page that only calls itself a PDF: refused, in its request's card.
  await input.setInputFiles({
    name: "合同.pdf",
    mimeType: "application/pdf",
    buffer: Buffer.from("<html><script>alert(1)</script></html>"),
  });
  await mine.getByRole("button", { name: "上传", exact: true }).click();
  await expect(page).toHaveURL(/upload_error=err\.file\.invalid_type#ent-request-\d+$/);
  await hydrated(page);
  await expect(mine.getByRole("alert")).toContainText("只能上传照片");
  await expect(mine.locator("ul.files")).toHaveCount(0);
  // A real PDF: kept, listed in the card, the outcome shown there.
  const pdf = "%PDF-1.7\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n";
  await input.setInputFiles({ name: "租赁合同.pdf", mimeType: "application/pdf", buffer: Buffer.from(pdf) });
  await mine.getByRole("button", { name: "上传", exact: true }).click();
  await expect(page).toHaveURL(/upload=ok#ent-request-\d+$/);
  await hydrated(page);
  await expect(mine.getByRole("status")).toContainText("附件已上传");
  await expect(mine.getByRole("link", { name: /租赁合同\.pdf/ })).toBeVisible();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(0);

  // The street office downloads the same bytes from its queue.
  const staffContext = await browser.newContext({ locale: "zh-CN", acceptDownloads: true });
  const staff = await staffContext.newPage();
  staff.on("pageerror", (e) => errors.push(e.message));
  await login(staff, "13800000003");
  await staff.goto("/enterprise/requests");
  await hydrated(staff);
  const item = staff.locator("#ent-queue > li", { hasText: title });
  const [download] = await Promise.all([
    staff.waitForEvent("download"),
    item.getByRole("link", { name: /租赁合同\.pdf/ }).click(),
  ]);
  expect(download.suggestedFilename()).toMatch(/\.pdf$/);
  const saved = await download.path();
  expect(readFileSync(saved, "utf8")).toBe(pdf);
  await staffContext.close();
  expect(errors).toEqual([]);
});

test("the street office adds, changes and removes a provider in 找服务·找资金", async ({ page }) => {
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await login(page, "13800000003");
  await page.goto("/enterprise/services");
  await hydrated(page);
  const name = `明理律师事务所 ${Date.now()}`;
  await page.locator("#ent-provider-new summary").click();
  const form = page.locator("#ent-provider-new form");
  await form.getByLabel("类型").selectOption("law");
  await form.getByLabel("名称").fill(name);
  await form.getByLabel("提供的服务（可被搜索）").fill("股权架构、劳动合同审查、知识产权保护");
  await form.getByLabel("联系方式").fill("0571-88880000");
  // A script address is refused with a message, and nothing is added.
  await form.getByLabel("网址").fill("javascript:alert(1)");
  await form.getByRole("button", { name: "保存" }).click();
  await expect(page.getByRole("alert")).toContainText("网址须以 http:// 或 https:// 开头");
  // Whatever the page does after a refusal is done before the values are checked.
  await page.waitForLoadState("networkidle");
  await expect(page.locator("#ent-providers > li", { hasText: name })).toHaveCount(0);
  // What was typed is all still there to correct.
  await expect(form.getByLabel("提供的服务（可被搜索）")).toHaveValue("股权架构、劳动合同审查、知识产权保护");
  await expect(form.getByLabel("名称")).toHaveValue(name);
  await form.getByLabel("网址").fill("https://lawfirm.example.org/");
  await form.getByRole("button", { name: "保存" }).click();
  await expect(page.getByRole("status")).toContainText("已保存");
  const card = page.locator("#ent-providers > li", { hasText: name });
  await expect(card.locator(".badge")).toHaveText("律师事务所");
  // After a save the new-provider form is empty again: pressing it twice
  // cannot add the same provider twice.
  await expect(page.locator("#ent-provider-new").getByLabel("名称")).toHaveValue("");
  await expect(card.getByRole("link", { name: "https://lawfirm.example.org/" })).toHaveAttribute("rel", /noopener/);
  // Searching by need finds it.
  await page.goto(`/enterprise/services?kind=law&q=${encodeURIComponent("知识产权")}`);
  await hydrated(page);
  await expect(card).toHaveCount(1);
  await page.goto(`/enterprise/services?kind=bank&q=${encodeURIComponent("知识产权")}`);
  await hydrated(page);
  await expect(page.locator("#ent-providers > li")).toHaveCount(0);
  await page.goto(`/enterprise/services?kind=law`);
  await hydrated(page);
  // Changed, then removed.
  await card.locator("summary", { hasText: "修改" }).click();
  await card.getByLabel("提供的服务（可被搜索）").fill("知识产权保护、商标注册");
  await card.getByRole("button", { name: "保存" }).click();
  await expect(card).toContainText("商标注册");
  await card.locator("summary", { hasText: "修改" }).click();
  await card.getByRole("button", { name: "从目录中移除" }).click();
  await expect(card).toHaveCount(0);
  expect(errors).toEqual([]);
});

test("the economy dashboard keeps its period form when a period is refused", async ({ page }) => {
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await login(page, "13800000003");
  await page.goto("/enterprise/dashboard");
  await hydrated(page);
  await page.locator("#ent-from").fill("2026-10");
  await page.locator("#ent-to").fill("2026-03");
  await page.locator("#ent-period button[type=submit]").click();
  await expect(page).toHaveURL(/from=2026-10&to=2026-03/);
  await expect(page.getByRole("alert")).toContainText("结束月份不能早于开始月份");
  // The form stays, with what was asked, to be corrected.
  await expect(page.locator("#ent-from")).toHaveValue("2026-10");
  await page.locator("#ent-to").fill("2026-11");
  await page.locator("#ent-period button[type=submit]").click();
  await expect(page.locator("#ent-period-shown")).toContainText("2026-10");
  await expect(page.locator("#ent-period-shown")).toContainText("2026-11");
  await expect(page.getByRole("link", { name: "导出 Excel" })).toHaveAttribute("href", /from=2026-10.*to=2026-11/);
  await expect(page.getByRole("alert")).toHaveCount(0);
  expect(errors).toEqual([]);
});
