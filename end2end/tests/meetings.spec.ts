import { test, expect, Page, Browser } from "@playwright/test";

const DEMO_PASSWORD = "demo-pass-2026";

async function hydrated(page: Page) {
  await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");
}

async function login(browser: Browser, phone: string): Promise<Page> {
  // Each person in a browser of their own (own cookies).
  const page = await (await browser.newContext()).newPage();
  await page.goto("/login");
  await hydrated(page);
  await page.locator("#login-phone").fill(phone);
  await page.locator("#login-password").fill(DEMO_PASSWORD);
  await page.locator("#login-form button[type=submit]").click();
  await expect(page).not.toHaveURL(/\/login/);
  return page;
}

/** China-time `YYYY-MM-DDTHH:MM`, `days` from now. */
function chinaLocal(days: number): string {
  const t = new Date(Date.now() + days * 86400_000 + 8 * 3600_000);
  return t.toISOString().slice(0, 16);
}

test("a live hybrid meeting: a resident online votes on a poll that appears without reloading, and follows the outcome to their rating", async ({ browser }) => {
  const tag = Date.now().toString().slice(-6);
  const resident = await login(browser, "13800000001");
  const staff = await login(browser, "13800000002");

  // The resident raises the street lights; staff publish it into its topic.
  await resident.goto("/opinions/new");
  await hydrated(resident);
  await resident.getByLabel("所在社区").selectOption({ label: "长乐社区" });
  await resident.getByLabel("类别").selectOption("public_management");
  await resident.getByLabel("标题").fill("路灯太暗 " + tag);
  await resident.getByLabel("具体情况").fill("小区南门的路灯坏了，晚上出门看不清路，请尽快修好。");
  await resident.getByRole("button", { name: "提交意见" }).click();
  await expect(resident.locator("#submitted")).toContainText("已收到您的意见");
  const opinionHref = (await resident.locator("#submitted a").first().getAttribute("href"))!;
  await staff.goto("/staff");
  await hydrated(staff);
  await staff.locator("#queue li", { hasText: tag }).getByRole("button", { name: "通过", exact: true }).click();
  await expect(staff.locator("#queue li", { hasText: tag })).toHaveCount(0);
  await resident.goto(opinionHref);
  await expect(resident.locator("#opinion-topic")).toContainText("话题");
  const topicId = (await resident.locator("#opinion-topic a").getAttribute("href"))!.split("/").pop()!;
  // Onto the agenda (unless an earlier test put it there).
  await staff.goto("/staff/agenda?min=0");
  await hydrated(staff);
  const suggestion = staff.locator(`#suggestions li[data-topic="${topicId}"]`);
  if ((await suggestion.count()) > 0) {
    await suggestion.getByText("列入议题").first().click();
    await suggestion.getByLabel("议题名称").fill("南门路灯维修");
    await suggestion.getByRole("button", { name: "列入议题" }).click();
    await expect(staff.locator(`#suggestions li[data-topic="${topicId}"]`)).toHaveCount(0);
  }

  // Staff call a hybrid meeting on it.
  await staff.goto("/staff/meetings/new");
  await hydrated(staff);
  await staff.getByLabel("会议名称").fill("南门路灯议事会 " + tag);
  await staff.getByLabel("地点").fill("长乐社区党群服务中心");
  await staff.getByLabel("开始时间").fill(chinaLocal(1));
  await staff.getByRole("button", { name: "保存草稿" }).click();
  await expect(staff).toHaveURL(/\/meetings\/\d+$/);
  const meetingUrl = staff.url();
  await hydrated(staff);
  await staff.getByRole("button", { name: "邀请提出意见的居民" }).click();
  await staff.locator("#schedule").click();
  await expect(staff.locator("#meeting-status")).toHaveText("已发布");
  // A new place after scheduling: staff edit it, the invited resident is told.
  await staff.locator("#edit-meeting-link").click();
  await hydrated(staff);
  await expect(staff.getByLabel("会议名称")).toHaveValue("南门路灯议事会 " + tag);
  await staff.getByLabel("地点").fill("长乐社区文化家园 " + tag);
  await staff.locator("#edit-meeting button[type=submit]").click();
  await expect(staff).toHaveURL(meetingUrl);
  await hydrated(staff);
  await expect(staff.locator("body")).toContainText("长乐社区文化家园 " + tag);
  await resident.goto("/me");
  await expect(resident.locator("#inbox")).toContainText("长乐社区文化家园 " + tag);
  await staff.locator("#go-live").click();
  await expect(staff.locator("#meeting-status")).toHaveText("进行中");

  // The resident joins online.
  await resident.goto(meetingUrl);
  await hydrated(resident);
  await resident.locator("#join-online").click();
  await expect(resident.locator("#my-attend")).toContainText("线上");
  await expect(staff.locator("#count-online")).toHaveText("1");

  // The facilitator opens a poll; it appears for the resident without a reload.
  await staff.locator("#poll-text").fill("南门装太阳能路灯吗 " + tag + "\n同意\n不同意");
  await staff.getByRole("button", { name: "发起" }).click();
  const poll = resident.locator("#live-room .poll", { hasText: tag });
  await expect(poll).toBeVisible();
  await poll.getByRole("button", { name: "同意", exact: true }).click();
  await expect(poll).toContainText("您已投票");
  // The staff screen shows the vote.
  await expect(staff.locator(".staff-poll .cast")).toHaveText("1");
  await expect(staff.locator("#live-room .poll", { hasText: tag }).locator('.count[data-option="0"]')).toHaveText("1");

  // Minutes, close, then the plan.
  await staff.locator("#minutes-text").fill("与会居民同意在南门安装太阳能路灯，由物业负责。");
  await staff.locator("#chair form").filter({ has: staff.locator("#minutes-text") }).getByRole("button", { name: "保存" }).click();
  await staff.locator("#close-meeting").click();
  await expect(staff.locator("#meeting-status")).toHaveText("已结束");
  await expect(staff.locator("#minutes")).toContainText("太阳能路灯");
  await staff.getByRole("link", { name: "形成共治方案" }).click();
  await hydrated(staff);
  await staff.getByLabel("方案名称").fill("南门太阳能路灯 " + tag);
  await staff.getByRole("button", { name: "保存方案" }).click();
  await expect(staff).toHaveURL(/\/plans\/\d+$/);
  const planUrl = staff.url();
  await hydrated(staff);
  // The plan's own page (its code may still be arriving after the URL changed).
  await expect(staff.locator("#plan-status")).toBeVisible();
  await staff.locator("details summary", { hasText: "添加任务" }).click();
  await staff.locator("#t-title").fill("安装太阳能路灯");
  await staff.locator("#t-party").selectOption("property");
  await staff.locator("#t-party-name").fill("小河物业");
  await staff.locator("#t-deadline").fill(chinaLocal(7).slice(0, 10));
  await staff.locator("#add-task button[type=submit]").click();
  const task = staff.locator("#tasks li.task").first();
  await expect(task).toContainText("安装太阳能路灯");
  // Handed over to the property company's account, which is told.
  await task.getByText("转交给其他责任方").click();
  await task.getByLabel("责任方名称").last().fill("小河物业公司");
  await task.getByLabel("负责人手机号（选填，须已注册）").fill("13800000006");
  await task.getByRole("button", { name: "转交", exact: true }).click();
  await expect(task).toContainText("小河物业公司");
  await expect(staff.locator("#timeline")).toContainText("小河物业 → 小河物业公司");
  await task.getByText("更新进展").click();
  await task.getByLabel("状态").selectOption("done");
  await task.getByRole("button", { name: "保存" }).click();
  await expect(staff.locator("#plan-status")).toHaveText("待居民评价");

  // The resident rates it; staff close it on the rating.
  await resident.goto(planUrl);
  await hydrated(resident);
  await resident.locator('#rate-plan input[name=score][value="4"]').check();
  await resident.locator("#rate-plan button[type=submit]").click();
  await expect(resident.locator("#plan-rating")).toContainText("4.0");
  await staff.reload();
  await hydrated(staff);
  await staff.locator("#close-plan").click();
  await expect(staff.locator("#plan-status")).toHaveText("已办结");

  // The original opinion shows its whole way.
  await resident.goto(opinionHref);
  await expect(resident.locator('#opinion-path li[data-step="closed"]')).toHaveClass(/done/);
  await expect(resident.locator('#opinion-path li[data-step="meeting"]')).toContainText("南门路灯议事会");
  await expect(resident.locator('#opinion-path li[data-step="rating"]')).toHaveClass(/done/);
});
