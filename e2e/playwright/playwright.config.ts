// Runs the Playwright tests Reel exports (internal/export/playwright) with Debian's chromium;
// browsers are never downloaded (PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 when installing).
// e2e/playwright_test.go writes a test into REEL_SPEC_DIR and runs it against a live reel.
import { defineConfig } from "@playwright/test";

const wait = Number(process.env.REEL_PW_TIMEOUT_MS ?? 30000);

export default defineConfig({
  testDir: process.env.REEL_SPEC_DIR ?? "generated",
  timeout: 4 * wait,
  retries: 0,
  workers: 1,
  reporter: "list",
  expect: { timeout: wait },
  use: {
    browserName: "chromium",
    actionTimeout: wait,
    navigationTimeout: 2 * wait,
    launchOptions: {
      executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
    },
  },
});
