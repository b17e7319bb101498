import { test, expect, Page } from "@playwright/test";

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

test("a visitor sees what is hot and why, on the home page and a topic's page", async ({ page }) => {
  await page.goto("/");
  await hydrated(page);
  const hot = page.locator("#home-topics > li");
  await expect(hot.first()).toBeVisible();
  expect(await hot.count()).toBeGreaterThanOrEqual(3);
  await expect(hot.first().locator(".explain")).toContainText("位居民");
  // The latest activity beside it, each line a link to its page.
  const latest = page.locator("#home-activity > li");
  await expect(latest.first()).toBeVisible();
  await expect(page.getByRole("heading", { name: "最新动态" })).toBeVisible();
  await expect(latest.first().locator("a")).toHaveAttribute("href", /^\/(opinions|topics|meetings|plans)\/\d+$/);
  await hot.first().locator("h2 a").click();
  await expect(page).toHaveURL(/\/topics\/\d+$/);
  await expect(page.getByRole("heading", { name: "热度怎么算" })).toBeVisible();
  await expect(page.locator("#topic-explain")).toContainText("扩散");
  // The chart has a table equivalent.
  await expect(page.locator("svg.trend")).toBeVisible();
  await page.getByText("按周查看").click();
  await expect(page.locator(".trend-table tbody tr")).toHaveCount(8);
  await expect(page.locator("#topic-opinions li").first()).toBeVisible();
  await expect(page.locator("#topic-phrases li").first()).toBeVisible();

  // The ranking for one community.
  await page.goto("/topics");
  await hydrated(page);
  await page.getByLabel("范围").selectOption({ label: "长乐社区" });
  await page.getByRole("button", { name: "查看" }).click();
  await expect(page).toHaveURL(/community=\d+/);
  await expect(page.locator("#topic-list > li").first()).toContainText("1 个社区");
});

test("staff take a topic up after a pre-vote, and its author sees it", async ({ browser }) => {
  const title = "南门路灯又坏了 " + Date.now().toString().slice(-6);
  const resident = await browser.newPage();
  await login(resident, "13800000001");
  await expect(resident).toHaveURL(/\/me$/);
  await resident.goto("/opinions/new");
  await hydrated(resident);
  await resident.getByLabel("所在社区").selectOption({ label: "长乐社区" });
  await resident.getByLabel("类别").selectOption("public_management");
  await resident.getByLabel("标题").fill(title);
  await resident.getByLabel("具体情况").fill("南门那盏路灯晚上不亮，老人出门怕摔，请尽快修一下。");
  await resident.getByRole("button", { name: "提交意见" }).click();
  await expect(resident.locator("#submitted")).toContainText("已收到您的意见");
  const href = await resident.locator("#submitted a").first().getAttribute("href");

  const staff = await browser.newPage();
  await login(staff, "13800000002");
  await expect(staff).toHaveURL(/\/staff$/);
  const item = staff.locator("#queue li", { hasText: title });
  await item.getByRole("button", { name: "通过", exact: true }).click();
  await expect(staff.locator("#queue li", { hasText: title })).toHaveCount(0);

  // Published: placed into the street-light topic at once.
  await resident.goto(href!);
  await expect(resident.locator("#opinion-topic")).toContainText("您的意见已归入话题");
  const topicHref = await resident.locator("#opinion-topic a").getAttribute("href");
  const topicId = topicHref!.split("/").pop()!;

  // Staff open a pre-vote from the suggestions page.
  await staff.goto("/staff/agenda?min=0");
  await hydrated(staff);
  const suggestion = staff.locator(`#suggestions li[data-topic="${topicId}"]`);
  await suggestion.getByText("居民预投票").click();
  await suggestion.getByLabel("要居民表态的观点").fill("南门应增设一盏路灯\n路灯维修应当天响应");
  await suggestion.getByRole("button", { name: "开始预投票" }).click();

  // The resident answers once.
  await resident.goto(topicHref!);
  await hydrated(resident);
  const statement = resident.locator("#prevote li.statement").first();
  await expect(statement).toContainText("南门应增设一盏路灯");
  await statement.getByRole("button", { name: "同意", exact: true }).click();
  await expect(statement).toContainText("您的选择");
  await expect(statement.getByRole("button", { name: "同意", exact: true })).toHaveCount(0);

  // Staff accept it onto the agenda.
  await staff.goto("/staff/agenda?min=0");
  await hydrated(staff);
  const again = staff.locator(`#suggestions li[data-topic="${topicId}"]`);
  await again.getByText("列入议题").first().click();
  await again.getByLabel("议题名称").fill("南门路灯维修");
  await again.getByRole("button", { name: "列入议题" }).click();
  await expect(staff.locator(`#suggestions li[data-topic="${topicId}"]`)).toHaveCount(0);

  // Its author sees that it was taken up.
  await resident.goto(href!);
  await expect(resident.locator("#opinion-topic")).toContainText("南门路灯维修");
  await expect(resident.locator("#opinion-topic")).toContainText("已列入议题");
});

