import { test, expect, Page } from "@playwright/test";

const DEMO_PASSWORD = "demo-pass-2026";
// A 1×1 PNG.
const PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==",
  "base64",
);

async function hydrated(page: Page) {
  await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");
}

async function login(page: Page, phone: string) {
  await page.goto("/login");
  await hydrated(page);
  await page.locator("#login-phone").fill(phone);
  await page.locator("#login-password").fill(DEMO_PASSWORD);
  await page.locator("#login-form button[type=submit]").click();
  await expect(page).not.toHaveURL(/\/login/);
}

test("photo, bulk approval, a moderated comment and the moderation log", async ({ browser }) => {
  const tag = Date.now().toString().slice(-6);
  const title = "井盖松动 " + tag;
  const resident = await browser.newPage();
  await login(resident, "13800000001");
  await resident.goto("/opinions/new");
  await hydrated(resident);
  await resident.getByLabel("所在社区").selectOption({ label: "长乐社区" });
  await resident.getByLabel("标题").fill(title);
  await resident.getByLabel("具体情况").fill("2 幢门口的井盖松动了，晚上有人差点踩空");
  await resident.getByRole("button", { name: "提交意见" }).click();
  await expect(resident.locator("#submitted")).toContainText("添加照片");

  // The author adds a photo on the opinion page while it waits for review.
  await resident.locator("#submitted a").click();
  await expect(resident.locator("#photo-form")).toBeVisible();
  await resident.locator("#photo-input").setInputFiles({ name: "well.png", mimeType: "image/png", buffer: PNG });
  await resident.getByRole("button", { name: "上传照片" }).click();
  await expect(resident.getByRole("status")).toContainText("照片已上传");
  await expect(resident.locator("ul.photos img")).toHaveCount(1);

  // Staff tick it and approve in bulk.
  const staff = await browser.newPage();
  await login(staff, "13800000002");
  await staff.goto("/staff");
  await hydrated(staff);
  const item = staff.locator("#queue li", { hasText: title });
  await item.locator("input.pick-box").check();
  await expect(staff.locator("#bulk-opinions")).toContainText("1");
  await staff.locator("#bulk-decision").selectOption("approve");
  await staff.locator("#bulk-opinions button[type=submit]").click();
  await expect(staff.locator("#queue li", { hasText: title })).toHaveCount(0);

  // A neighbour comments with a phone number; it waits for review.
  const opinionUrl = resident.url().split("?")[0];
  await resident.goto(opinionUrl);
  await hydrated(resident);
  await resident.locator("#comment-body").fill("我家门口也是，电话13712345678 " + tag);
  await resident.getByRole("button", { name: "发表评论" }).click();
  await expect(resident.locator("#comment-received")).toBeVisible();
  await expect(resident.locator("#comment-list")).toContainText("等待审核");

  // Staff approve the comment; the public sees it masked.
  await staff.goto("/staff");
  await hydrated(staff);
  const comment = staff.locator("#comment-queue li", { hasText: tag });
  await expect(comment).toContainText("13712345678");
  await comment.getByRole("button", { name: "通过", exact: true }).click();
  await expect(staff.locator("#comment-queue li", { hasText: tag })).toHaveCount(0);
  await expect(staff.locator("#moderation-log")).toContainText("评论");

  const visitor = await browser.newPage();
  await visitor.goto(opinionUrl);
  await expect(visitor.locator("#comment-list")).toContainText("137****5678");
  await expect(visitor.locator("main")).not.toContainText("13712345678");
  await expect(visitor.locator("ul.photos img")).toHaveCount(1);
});

test("staff import a CSV from the web page: preview, row errors, progress", async ({ page }) => {
  const tag = Date.now().toString().slice(-6);
  await login(page, "13800000002");
  await page.goto("/staff/import");
  await hydrated(page);
  const broken = `事项,诉求内容,社区\n路灯坏了${tag},门口路灯坏了,长乐社区\n,没有标题,长乐社区\n`;
  await page.locator("#import-file").setInputFiles({ name: "hotline.csv", mimeType: "text/csv", buffer: Buffer.from(broken) });
  await page.getByRole("button", { name: "上传并检查" }).click();
  await expect(page.locator("#import-errors")).toContainText("3");
  await expect(page.locator("#import-start button")).toBeDisabled();

  await page.goto("/staff/import");
  await hydrated(page);
  const good = `事项,诉求内容,社区\n路灯坏了${tag},门口路灯坏了,长乐社区\n井盖松动${tag},井盖松动了,长乐社区\n`;
  await page.locator("#import-file").setInputFiles({ name: "hotline.csv", mimeType: "text/csv", buffer: Buffer.from(good) });
  await page.getByRole("button", { name: "上传并检查" }).click();
  await expect(page.getByTestId("import-counts")).toContainText("2");
  await hydrated(page);
  await page.locator("#import-start button").click();
  await expect(page.locator("#import-done")).toContainText("2");
  await page.goto("/staff");
  await expect(page.locator("#queue")).toContainText("井盖松动" + tag);
});

