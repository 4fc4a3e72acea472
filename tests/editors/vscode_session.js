// A real VS Code (code-server) in Debian's chromium, driven by playwright-core, as a user would:
// run by tests/test_editor_vscode.py. Environment: KAIROS_PLAYWRIGHT (playwright-core's folder),
// KAIROS_CHROMIUM, KAIROS_URL (code-server), KAIROS_TEST_ROOT (the project), KAIROS_TEST_OUT
// (results, JSON), KAIROS_ARTIFACTS (screenshots). Each step waits for what a user would see.
// KAIROS_TEST_MODE=multi: KAIROS_TEST_WORKSPACE (a .code-workspace) holds KAIROS_TEST_ROOT and
// KAIROS_TEST_OTHER, and the steps are those of a workspace of two folders.
const fs = require("node:fs");
const path = require("node:path");
const { chromium } = require(process.env.KAIROS_PLAYWRIGHT);

const base = process.env.KAIROS_URL;
const root = process.env.KAIROS_TEST_ROOT;
const artifacts = process.env.KAIROS_ARTIFACTS;
const out = { steps: [] };
const save = () => fs.writeFileSync(process.env.KAIROS_TEST_OUT, JSON.stringify(out, null, 1));
fs.mkdirSync(artifacts, { recursive: true });

