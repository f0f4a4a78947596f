// Benchmark driver, not part of the suite (BENCHMARKS.md, MobileNet served to the page): opens the
// page of a running `zkinfer serve` pinned to MODEL_ID, uploads PHOTO, and prints when the
// server's class is shown and when the page's verdict on the proof arrives (a chain's proofs may
// take an hour: it waits up to three), then saves a screenshot.
// usage: node served-photo.mjs BASE MODEL_ID PHOTO OUT.png
import fs from "node:fs";
import { chromium } from "playwright-core";

const [base, id, photo, shot] = process.argv.slice(2);
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || "/usr/bin/chromium" });
const page = await browser.newPage({ viewport: { width: 1000, height: 1400 } });
await page.goto(`${base}/?model=${id}`);
await page.waitForFunction(() => document.getElementById("key-status").dataset.state === "ok", null, { timeout: 300_000 })
  .catch(async () => console.log("key status:", await page.locator("#key-status").innerText()));
await page.setInputFiles("#upload", { name: "photo.jpg", mimeType: "image/jpeg", buffer: fs.readFileSync(photo) });
await page.locator("#send:not([disabled])").waitFor({ timeout: 60_000 });
const t0 = Date.now();
await page.click("#send");
await page.waitForSelector("#prediction[data-class]", { timeout: 120_000 });
console.log(`prediction shown after ${(Date.now() - t0) / 1000} s: ${await page.locator("#prediction").innerText()}`);
await page.waitForFunction(
  () => ["verified", "invalid", "error"].includes(document.getElementById("verdict").dataset.state),
  null,
  { timeout: 3 * 3600_000 },
);
console.log(`verdict after ${(Date.now() - t0) / 1000} s: ${await page.locator("#verdict").innerText()}`);
for (const sel of ["#verified-class", "#checked-proofs", "#verify-time", "#model-info", "#key-status"]) {
  console.log(sel, await page.locator(sel).innerText().catch(() => "-"));
}
await page.screenshot({ path: shot, fullPage: true });
await browser.close();
