// Benchmark of the WebAssembly verifier in headless Chromium: for each build (single-threaded,
// threaded) and each (verifier key, proof) pair, in a fresh browser each time,
//   - init: fetching and instantiating the module (plus starting the thread pool),
//   - first: the first `new Verifier(key)` and the first `verify(proof)` (V8 compiles wasm lazily,
//     with a baseline compiler first and an optimizing one for hot code: first calls pay it),
//     without and with a warm-up 1 s before them (what the page does while it waits for the
//     proof, which takes seconds to make: `warmUp()` and a `rehearse()` of the key),
//   - warm: the median over repeated `new Verifier(key)` + `verify(proof)` in the same worker.
// Each row is measured in PAGES fresh browsers (default 5) and printed as the median over them
// with the spread, "median (min-max)", so runs can be compared despite a noisy machine.
// Prints a Markdown table (BENCHMARKS.md). Runs in a module Worker, as the page does.
//
// usage: node bench.mjs NAME=KEY_FILE,PROOF_FILE ...   (run by scripts/bench-browser.sh)
// Needs web/pkg/{single,threaded} (scripts/build-wasm.sh) and /usr/bin/chromium (or CHROMIUM).

import http from "node:http";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "../..");
const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
const REPEATS = Number(process.env.REPEATS || 15);
const PAGES = Number(process.env.PAGES || 5);

const cases = process.argv.slice(2).map((arg) => {
  const m = /^([^=]+)=([^,]+),(.+)$/.exec(arg);
  if (!m) throw new Error(`expected NAME=KEY_FILE,PROOF_FILE, got ${arg}`);
  const [, name, keyPath, proofPath] = m;
  return { name, key: fs.readFileSync(keyPath), proof: fs.readFileSync(proofPath) };
});
if (cases.length === 0) throw new Error("no cases: pass NAME=KEY_FILE,PROOF_FILE ...");

const WORKER = `
const params = new URLSearchParams(location.search);
const build = params.get("build");
const repeats = Number(params.get("repeats"));
const now = () => performance.now();
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[s.length >> 1]; };
self.onmessage = async ({ data: { key, proof } }) => {
  try {
    key = new Uint8Array(key); proof = new Uint8Array(proof);
    let t = now();
    const m = await import("/web/pkg/" + build + "/zkinfer_verifier.js");
    await m.default();
    let threads = 1;
    if (build === "threaded") { threads = navigator.hardwareConcurrency; await m.initThreadPool(threads); }
    const initMs = now() - t;
    let warmUpMs = null;
    if (params.get("warmup") === "1") {
      // What the page does: warmUp() when the module loads, and a rehearsal of the pinned key's
      // verification once that key is loaded (on a Verifier of its own here, so the first key
      // parse below is still measured).
      t = now(); m.warmUp(); const r0 = new m.Verifier(key); r0.rehearse(); r0.free(); warmUpMs = now() - t;
      // The optimizing compiler runs in the background; the page's proof arrives seconds later.
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    t = now(); let v = new m.Verifier(key); const coldKeyMs = now() - t;
    t = now(); let r = v.verify(proof); const coldVerifyMs = now() - t;
    if (!r.valid) throw new Error("proof rejected: " + r.reason);
    const keyMs = [], verifyMs = [];
    for (let i = 0; i < repeats; i++) {
      v.free();
      t = now(); v = new m.Verifier(key); keyMs.push(now() - t);
      t = now(); r = v.verify(proof); verifyMs.push(now() - t);
      if (!r.valid) throw new Error("proof rejected: " + r.reason);
    }
    // A tampered proof is still rejected (the benchmark measures a verifier that works).
    const bad = proof.slice(); bad[bad.length - 40] ^= 1;
    if (v.verify(bad).valid) throw new Error("tampered proof accepted");
    postMessage({ ok: true, threads, initMs, warmUpMs, coldKeyMs, coldVerifyMs, k: v.k,
      keyMs: median(keyMs), verifyMs: median(verifyMs),
      totalMs: median(keyMs.map((x, i) => x + verifyMs[i])) });
  } catch (e) { postMessage({ ok: false, error: String(e && e.stack || e) }); }
};`;