test("staff import a hotline export published at once, then reject one topic and merge another", async ({ page }) => {
  const tag = Date.now().toString().slice(-6);
  await login(page, "13800000002");
  await expect(page).toHaveURL(/\/staff$/);
  await page.goto("/staff/import");
  await hydrated(page);
  const csv =
    `来电时间,来电号码,渠道,事项,诉求内容,社区\n` +
    `2026-11-20 09:15,137 1234 5678,12345,井盖松动${tag},来电人反映主干道井盖松动，车辆经过响声很大。,长乐社区\n` +
    `2026/11/21 10:00,13787654321,热线,井盖缺失${tag},来电人称小区东门井盖缺失，夜里很危险。,长乐社区\n`;
  await page.locator("#import-file").setInputFiles({ name: "12345.csv", mimeType: "text/csv", buffer: Buffer.from(csv) });
  await page.getByRole("button", { name: "上传并检查" }).click();
  await expect(page.getByTestId("import-counts")).toContainText("2");
  await expect(page.locator("#map-received_at")).toHaveValue("来电时间");
  await expect(page.locator("#map-phone")).toHaveValue("来电号码");
  await expect(page.locator("#map-channel")).toHaveValue("渠道");
  // Contact numbers are never shown, not even to staff in the preview.
  await expect(page.locator("main")).not.toContainText("1234 5678");
  await expect(page.locator("main")).not.toContainText("13787654321");
  await hydrated(page);
  await page.getByLabel("直接公开").check();
  await page.locator("#import-start button").click();
  await expect(page.locator("#import-done")).toContainText("2");
  // Published at once: on the public list, not in the queue.
  await page.goto("/opinions?channel=hotline");
  await expect(page.locator("#opinion-list")).toContainText("井盖缺失" + tag);
  await page.goto("/staff");
  await hydrated(page);
  await expect(page.locator("#queue-title")).toBeVisible();
  await expect(page.locator("main")).not.toContainText("井盖缺失" + tag);

  // Reject one suggestion with a reason everyone sees.
  await page.goto("/staff/agenda?min=0");
  await hydrated(page);
  const items = page.locator("#suggestions > li");
  await expect(items.first()).toBeVisible();
  const rejected = await items.nth(0).getAttribute("data-topic");
  const merged = await items.nth(1).getAttribute("data-topic");
  const first = page.locator(`#suggestions li[data-topic="${rejected}"]`);
  await first.locator("summary", { hasText: "暂不列入" }).click();
  await first.getByLabel("原因（所有人可见）").fill("已交物业处理");
  await first.getByRole("button", { name: "暂不列入" }).click();
  await expect(page.locator(`#suggestions li[data-topic="${rejected}"]`)).toHaveCount(0);

  // Merge another into a third.
  const second = page.locator(`#suggestions li[data-topic="${merged}"]`);
  await second.locator("summary", { hasText: "合并到另一个话题" }).click();
  await second.getByRole("button", { name: "合并到另一个话题" }).click();
  await expect(page.locator(`#suggestions li[data-topic="${merged}"]`)).toHaveCount(0);

  // Split an opinion that is about something else off a topic: it leaves
  // this topic's list and makes a topic of its own.
  const kept = await page.locator("#suggestions > li").first().getAttribute("data-topic");
  await page.goto(`/topics/${kept}`);
  await hydrated(page);
  const opinions = page.locator("#topic-opinions > li");
  expect(await opinions.count()).toBeGreaterThan(1);
  const href = await opinions.first().locator("a").first().getAttribute("href");
  await opinions.first().getByRole("button", { name: "拆出" }).click();
  await expect(page.locator("#split-done")).toContainText("拆出");
  await expect(page.locator(`#topic-opinions a[href="${href}"]`)).toHaveCount(0);
  await page.locator("#split-done a").click();
  await expect(page).toHaveURL(/\/topics\/\d+$/);
  await expect(page.locator(`#topic-opinions a[href="${href}"]`)).toHaveCount(1);

  const visitor = page.context();
  const pub = await visitor.newPage();
  await pub.goto(`/topics/${rejected}`);
  await expect(pub.locator("main")).toContainText("暂不列入");
  await expect(pub.locator("main")).toContainText("已交物业处理");
  await pub.goto(`/topics/${merged}`);
  await expect(pub.locator("main")).toContainText("已并入另一个话题");
});

test("a resident chooses e-mail for notices and is asked to confirm the address", async ({ page }) => {
  await login(page, "13800000001");
  await expect(page).toHaveURL(/\/me$/);
  await hydrated(page);
  const form = page.locator("#notify-channels");
  // An address the browser accepts but no mail server would: refused, said why.
  await form.getByLabel("电子邮箱").fill("li@localhost");
  await form.getByLabel("重要进展同时发邮件给我").check();
  await form.getByRole("button", { name: "保存" }).click();
  await expect(page.locator("#inbox")).toContainText("电子邮箱格式不对");
  await expect(page.locator("#email-pending")).toHaveCount(0);
  // A real one: kept waiting until its owner opens the link mailed to it.
  await form.getByLabel("电子邮箱").fill("Li.Wei@Example.ORG");
  await form.getByRole("button", { name: "保存" }).click();
  await expect(page.locator("#email-pending")).toContainText("Li.Wei@example.org");
  await expect(page.locator("#email-pending")).toContainText("确认");
  // A confirmation page with a link that is not valid says so.
  await page.goto("/email/confirm?t=" + "0".repeat(48));
  await hydrated(page);
  await page.getByRole("button", { name: "确认" }).click();
  await expect(page.locator("main")).toContainText("确认链接不对");
});