async function main() {
  const browser = await chromium.launch({
    executablePath: process.env.KAIROS_CHROMIUM,
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
  });
  const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
  page.setDefaultTimeout(30000);
  const shot = async (name) => {
    const file = path.join(artifacts, `${name}.png`);
    await page.screenshot({ path: file });
    (out.screenshots ??= []).push(file);
  };
  const step = async (name, fn) => {
    const started = Date.now();
    try {
      await fn();
      out.steps.push({ name, ok: true, ms: Date.now() - started });
    } catch (error) {
      out.steps.push({ name, ok: false, err: String(error && error.stack || error), ms: Date.now() - started });
      await shot(`failed-${name.replace(/\W+/g, "-")}`).catch(() => {});
      save();
      throw error;
    }
    save();
  };
  const editor = () => page.locator(".editor-instance .monaco-editor").first();
  const statusItem = () => page.locator(".statusbar-item").filter({ hasText: /kairos/ }).first();
  const palette = async (text) => {
    await page.keyboard.press("F1");
    await page.locator(".quick-input-widget input").fill(`>${text}`);
    await page.locator(".quick-input-list .monaco-list-row").filter({ hasText: text }).first().waitFor();
    await page.keyboard.press("Enter");
  };
  const quickOpen = async (file, line, col) => {
    await page.keyboard.press("Control+P");
    await page.locator(".quick-input-widget input").fill(`${file}:${line}:${col}`);
    const row = page.locator(".quick-input-list .monaco-list-row").filter({ hasText: path.basename(file) }).first();
    await row.waitFor();
    await page.waitForTimeout(500); // the list settles on the query
    await page.keyboard.press("Enter");
  };
  const openFile = async (rel, line, col) => {
    await quickOpen(rel, line, col);
    await page.locator(`.tab.active[aria-label^="${path.basename(rel)}"]`).waitFor();
    await page.waitForTimeout(300);
  };
  const lineText = async (n) => {
    // the text model, through the editor's accessibility textarea is not enough: read the view line
    return page.evaluate((n) => {
      const lines = [...document.querySelectorAll(".editor-instance .view-line")];
      const byTop = lines.map((l) => [parseFloat(l.style.top), l.textContent.replace(/\u00a0/g, " ")]).sort((a, b) => a[0] - b[0]);
      return byTop.map((x) => x[1]).find((t) => t.includes(n)) ?? null;
    }, n);
  };

  const openPath = async (file, line, col) => {
    // by its full path (Quick Open takes one): relative paths are alike in two copies of a
    // project; the breadcrumbs say which folder's file is open
    await quickOpen(file, line, col);
    const crumbs = page.locator(".breadcrumbs-control").first();
    await crumbs.filter({ hasText: path.basename(path.dirname(path.dirname(file))) }).waitFor();
    await page.waitForTimeout(300);
  };
  const hoverWith = async (text) => {
    const hover = page.locator(".monaco-hover").filter({ hasText: text });
    for (let i = 0; i < 30 && !(await hover.isVisible()); i++) {
      await page.keyboard.press("Control+K");
      await page.keyboard.press("Control+I");
      await page.waitForTimeout(700);
    }
    await hover.first().waitFor({ timeout: 5000 });
    const shown = await hover.first().innerText();
    await page.keyboard.press("Escape");
    return shown;
  };

  const statusDialog = async (name) => {
    // the status bar item clicked: the memory's status in a dialog (its text), then closed
    await statusItem().click();
    const dialog = page.locator(".monaco-dialog-box").filter({ hasText: "facts:" });
    await dialog.waitFor();
    const text = await dialog.innerText();
    await shot(name);
    await page.keyboard.press("Escape");
    return text;
  };

  if (process.env.KAIROS_TEST_MODE === "multi") {
    const other = process.env.KAIROS_TEST_OTHER;
    await step("open the workspace", async () => {
      await page.goto(`${base}/?workspace=${encodeURIComponent(process.env.KAIROS_TEST_WORKSPACE)}`);
      await page.locator(".monaco-workbench").waitFor({ timeout: 60000 });
      await page.locator(".explorer-folders-view").waitFor({ timeout: 60000 });
      await page.waitForTimeout(1000);
    });
    await step("the second folder's hover", async () => {
      await openPath(path.join(other, "inventory", "stock.py"), 53, 18);
      // (the extension starts with the first file: its servers, and its word about the storePath)
      const warning = page.locator(".notification-toast").filter({ hasText: "keeps its own" }).first();
      await warning.waitFor({ timeout: 30000 });
      out.store_warning = await warning.innerText();
      out.other_hover = await hoverWith("Add VAT to a net amount");
      await shot("multi-hover");
    });
    await step("the status follows the folder", async () => {
      const idle = /kairos: (dreamt \d\d:\d\d|idle) \(annex\)/;
      await page.locator(".statusbar-item").filter({ hasText: idle }).first().waitFor({ timeout: 60000 });
      out.other_status = (await statusItem().textContent()).trim();
      out.other_dialog = await statusDialog("multi-status-dialog");
      await page.keyboard.press("Control+Shift+E");
      const review = page.locator(".pane-header").filter({ hasText: "Kairos Review" }).first();
      await review.waitFor();
      if ((await review.getAttribute("aria-expanded")) !== "true") await review.click();
      await review.filter({ hasText: "annex" }).waitFor({ timeout: 15000 });
      out.other_review = await review.innerText();
      await openPath(path.join(root, "inventory", "stock.py"), 53, 18);
      await page.locator(".statusbar-item").filter({ hasText: /kairos.*\(shop\)/ }).first().waitFor({ timeout: 30000 });
      out.first_status = (await statusItem().textContent()).trim();
      await shot("multi-status-first");
    });
    out.done = true;
    save();
    await browser.close();
    return;
  }

  await step("open the project", async () => {
    await page.goto(`${base}/?folder=${encodeURIComponent(root)}`);
    await page.locator(".monaco-workbench").waitFor({ timeout: 60000 });
    await page.locator(".explorer-folders-view").waitFor({ timeout: 60000 });
    await page.waitForTimeout(1000);
    await openFile("inventory/stock.py", 53, 18);
    await editor().waitFor();
  });

  await step("status bar item", async () => {
    await statusItem().waitFor({ timeout: 60000 });
    // the scan ends, the first dream comes after idleSeconds: "kairos: dreamt HH:MM" (or idle)
    await page.locator(".statusbar-item").filter({ hasText: /kairos: (dreamt \d\d:\d\d|idle)/ }).first().waitFor({ timeout: 60000 });
    out.status_text = (await statusItem().textContent()).trim();
    out.status_tooltip = await statusItem().locator("a").first().getAttribute("aria-label");
    await shot("status-bar");
  });

  await step("hover", async () => {
    await openFile("inventory/stock.py", 53, 18);
    const hover = page.locator(".monaco-hover").filter({ hasText: "Add tax to a net amount" });
    for (let i = 0; i < 20 && !(await hover.isVisible()); i++) {
      await page.keyboard.press("Control+K");
      await page.keyboard.press("Control+I");
      await page.waitForTimeout(700);
    }
    await hover.first().waitFor({ timeout: 5000 });
    out.hover = await hover.first().innerText();
    await shot("hover");
    await page.keyboard.press("Escape");
  });

  await step("memory view", async () => {
    await openFile("inventory/stock.py", 53, 18);
    await palette("Kairos: Show memory for symbol");
    const header = page.locator(".pane-header").filter({ hasText: "Kairos Memory" }).first();
    await page.locator('.pane-header[aria-expanded="true"]').filter({ hasText: "Kairos Memory" }).waitFor(); // the command opened it
    const pane = page.locator(".pane").filter({ has: header });
    await pane.locator(".monaco-list-row").filter({ hasText: /^(firm|tentative) \(\d+\)/ }).first().waitFor();
    const fact = pane.locator(".monaco-list-row").filter({ hasText: /^body hash: / }).first();
    await fact.waitFor();
    out.memory_description = await header.innerText();
    out.memory_rows = await pane.locator(".monaco-list-row").allInnerTexts();
    await fact.hover();
    out.memory_actions = await fact.locator(".action-label").evaluateAll((els) => els.map((e) => e.getAttribute("aria-label")));
    await shot("memory");
    await header.click(); // collapse it again: the Review view gets the room
  });

  await step("edit the callee", async () => {
    await openFile("inventory/pricing.py", 6, 33);
    // inserted as one input, not typed key by key: under load the suggest widget that
    // "st" opens took the last key once ("region: st")
    await page.keyboard.insertText(", region: str");
    await page.waitForFunction(() =>
      [...document.querySelectorAll(".editor-instance .view-line")].some((l) => l.textContent.replace(/\u00a0/g, " ").includes("region: str")),
    );
    await page.keyboard.press("Control+S");
    await page.locator('.tab.active:not(.dirty)[aria-label^="pricing.py"]').waitFor();
    out.edited_line = await lineText("def price_with_tax");
    await palette("Kairos: Dream now");
    await page.locator(".notification-toast").filter({ hasText: "kairos: dream done" }).first().waitFor({ timeout: 60000 });
  });

  await step("diagnostic", async () => {
    await openFile("inventory/stock.py", 53, 30);
    await page.locator(".editor-instance .squiggly-warning").first().waitFor({ timeout: 60000 });
    await page.keyboard.press("Control+Shift+M");
    const problem = page.locator(".markers-panel .monaco-list-row").filter({ hasText: "region" }).first();
    await problem.waitFor();
    out.problem = await problem.innerText();
    await shot("diagnostic");
  });

  await step("quick fix", async () => {
    await openFile("inventory/stock.py", 53, 30);
    await page.keyboard.press("Control+.");
    const fix = page.locator(".action-widget .monaco-list-row").filter({ hasText: "region" }).first();
    await fix.waitFor();
    out.fix_title = (await fix.innerText()).trim();
    await shot("quick-fix-menu");
    await fix.click();
    await page.waitForFunction(() => [...document.querySelectorAll(".editor-instance .view-line")].some((l) => l.textContent.includes("region=")));
    out.fixed_line = await lineText("return price_with_tax");
    await page.keyboard.press("Control+S");
    await page.locator('.tab.active:not(.dirty)[aria-label^="stock.py"]').waitFor();
    await page.locator(".editor-instance .squiggly-warning").first().waitFor({ state: "detached", timeout: 30000 });
    out.problems_after = await page.locator(".markers-panel .monaco-list-row").filter({ hasText: "kairos" }).count();
    await shot("fixed");
  });

  await step("review view", async () => {
    await page.keyboard.press("Control+Shift+E");
    const header = page.locator(".pane-header").filter({ hasText: "Kairos Review" }).first();
    await header.waitFor();
    if ((await header.getAttribute("aria-expanded")) !== "true") await header.click();
    const pane = page.locator(".pane").filter({ has: header });
    const row = pane.locator(".monaco-list-row").filter({ hasText: "price_with_tax" }).first();
    for (let i = 0; i < 10 && !(await row.isVisible()); i++) {
      await header.hover();
      await pane.locator('.action-label[aria-label="Refresh"]').first().click().catch(() => {});
      await page.waitForTimeout(1000);
    }
    await row.waitFor({ timeout: 10000 });
    out.review_rows = await pane.locator(".monaco-list-row").allInnerTexts();
    await row.hover();
    out.review_actions = await row.locator(".action-label").evaluateAll((els) => els.map((e) => e.getAttribute("aria-label")));
    await shot("review");
    await row.locator('.action-label[aria-label="Reject"]').click();
    await row.waitFor({ state: "detached", timeout: 20000 });
    out.review_after = await pane.locator(".monaco-list-row").allInnerTexts();
    await shot("review-after-reject");
  });

  await step("status command", async () => {
    out.status_dialog = await statusDialog("status-dialog");
  });

  await step("a change on disk outside the editor", async () => {
    // pricing.py closed, rewritten by something else (a pull): only VS Code's file watcher
    // can tell the server, which registered for it; the open caller then hears of the rename
    await palette("View: Close All Editors");
    await openFile("inventory/stock.py", 53, 30);
    await page.waitForTimeout(1000); // the close reached the server before the file changes
    const pricing = path.join(root, "inventory", "pricing.py");
    fs.writeFileSync(pricing, fs.readFileSync(pricing, "utf8").replaceAll("price_with_tax", "price_after_tax"));
    const problem = page.locator(".markers-panel .monaco-list-row").filter({ hasText: "price_after_tax" }).first();
    for (let i = 0; i < 10 && !(await problem.isVisible()); i++) {
      await page.waitForTimeout(1500);
      await palette("Kairos: Dream now");
      await page.locator(".notification-toast").filter({ hasText: "kairos: dream done" }).first().waitFor({ timeout: 60000 });
      if (!(await page.locator(".markers-panel").isVisible())) await page.keyboard.press("Control+Shift+M");
      await page.waitForTimeout(1000);
    }
    await problem.waitFor({ timeout: 10000 });
    out.outside_problem = await problem.innerText();
    await shot("changed-outside");
  });

  out.done = true;
  save();
  await browser.close();
}

main().then(
  () => process.exit(0),
  (error) => {
    out.error = String(error && error.stack || error);
    save();
    process.exit(1);
  },
);