const PAGE = `<!doctype html><meta charset="utf-8"><title>bench</title><script type="module">
const w = new Worker("/bench-worker.js" + location.search, { type: "module" });
window.result = new Promise((resolve) => { w.onmessage = (e) => resolve(e.data); w.onerror = (e) => resolve({ ok: false, error: e.message }); });
window.run = (key, proof) => { w.postMessage({ key, proof }); return window.result; };
</script>`;

function serve() {
  const types = { ".js": "text/javascript", ".wasm": "application/wasm", ".html": "text/html" };
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, "http://x");
    const headers = {
      "Cross-Origin-Opener-Policy": "same-origin",
      "Cross-Origin-Embedder-Policy": "require-corp",
      "Cache-Control": "no-store",
    };
    if (url.pathname === "/") return res.writeHead(200, { ...headers, "Content-Type": "text/html" }).end(PAGE);
    if (url.pathname === "/bench-worker.js") return res.writeHead(200, { ...headers, "Content-Type": "text/javascript" }).end(WORKER);
    const file = path.join(root, path.normalize(url.pathname));
    if (!url.pathname.startsWith("/web/pkg/") || !file.startsWith(path.join(root, "web/pkg")) || !fs.existsSync(file)) {
      return res.writeHead(404, headers).end();
    }
    res.writeHead(200, { ...headers, "Content-Type": types[path.extname(file)] || "application/octet-stream" });
    fs.createReadStream(file).pipe(res);
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

async function once(base, build, c, warmup) {
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), "zkinfer-bench-"));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  try {
    const page = await context.newPage();
    await page.goto(`${base}/?build=${build}&repeats=${REPEATS}&warmup=${warmup ? 1 : 0}`);
    const r = await page.evaluate(([k, p]) => window.run(new Uint8Array(k).buffer, new Uint8Array(p).buffer),
      [[...c.key], [...c.proof]]);
    if (!r.ok) throw new Error(`${build} ${c.name}: ${r.error}`);
    return r;
  } finally {
    await context.close();
    fs.rmSync(userDataDir, { recursive: true, force: true });
  }
}

const server = await serve();
const base = `http://127.0.0.1:${server.address().port}`;
const builds = ["single", "threaded"].filter((b) => fs.existsSync(path.join(root, "web/pkg", b, "zkinfer_verifier.js")));
const version = (await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] }).then(async (b) => {
  const v = b.version(); await b.close(); return v;
}));
const ms = (x) => x.toFixed(1);
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[s.length >> 1]; };
// "median (min-max)" of one figure over the fresh pages.
const spread = (rs, f) => {
  const xs = rs.map(f);
  if (xs.some((x) => x === null)) return "—";
  return `${ms(median(xs))} (${ms(Math.min(...xs))}-${ms(Math.max(...xs))})`;
};
console.log(`Chromium ${version}, ${os.cpus().length} cores; each row: median (min-max) over ${PAGES} fresh browsers; warm = median of ${REPEATS} in each`);
console.log("");
console.log("| build | model | k | key bytes | proof bundle bytes | init ms | warm-up ms | first key ms | first verify ms | first key+verify ms | warm key ms | warm verify ms | warm key+verify ms |");
console.log("|---|---|---|---|---|---|---|---|---|---|---|---|---|");
for (const build of builds) {
  for (const c of cases) {
    for (const warmup of [false, true]) {
      const rs = [];
      for (let i = 0; i < PAGES; i++) rs.push(await once(base, build, c, warmup));
      const r = rs[0];
      const label = build === "threaded" ? `threaded (${r.threads})` : "single-threaded";
      const cells = [
        spread(rs, (x) => x.initMs),
        spread(rs, (x) => x.warmUpMs),
        spread(rs, (x) => x.coldKeyMs),
        spread(rs, (x) => x.coldVerifyMs),
        spread(rs, (x) => x.coldKeyMs + x.coldVerifyMs),
        spread(rs, (x) => x.keyMs),
        spread(rs, (x) => x.verifyMs),
        spread(rs, (x) => x.totalMs),
      ];
      console.log(`| ${label} | ${c.name} | ${r.k} | ${c.key.length} | ${c.proof.length} | ${cells.join(" | ")} |`);
    }
  }
}
server.close();
