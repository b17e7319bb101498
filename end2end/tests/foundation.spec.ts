import { test, expect, Page } from "@playwright/test";
import { readFileSync } from "node:fs";

const DEMO_PASSWORD = "demo-pass-2026";

/** Collects console errors and uncaught exceptions on a page. */
function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(m.text());
  });
  page.on("pageerror", (e) => errors.push(e.message));
  return errors;
}

/** Waits until the wasm app has hydrated (App sets data-hydrated on <body>). */
async function hydrated(page: Page) {
  await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");
}

function randomPhone(): string {
  return "139" + String(Math.floor(Math.random() * 1e8)).padStart(8, "0");
}

/** The newest six-digit code sent to `phone`, read from the development
 *  SMS log (the test server reveals codes there; `OUTBOX_LOG` names it). */
async function smsCode(phone: string, after: number): Promise<string> {
  for (let i = 0; i < 100; i++) {
    let lines: string[] = [];
    try {
      lines = readFileSync(process.env.OUTBOX_LOG!, "utf8").split("\n").filter(Boolean);
    } catch {}
    for (const line of lines.slice(after)) {
      const m = JSON.parse(line);
      const code = /\b(\d{6})\b/.exec(m.body);
      if (m.to === phone && code) return code[1];
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no code for ${phone}`);
}

function outboxLines(): number {
  try {
    return readFileSync(process.env.OUTBOX_LOG!, "utf8").split("\n").filter(Boolean).length;
  } catch {
    return 0;
  }
}

async function login(page: Page, phone: string, password: string) {
  await page.goto("/login");
  await hydrated(page);
  await page.locator("#login-phone").fill(phone);
  await page.locator("#login-password").fill(password);
  await page.locator("#login-form button[type=submit]").click();
}

test("a resident registers, logs in and sees only the resident area", async ({ page }) => {
  const errors = watchErrors(page);
  const phone = randomPhone();
  await page.goto("/register");
  await hydrated(page);
  await page.getByLabel("手机号").fill(phone);
  const before = outboxLines();
  await page.getByRole("button", { name: "获取验证码" }).click();
  await expect(page.getByRole("status")).toContainText("验证码已发送");
  await page.getByLabel("验证码", { exact: true }).fill(await smsCode(phone, before));
  await page.locator("#reg-password").fill("correct horse");
  await page.getByLabel("称呼").fill("3幢小李");
  await expect(page.locator("#reg-name-count")).toHaveText("4/32");
  await page.getByLabel("所在社区").selectOption({ index: 1 });
  await page.getByRole("button", { name: "注册" }).click();
  await expect(page).toHaveURL(/\/login\?registered=1/);
  await expect(page.getByRole("status")).toContainText("注册成功");

  await page.locator("#login-phone").fill(phone);
  await page.locator("#login-password").fill("correct horse");
  await page.locator("#login-form button[type=submit]").click();
  await expect(page).toHaveURL(/\/me$/);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("我的");
  await expect(page.getByTestId("own-phone")).toHaveText(phone);
  const nav = page.getByRole("navigation", { name: "主导航" });
  await expect(nav.getByRole("link", { name: "我的" })).toBeVisible();
  await expect(nav.getByRole("link", { name: "社区工作台" })).toHaveCount(0);
  await expect(nav.getByRole("link", { name: "系统管理" })).toHaveCount(0);

  expect(errors).toEqual([]);

  // Typing another area's address does not let a resident in.
  const res = await page.goto("/admin");
  expect(res?.status()).toBe(403);
  await expect(page.getByRole("alert")).toContainText("没有进入这里的权限");
});

test("staff and admin see their own areas in the navigation", async ({ page, baseURL }) => {
  // A fresh resident for the admin to promote (keeps the test repeatable).
  const newcomer = randomPhone();
  const communities = await (await page.request.get("/api/communities")).json();
  const before = outboxLines();
  const sent = await page.request.post("/api/request_register_code", {
    headers: { Origin: baseURL!, Accept: "application/json" },
    form: { phone: newcomer },
  });
  expect(sent.status()).toBeLessThan(400);
  const code = await smsCode(newcomer, before);
  const reg = await page.request.post("/api/register", {
    headers: { Origin: baseURL!, Accept: "application/json" },
    form: { phone: newcomer, code, password: "correct horse", display_name: "新居民", community_id: String(communities[0].id) },
    maxRedirects: 0,
  });
  expect(reg.status()).toBeLessThan(400);
  await login(page, "13800000002", DEMO_PASSWORD);
  await expect(page).toHaveURL(/\/staff$/);
  const nav = page.getByRole("navigation", { name: "主导航" });
  await expect(nav.getByRole("link", { name: "社区工作台" })).toBeVisible();
  await expect(nav.getByRole("link", { name: "我的" })).toHaveCount(0);
  await nav.getByRole("button", { name: "退出" }).click();
  await expect(nav.getByRole("link", { name: "登录" })).toBeVisible();

  await login(page, "13800000008", DEMO_PASSWORD);
  await expect(page).toHaveURL(/\/admin$/);
  await expect(page.locator("#accounts")).toContainText("13800000001");
  await expect(nav.getByRole("link", { name: "系统管理" })).toBeVisible();

  // The admin makes the demo resident a staff member of another community.
  const row = page.locator("#accounts tbody tr", { hasText: newcomer });
  const grants = row.locator("ul.grants");
  await expect(grants).not.toContainText("社区工作人员");
  await row.locator("select[name=role]").selectOption("staff");
  await row.locator("select[name=scope]").selectOption({ label: "社区：小河街道 · 小河社区" });
  await row.getByRole("button", { name: "授予角色" }).click();
  await expect(grants).toContainText("社区工作人员 · 小河街道 · 小河社区");
  // A role with the wrong kind of scope is refused with a plain reason.
  await row.locator("select[name=role]").selectOption("supervisor");
  await row.locator("select[name=scope]").selectOption("global");
  await row.getByRole("button", { name: "授予角色" }).click();
  await expect(page.getByRole("alert").first()).toContainText("这个角色需要另一种范围");
});

test("the page hydrates: language switch and password toggle work without reload", async ({ page }) => {
  await page.goto("/login");
  await hydrated(page);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("登录");
  const password = page.locator("#login-password");
  await expect(password).toHaveAttribute("type", "password");
  await page.getByRole("button", { name: "显示密码" }).first().click();
  await expect(password).toHaveAttribute("type", "text");

  await page.locator("#lang-switch").click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Log in");
  await expect(page.locator("html")).toHaveAttribute("lang", "en");
  // Remembered across a reload (cookie), rendered by the server in English.
  await page.reload();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Log in");
  await hydrated(page);
  await page.locator("#lang-switch").click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("登录");
});

test("no console errors on the main pages", async ({ page }) => {
  const errors = watchErrors(page);
  for (const path of ["/", "/login", "/register"]) {
    await page.goto(path);
    await hydrated(page);
  }
  await login(page, "13800000007", DEMO_PASSWORD);
  await expect(page).toHaveURL(/\/audit$/);
  await expect(page.getByTestId("audit-status")).toContainText("审计链校验通过");
  for (const path of ["/", "/audit"]) {
    await page.goto(path);
    await hydrated(page);
  }
  expect(errors).toEqual([]);
});

test("a first visit loads only the resident pages' code; a meeting page brings its own part", async ({ page }) => {
  const errors = watchErrors(page);
  const wasm: string[] = [];
  page.on("request", (r) => {
    const path = new URL(r.url()).pathname;
    if (path.endsWith(".wasm")) wasm.push(path);
  });
  await page.goto("/");
  await hydrated(page);
  await page.goto("/opinions");
  await hydrated(page);
  // The main bundle, nothing split off for staff, admins or meetings.
  expect(wasm.filter((p) => /split_|chunk_/.test(p))).toEqual([]);
  expect(wasm.length).toBeGreaterThan(0);

  // Going to the meetings in the app fetches their part and shows the page.
  await page.getByRole("navigation", { name: "主导航" }).getByRole("link", { name: "议事会" }).click();
  await expect(page).toHaveURL(/\/meetings$/);
  await expect(page.getByRole("heading", { level: 1 })).toBeVisible();
  expect(wasm.some((p) => p.includes("meeting_list_route"))).toBe(true);

  // Opened directly, a split page is rendered by the server and hydrates.
  wasm.length = 0;
  await page.goto("/plans");
  await hydrated(page);
  expect(wasm.some((p) => p.includes("plan_list_route"))).toBe(true);
  expect(errors).toEqual([]);
});
