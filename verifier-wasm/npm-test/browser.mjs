// Browser test of the zkinfer-verifier npm package's two builds, as shipped (after wasm-opt), in
// headless Chromium driven by playwright-core (Debian's /usr/bin/chromium; no browser download).
// A small loopback server serves the installed package as plain files, the fixtures and the
// test page (browser/): once with COOP/COEP (cross-origin isolated, as a page using the
// threaded build must be) and once without, where the threaded build must fail cleanly so a page
// can fall back. Prints the timing of each build. Run: node browser.mjs (after smoke.mjs).
import test, { after, before } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { existsSync, readFileSync, realpathSync, statSync } from "node:fs";
import { dirname, extname, join, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
// The package as a consumer has it installed (node_modules/zkinfer-verifier -> ../pkg).
const pkgDir = realpathSync(dirname(fileURLToPath(import.meta.resolve("zkinfer-verifier/package.json"))));
const fixturesDir = resolve(here, "../tests/fixtures");
const pageDir = join(here, "browser");

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".wasm": "application/wasm", // lets the browser compile while downloading
};

function serve(isolated) {
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url, "http://x").pathname);
    let base = pageDir;
    let rel = path === "/" ? "index.html" : path.slice(1);
    if (path.startsWith("/pkg/")) [base, rel] = [pkgDir, path.slice("/pkg/".length)];
    else if (path.startsWith("/fixtures/")) [base, rel] = [fixturesDir, path.slice("/fixtures/".length)];
    const file = resolve(base, rel);
    const headers = { "Cache-Control": "no-store" };
    if (isolated) {
      headers["Cross-Origin-Opener-Policy"] = "same-origin";
      headers["Cross-Origin-Embedder-Policy"] = "require-corp";
    }
    if (!file.startsWith(base + sep) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404, headers).end(`not found: ${path}`);
      return;
    }
    headers["Content-Type"] = TYPES[extname(file)] ?? "application/octet-stream";
    res.writeHead(200, headers).end(readFileSync(file));
  });
  return new Promise((ok) => server.listen(0, "127.0.0.1", () => ok(server)));
}

function chromiumPath() {
  const candidates = [process.env.CHROMIUM_PATH, "/usr/bin/chromium", "/usr/bin/chromium-browser"];
  const found = candidates.find((p) => p && existsSync(p));
  if (!found) throw new Error("no Chromium found: install Debian's chromium or set CHROMIUM_PATH");
  return found;
}

let browser;
const servers = [];

async function runPage(isolated) {
  const server = await serve(isolated);
  servers.push(server);
  const page = await browser.newPage();
  const logs = [];
  page.on("console", (m) => logs.push(`[${m.type()}] ${m.text()}`));
  page.on("pageerror", (e) => logs.push(`[pageerror] ${e.message}`));
  try {
    await page.goto(`http://127.0.0.1:${server.address().port}/`);
    await page.waitForFunction(() => window.__results !== undefined, null, { timeout: 180_000 });
    return await page.evaluate(() => window.__results);
  } catch (e) {
    throw new Error(`${e.message}\npage console:\n${logs.join("\n")}`);
  } finally {
    await page.close();
  }
}

let isolated;
let plain;

before(async () => {
  for (const f of ["verifier-key", "digit_7.proof", "other-verifier-key"]) {
    if (!existsSync(join(fixturesDir, f))) throw new Error(`missing fixture ${f}: run scripts/make-wasm-fixtures.sh`);
  }
  browser = await chromium.launch({ executablePath: chromiumPath(), headless: true });
  isolated = await runPage(true);
  plain = await runPage(false);
});

after(async () => {
  await browser?.close();
  for (const s of servers) s.close();
});

function checkWorkerReport(result, build, threads, where = "isolated page") {
  assert.equal(result.ok, true, `${build} worker failed at ${result.stage}: ${result.error}`);
  const r = result.report;
  assert.equal(r.valid, true, `${build}: valid proof rejected: ${r.reason}`);
  assert.equal(r.reason, null);
  assert.equal(r.predictedClass, 7);
  assert.equal(r.repeatsValid, true, `${build}: a repeated verify failed`);
  assert.equal(r.modelId, r.pinnedModelId, `${build}: modelId is not the key's SHA-256`);
  assert.equal(r.tampered.valid, false, `${build}: tampered proof accepted`);
  assert.match(r.tampered.reason ?? "", /does not verify|malformed/);
  assert.equal(r.otherKey.valid, false, `${build}: proof accepted by another model's key`);
  assert.notEqual(r.otherKey.modelId, r.modelId);
  assert.ok(r.otherKey.reason);
  assert.equal(r.validAfterRejections, true);
  assert.equal(r.threads, threads);
  const f = (x) => (x == null ? "-" : x.toFixed(1));
  console.log(
    `# ${build.padEnd(8)} worker (${where}): init ${f(r.initMs)} ms, initThreadPool(${r.threads}) ${f(r.poolMs)} ms; ` +
      `new Verifier first ${f(r.keyFirstMs)} ms, then median ${f(r.keyMedianMs)} ms; ` +
      `verify first ${f(r.verifyFirstMs)} ms, then median ${f(r.verifyMedianMs)} / min ${f(r.verifyMinMs)} ms (${r.repeats} repeats)`,
  );
  return r;
}

test("the test page is cross-origin isolated (COOP/COEP served)", () => {
  assert.equal(isolated.crossOriginIsolated, true);
  assert.equal(plain.crossOriginIsolated, false);
});

test("single-threaded build on the main thread: the README's five lines", () => {
  assert.equal(isolated.main.ok, true, isolated.main.error);
  assert.equal(isolated.main.valid, true, isolated.main.reason);
  assert.equal(isolated.main.predictedClass, 7);
  assert.equal(plain.main.ok, true, plain.main.error);
  assert.equal(plain.main.valid, true, "the single build must not need isolation");
});

test("single-threaded build in a worker: valid accepted, tampered and other model rejected", () => {
  const r = checkWorkerReport(isolated.single, "single", 1);
  assert.equal(r.sharedMemory, false);
  assert.equal(r.exportsInitThreadPool, false);
  checkWorkerReport(plain.single, "single", 1, "page without COOP/COEP");
});

test("threaded build in a worker with a thread pool: valid accepted, tampered and other model rejected", () => {
  assert.equal(isolated.threaded.ok, true, `failed at ${isolated.threaded.stage}: ${isolated.threaded.error}`);
  const threads = isolated.threaded.report.threads;
  assert.ok(threads >= 2);
  const r = checkWorkerReport(isolated.threaded, "threaded", threads);
  assert.equal(r.sharedMemory, true, "the threaded build's memory is not a SharedArrayBuffer");
  assert.equal(r.exportsInitThreadPool, true);
});

test("threaded build without cross-origin isolation fails cleanly, so a page can fall back", () => {
  assert.equal(plain.threaded.ok, false, "the threaded build ran without SharedArrayBuffer?");
  assert.ok(["init", "initThreadPool"].includes(plain.threaded.stage), `failed at ${plain.threaded.stage}`);
  console.log(`# threaded build, not isolated: ${plain.threaded.stage} threw ${plain.threaded.error.split("\n")[0]}`);
});
