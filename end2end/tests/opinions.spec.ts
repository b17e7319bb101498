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

test("a resident's phone number is masked once staff publish the opinion", async ({ browser }) => {
  const title = "楼道堆放杂物 " + Date.now().toString().slice(-6);
  const resident = await browser.newPage();
  await login(resident, "13800000001");
  await expect(resident).toHaveURL(/\/me$/);
  await resident.goto("/opinions/new");
  await hydrated(resident);
  await resident.getByLabel("所在社区").selectOption({ label: "长乐社区" });
  await resident.getByLabel("类别").selectOption("public_safety");
  await resident.getByLabel("标题").fill(title);
  await resident.getByLabel("具体情况").fill("3 幢楼道堆满杂物，消防通道被堵，有事请打我电话 13912345678");
  await expect(resident.locator("#op-body-count")).toContainText("/2000");
  await resident.getByRole("button", { name: "提交意见" }).click();
  await expect(resident.locator("#submitted")).toContainText("已收到您的意见");

  // The author sees it as received, awaiting review.
  await resident.goto("/me");
  await expect(resident.locator("#my-opinions")).toContainText(title);
  await expect(resident.locator("#my-opinions")).toContainText("等待审核");

  // Staff approve it from the queue.
  const staff = await browser.newPage();
  await login(staff, "13800000002");
  await expect(staff).toHaveURL(/\/staff$/);
  const item = staff.locator("#queue li", { hasText: title });
  await expect(item).toContainText("13912345678"); // staff see the original
  await item.getByRole("button", { name: "通过", exact: true }).click();
  await expect(staff.locator("#queue li", { hasText: title })).toHaveCount(0);

  // The public page shows it with the number masked.
  const visitor = await browser.newPage();
  await visitor.goto("/opinions");
  const card = visitor.locator("#opinion-list li", { hasText: title });
  await expect(card).toBeVisible();
  await card.getByRole("link", { name: title }).click();
  await expect(visitor.getByTestId("opinion-body")).toContainText("139****5678");
  await expect(visitor.locator("main")).not.toContainText("13912345678");
});