test("an admin adds a category and a crawler source; residents can choose the category", async ({ browser }) => {
  const tag = Date.now().toString().slice(-6);
  const admin = await browser.newPage();
  const errors: string[] = [];
  admin.on("pageerror", (e) => errors.push(e.message));
  await login(admin, "13800000008");
  await admin.goto("/admin");
  await hydrated(admin);
  const form = admin.locator("#category-admin form[data-code=new]");
  await form.getByLabel("代码（小写字母、数字、下划线）").fill("parking_" + tag);
  await form.getByLabel("中文名称").fill("停车" + tag);
  await form.getByLabel("英文名称").fill("Parking " + tag);
  await form.getByRole("button", { name: "添加类别" }).click();
  await expect(admin.locator(`#category-admin form[data-code=parking_${tag}]`)).toBeVisible();

  // A crawler source with a bad selector is refused with a plain message.
  const add = admin.locator("#crawl-sources details", { hasText: "添加采集来源" });
  await add.locator("summary").click();
  await add.getByLabel("名称").fill("街道公告 " + tag);
  await add.getByLabel("起始网址（每行一个）").fill("https://example.org/notices");
  await add.getByLabel("列表项选择器（CSS）").fill("li[[");
  await add.getByLabel("标题选择器").fill("h1");
  await add.getByLabel("正文选择器").fill("div.content");
  await add.getByRole("button", { name: "保存" }).click();
  await expect(admin.getByRole("alert")).toContainText("CSS 选择器");
  await add.getByLabel("列表项选择器（CSS）").fill("ul.list li");
  await add.getByRole("button", { name: "保存" }).click();
  await expect(admin.locator(`#crawl-sources details[data-name="街道公告 ${tag}"]`)).toBeVisible();
  expect(errors).toEqual([]);

  const resident = await browser.newPage();
  await login(resident, "13800000001");
  await resident.goto("/opinions/new");
  await hydrated(resident);
  await expect(resident.locator("#op-category option", { hasText: "停车" + tag })).toHaveCount(1);
});

test("an admin sets up a street: adds a community and a compound, then retires the compound", async ({ browser }) => {
  const tag = Date.now().toString().slice(-6);
  const admin = await browser.newPage();
  const errors: string[] = [];
  admin.on("pageerror", (e) => errors.push(e.message));
  await login(admin, "13800000008");
  await admin.goto("/admin");
  await hydrated(admin);
  await expect(admin.getByRole("heading", { name: "组织架构" })).toBeVisible();
  // A new street at the bottom of the tree.
  const addStreet = admin.locator('form[data-add="street-0"]');
  await addStreet.getByLabel("新建街道").fill("半山街道" + tag);
  await addStreet.getByRole("button", { name: "新建" }).click();
  const street = admin.locator("#org-tree > li", { hasText: "半山街道" + tag });
  await expect(street).toBeVisible();
  // Inside it, a community, then a compound.
  await street.locator("summary").first().click();
  await street.getByLabel("新建社区").fill("半山社区");
  await street.locator('form.org-add').first().getByRole("button", { name: "新建" }).click();
  const community = street.locator("li", { hasText: "半山社区" }).first();
  await expect(community).toBeVisible();
  await community.locator("summary").first().click();
  await community.getByLabel("新建小区").fill("半山苑");
  await community.locator("form.org-add").first().getByRole("button", { name: "新建" }).click();
  const compound = community.locator("li", { hasText: "半山苑" });
  await expect(compound).toBeVisible();
  // Retire it: it stays in the tree, marked.
  await compound.locator("summary").click();
  await compound.getByRole("button", { name: "停用" }).click();
  await expect(compound.locator(".badge")).toHaveText("已停用");
  expect(errors).toEqual([]);
});
