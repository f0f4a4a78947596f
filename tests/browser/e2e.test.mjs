// End-to-end test of the consumer page (web/) in a real browser against a real server:
// `zkinfer serve` on 127.0.0.1, Debian's headless Chromium driven by playwright-core.
//
// - upload: a held-out MNIST digit as a 28x28 PNG reaches the server pixel for pixel, the shown
//   prediction equals the integer reference (`zkinfer predict` on the exact body the page
//   POSTed), and the page verifies the proof ("verified", model id, time);
// - drawing: strokes on the canvas give a prediction that verifies, on a copy of the page served
//   by another origin and pointed at the API with ?api= (CORS);
// - pinning: trust on first use, the saved pin, a pin the server does not serve; a malformed
//   ?api= or ?commitment= is an error; a model whose input is hidden from its proofs is refused;
// - lying servers (`--tamper-for-tests`): a changed output, an answer the (honest) proof
//   contradicts, a proof for another model, that proof relabelled: the page shows INVALID with
//   the reason; the other model's key served: caught when the page opens, nothing is sent;
// - text: a small character-level language model with the text example's tokenizer
//   (examples/onnx-zoo/char_mlp.onnx, examples/text/tokenizer.json): a typed prompt becomes the
//   token ids the tokenizer gives, the next character is shown at once and its proof verified in the
//   page; a prompt the vocabulary cannot spell is refused; a lying server is caught;
// - images: an RGB model proven as a chain of two segments (as MobileNet is): a photo prepared as
//   the pinned key says (crop, scale) gives the CLI's class, and the page verifies the chain
//   bundle (both segment proofs and their link) against the pinned chain id.
//
// Needs the release CLI and web/pkg (tests/browser/run.sh builds both). Screenshots, server logs
// and timings go to tests/browser/output/.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { once } from "node:events";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import readline from "node:readline";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { chromium } from "playwright-core";
import { grayPng, rgbPng } from "./png.mjs";

const run = promisify(execFile);
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const BIN = process.env.ZKINFER_BIN || path.join(ROOT, "target/release/zkinfer");
const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
const WEB = path.join(ROOT, "web");
const MNIST = path.join(ROOT, "examples/mnist");
const TEXT = path.join(ROOT, "examples/text");
const PROMPT = "It is not down in any map; true places never ar";
const OUT = path.join(ROOT, "tests/browser/output");
// Which held-out digit to upload (0..1499).
const HELDOUT_INDEX = Number(process.env.HELDOUT_INDEX || 123);
const PROOF_TIMEOUT_MS = 180_000;

let work; // temporary directory: models, server data, inputs
let context; // the browser (one persistent context on a fresh profile)
let userDataDir;
let A; // the example model: { dir, id }
// The lying servers' cases check the page, not the model: they use a model whose proofs take
// seconds (the ONNX zoo's 16-input MLP at 8 activation bits, k = 12; a 1x16 "image" to the page)
// instead of the MNIST example's (k = 14, 93 columns).
let L; // that small model: { dir, id }
let LB; // the same network laid out with another dot width: another model id, same scales
let LC; // L again with a random commitment salt: same key and id, another commitment
let LH; // L with its input hidden from proofs: a page cannot tie a proof to its input
let digit; // { pixels, label, png }
let row; // L's input as a 16x1 grayscale PNG: { pixels, png }
const servers = new Set();
// If the runner is stopped mid-test, take the servers down with it.
process.on("exit", () => {
  for (const s of servers) s.child.kill("SIGKILL");
});
const timings = {};

function log(...args) {
  console.log("#", ...args);
}

/** Compiles the bundled example with the release CLI; returns its directory and model id. */
async function compileExample(name, extra) {
  const dir = path.join(work, name);
  const labels = path.join(work, "labels.txt");
  const { stdout } = await run(
    BIN,
    ["compile", path.join(MNIST, "model.onnx"), "--calibration", path.join(MNIST, "calibration.json"),
      "--labels", labels, "-o", dir, ...extra],
    { maxBuffer: 16 << 20 },
  );
  const id = /model id: ([0-9a-f]{64})/.exec(stdout)?.[1];
  assert.ok(id, `no model id in the compile output:\n${stdout}`);
  return { dir, id };
}

/** Compiles the small model the lying servers' cases use (see `L`). */
async function compileSmall(name, extra) {
  const dir = path.join(work, name);
  const { stdout } = await run(
    BIN,
    ["compile", path.join(ROOT, "examples/onnx-zoo/mlp_activations.onnx"), "--calibrate-random",
      "--activation-bits", "8", "-o", dir, ...extra],
    { maxBuffer: 16 << 20 },
  );
  const id = /model id: ([0-9a-f]{64})/.exec(stdout)?.[1];
  assert.ok(id, `no model id in the compile output:\n${stdout}`);
  return { dir, id };
}

/** Starts `zkinfer serve` on a free loopback port with web/ at /. */
async function startServer(name, models, extra = []) {
  const logPath = path.join(OUT, `${name}.server.log`);
  const logFd = fs.openSync(logPath, "w");
  const child = spawn(
    BIN,
    ["serve", ...models.map((m) => m.dir), "--addr", "127.0.0.1:0", "--data-dir", path.join(work, `data-${name}`),
      "--web", WEB, ...extra],
    { stdio: ["ignore", "pipe", logFd] },
  );
  fs.closeSync(logFd);
  const lines = readline.createInterface({ input: child.stdout });
  const first = await Promise.race([
    once(lines, "line").then(([l]) => l),
    once(child, "exit").then(([code]) => `exited with ${code}`),
    new Promise((r) => setTimeout(() => r("no answer in 60 s"), 60_000)),
  ]);
  const base = /^zkinfer serve: listening on (http:\/\/127\.0\.0\.1:\d+)$/.exec(first)?.[1];
  const srv = {
    base,
    logPath,
    child,
    async stop() {
      servers.delete(srv);
      if (child.exitCode === null) {
        child.kill("SIGTERM");
        await once(child, "exit");
      }
    },
  };
  servers.add(srv);
  if (!base) {
    await srv.stop();
    assert.fail(`zkinfer serve did not start (${first}):\n${fs.readFileSync(logPath, "utf8")}`);
  }
  return srv;
}

/** The integer reference for exactly the body the page sent: `zkinfer predict`. */
async function reference(model, body, name) {
  const file = path.join(work, `${name}.input.json`);
  fs.writeFileSync(file, body);
  const { stdout } = await run(BIN, ["predict", model.dir, "--input", file, "--json"], { maxBuffer: 16 << 20 });
  return JSON.parse(stdout);
}

/** Opens the page, failing on uncaught page errors; `diagnose()` describes what the page saw. */
async function openPage(url, setup) {
  const page = await context.newPage();
  if (setup) await setup(page);
  const messages = [];
  page.on("console", (m) => messages.push(`console.${m.type()}: ${m.text()}`));
  page.on("pageerror", (e) => messages.push(`page error: ${e.message}`));
  page.on("requestfailed", (r) => messages.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));
  await page.goto(url);
  page.diagnose = () => messages.join("\n");
  return page;
}

/** Runs `fn(page)`; on failure saves a screenshot and adds the page's console to the error. */
async function withPage(name, url, fn, setup) {
  const page = await openPage(url, setup);
  try {
    await fn(page);
  } catch (e) {
    await page.screenshot({ path: path.join(OUT, `${name}-failure.png`), fullPage: true }).catch(() => {});
    e.message += `\n--- page (${url}) ---\n${page.diagnose()}\n--- screenshot: output/${name}-failure.png`;
    throw e;
  } finally {
    await page.close();
  }
}

const text = (page, sel) => page.locator(sel).innerText();

async function waitReady(page, model) {
  await page.waitForFunction(
    () => !["loading", undefined].includes(document.getElementById("verifier-mode").dataset.state),
    null,
    { timeout: 60_000 },
  );
  const mode = await text(page, "#verifier-mode");
  assert.match(mode, /^(single-threaded|threaded, \d+ threads)$/, `verifier mode: ${mode}`);
  assert.equal(await text(page, "#pinned-id"), model.id);
  await page.waitForFunction(() => document.getElementById("key-status").dataset.state !== "loading", null, {
    timeout: 60_000,
  });
  return mode;
}

/** Clicks "Predict and prove" (`button`); returns the POSTed body and the final verdict. */
async function submit(page, model, button = "#send") {
  await page.locator(`${button}:not([disabled])`).waitFor({ timeout: 10_000 });
  const request = page.waitForRequest(
    (r) => r.method() === "POST" && r.url().endsWith(`/api/models/${model.id}/predict`),
  );
  const t0 = Date.now();
  await page.click(button);
  const body = (await request).postData();
  await page.waitForSelector("#prediction[data-class]", { timeout: 30_000 });
  await page.waitForFunction(
    () => ["verified", "invalid", "error"].includes(document.getElementById("verdict").dataset.state),
    null,
    { timeout: PROOF_TIMEOUT_MS },
  );
  return {
    body,
    seconds: (Date.now() - t0) / 1000,
    shownClass: Number(await page.getAttribute("#prediction", "data-class")),
    shown: await text(page, "#prediction"),
    state: await page.getAttribute("#verdict", "data-state"),
    verdict: await text(page, "#verdict"),
  };
}

async function uploadDigit(page) {
  await page.setInputFiles("#upload", {
    name: `heldout-${HELDOUT_INDEX}.png`,
    mimeType: "image/png",
    buffer: digit.png,
  });
  await page.waitForFunction(() => /pixel for pixel/.test(document.getElementById("input-note").textContent));
}

/** Uploads the input for `model`: the held-out digit for the example, the 16x1 row for `L`'s. */
async function uploadFor(page, model) {
  if (model === A) return uploadDigit(page);
  await page.setInputFiles("#upload", { name: "row.png", mimeType: "image/png", buffer: row.png });
  await page.waitForFunction(() => /pixel for pixel/.test(document.getElementById("input-note").textContent));
}

before(async () => {
  for (const [what, p] of [
    ["the release CLI (cargo build --release -p zkinfer-prover)", BIN],
    ["the WebAssembly verifier (tests/browser/run.sh builds it)", path.join(WEB, "pkg/single/zkinfer_verifier.js")],
    ["Chromium (apt-get install chromium)", CHROMIUM],
  ]) {
    assert.ok(fs.existsSync(p), `missing ${what}: ${p}`);
  }
  fs.mkdirSync(OUT, { recursive: true });
  work = fs.mkdtempSync(path.join(os.tmpdir(), "zkinfer-browser-"));
  fs.writeFileSync(path.join(work, "labels.txt"), "0\n1\n2\n3\n4\n5\n6\n7\n8\n9\n");

  // A held-out digit (examples/mnist/README.md: 784 raw bytes per image, labels one byte each).
  const images = fs.readFileSync(path.join(MNIST, "heldout.bin"));
  const labels = fs.readFileSync(path.join(MNIST, "heldout-labels.bin"));
  assert.ok(HELDOUT_INDEX >= 0 && HELDOUT_INDEX < labels.length, `HELDOUT_INDEX ${HELDOUT_INDEX}`);
  const pixels = new Uint8Array(images.subarray(784 * HELDOUT_INDEX, 784 * (HELDOUT_INDEX + 1)));
  digit = { pixels, label: labels[HELDOUT_INDEX], png: grayPng(pixels, 28, 28) };
  fs.writeFileSync(path.join(OUT, `heldout-${HELDOUT_INDEX}.png`), digit.png);

  const rowPixels = Uint8Array.from({ length: 16 }, (_, i) => (i * 53 + 20) % 256);
  row = { pixels: rowPixels, png: grayPng(rowPixels, 16, 1) };

  let t = Date.now();
  [A, L, LB, LC, LH] = await Promise.all([
    compileExample("a", []),
    compileSmall("l", []),
    compileSmall("lb", ["--dot-width", "8"]),
    compileSmall("lc", ["--salt", "random"]),
    compileSmall("lh", ["--input-visibility", "hidden"]),
  ]);
  assert.notEqual(L.id, LB.id);
  timings.compile_models_s = (Date.now() - t) / 1000;

  t = Date.now();
  userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), "zkinfer-chromium-"));
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
    viewport: { width: 1000, height: 1200 },
  });
  timings.browser_start_s = (Date.now() - t) / 1000;
  log(`models ${A.id} and ${L.id} compiled in ${timings.compile_models_s} s`);
});

after(async () => {
  for (const s of [...servers]) await s.stop();
  if (context) await context.close();
  for (const dir of [work, userDataDir]) if (dir) fs.rmSync(dir, { recursive: true, force: true });
  fs.writeFileSync(path.join(OUT, "timings.json"), JSON.stringify(timings, null, 2) + "\n");
  log("timings:", JSON.stringify(timings));
});

test("honest server: upload, drawing and pinning", { timeout: 2 * PROOF_TIMEOUT_MS }, async () => {
  const srv = await startServer("honest", [A]);
  try {
    // Upload a held-out digit; the page must send exactly float32(u / 255) of its bytes.
    // threads=on: the threaded build even on a 2-core machine (where the page would pick the
    // faster single-threaded one), so this case covers it.
    await withPage("upload", `${srv.base}/?model=${A.id}&threads=on`, async (page) => {
      const mode = await waitReady(page, A);
      assert.equal(await page.getAttribute("#key-status", "data-state"), "ok", await text(page, "#key-status"));
      assert.equal(await page.evaluate(() => self.crossOriginIsolated), true, "COOP/COEP make the page isolated");
      await uploadDigit(page);
      const r = await submit(page, A);
      const sent = JSON.parse(r.body).input_data;
      assert.equal(sent.length, 1);
      assert.deepEqual(sent[0], Array.from(digit.pixels, (u) => Math.fround(u / 255)), "pixel-for-pixel input");
      // The model salts its input hash: the page sends a fresh salt of its own with every input.
      const salt = JSON.parse(r.body).input_salt;
      assert.match(salt, /^0x[0-9a-f]{64}$/, "the page sends its own input salt");
      const ref = await reference(A, r.body, "upload");
      assert.equal(ref.model_id, A.id);
      assert.equal(r.state, "verified", r.verdict);
      assert.match(r.verdict, /^verified/);
      // The test's keys are under the development setup: recognized by the key's points, said
      // in the verdict itself and beside the pinned model.
      assert.match(r.verdict, /only under the INSECURE development setup/);
      assert.ok(await page.isVisible("#srs-note"), "the development-setup warning is shown");
      assert.match(await text(page, "#srs-note"), /INSECURE: .*development setup/);
      assert.equal(r.shownClass, ref.predicted_class, "the shown prediction is the integer model's");
      assert.equal(r.shown, ref.predicted_label);
      assert.equal(Number(await page.getAttribute("#verified-class", "data-class")), ref.predicted_class);
      assert.equal(await text(page, "#checked-model"), A.id);
      if (fs.existsSync(path.join(WEB, "pkg/threaded/zkinfer_verifier.js"))) {
        assert.match(mode, /^threaded, \d+ threads$/, "the page is isolated and the threaded build is there");
      }
      const ms = Number(await page.getAttribute("#verify-time", "data-ms"));
      assert.ok(ms > 0 && ms < 60_000, `verification time ${ms} ms`);
      assert.match(await text(page, "#verify-time"), /^\d+\.\d ms/);
      await page.screenshot({ path: path.join(OUT, "upload-verified.png"), fullPage: true });
      Object.assign(timings, {
        verifier_mode: mode,
        upload_true_label: digit.label,
        upload_predicted_class: ref.predicted_class,
        upload_submit_to_verified_s: r.seconds,
        upload_verify_ms: ms,
        upload_verify_time_text: await text(page, "#verify-time"),
      });
      log(`upload: label ${digit.label}, predicted ${ref.predicted_class}, verified in ${ms} ms (${r.seconds} s end to end, ${mode})`);
    });

    // Draw a 7: a bar and a slanted stem. The threaded build is made unreachable here, so this
    // case covers the single-threaded fallback (the upload case uses the threaded build when
    // web/pkg/threaded exists). And the page comes from another server (another origin): a
    // consumer's own copy of the page, pointed at this API with ?api= (CORS, allowed by default).
    const noThreads = (page) => page.route("**/pkg/threaded/**", (route) => route.abort());
    const pageHost = await startServer("page-host", [LB]);
    try {
      await withPage("drawing", `${pageHost.base}/?model=${A.id}&threads=on&api=${encodeURIComponent(srv.base)}`, async (page) => {
        assert.equal(await waitReady(page, A), "single-threaded");
        assert.match(await text(page, "#api-base"), new RegExp(`^${srv.base}`));
        assert.match(await text(page, "#verifier-note"), /threaded build unavailable/);
        const box = await page.locator("#pad").boundingBox();
        const at = (x, y) => [box.x + (x * box.width) / 280, box.y + (y * box.height) / 280];
        const strokes = [
          [[70, 60], [210, 60]],
          [[210, 60], [180, 130], [150, 200], [130, 240]],
        ];
        for (const s of strokes) {
          await page.mouse.move(...at(...s[0]));
          await page.mouse.down();
          for (const p of s.slice(1)) await page.mouse.move(...at(...p), { steps: 8 });
          await page.mouse.up();
        }
        const r = await submit(page, A);
        const ref = await reference(A, JSON.stringify(JSON.parse(r.body)), "drawing");
        const sent = JSON.parse(r.body).input_data[0];
        assert.ok(sent.filter((v) => v > 0).length > 40, "the drawing reached the input");
        assert.equal(r.state, "verified", r.verdict);
        assert.equal(r.shownClass, ref.predicted_class);
        // The strokes are fixed, so this is deterministic; it checks the crop/scale/centre step
        // makes a drawn digit look like MNIST to the model.
        assert.equal(ref.predicted_class, 7, "a drawn 7 is recognised");
        await page.screenshot({ path: path.join(OUT, "drawing-verified.png"), fullPage: true });
        timings.drawing_submit_to_verified_s = r.seconds;
        timings.drawing_verify_ms_single_threaded = Number(await page.getAttribute("#verify-time", "data-ms"));
      }, noThreads);
    } finally {
      await pageHost.stop();
    }

    // Addresses that do not parse are errors, never silently replaced: a malformed ?api= (no
    // server is asked anything) and a malformed ?commitment= pin (no trust on first use).
    await withPage("bad-api", `${srv.base}/?model=${A.id}&api=ftp%3A%2F%2Fexample`, async (page) => {
      await page.waitForSelector("#pin-error:not([hidden])");
      assert.match(await text(page, "#pin-error"), /\?api=ftp:\/\/example is not a server address/);
      assert.ok(await page.isDisabled("#send"));
    });
    await withPage("bad-commitment", `${srv.base}/?model=${A.id}&commitment=0x1234`, async (page) => {
      await page.waitForSelector("#pin-error:not([hidden])");
      assert.match(await text(page, "#pin-error"), /\?commitment=0x1234 is not a model commitment/);
      await uploadDigit(page);
      assert.ok(await page.isDisabled("#send"), "nothing is sent without a commitment to check proofs against");
    });

    // Pinning without ?model=: trust on first use, remembered; a pin the server does not serve.
    await withPage("pinning", `${srv.base}/`, async (page) => {
      const mode = await waitReady(page, A);
      // By default the page picks the single-threaded build below 4 cores: it is faster there.
      if ((await page.evaluate(() => navigator.hardwareConcurrency)) < 4) {
        assert.equal(mode, "single-threaded");
        assert.match(await text(page, "#verifier-note"), /faster than a thread pool/);
      }
      assert.ok(await page.isVisible("#tofu-note"), "trust on first use is said");
      assert.match(await text(page, "#pin-source"), /trust on first use/);
      await page.reload();
      await waitReady(page, A);
      assert.ok(!(await page.isVisible("#tofu-note")));
      assert.match(await text(page, "#pin-source"), /saved in this browser/);
      const other = "ab".repeat(32);
      await page.click("#pin-details summary");
      await page.fill("#pin-input", other);
      await page.click("#pin-form button[type=submit]");
      await page.waitForSelector("#pin-error:not([hidden])");
      assert.match(await text(page, "#pin-error"), /does not serve the model you trust/);
      assert.equal(await text(page, "#pinned-id"), other);
      assert.ok(await page.isDisabled("#send"));
      await page.reload(); // the edited pin was saved
      await page.waitForSelector("#pin-error:not([hidden])");
      assert.equal(await text(page, "#pinned-id"), other);
      await page.click("#pin-details summary");
      await page.click("#pin-clear"); // back to trust on first use
      await page.waitForFunction((id) => document.getElementById("pinned-id").textContent === id, A.id);
      assert.ok(await page.isVisible("#tofu-note"));
    });
  } finally {
    await srv.stop();
  }
});

/** One lying server of `L`: upload its input, expect INVALID with a reason matching `reason`. */
async function expectInvalid(mode, models, reason, check, extra = []) {
  const srv = await startServer(mode, models, ["--tamper-for-tests", mode, ...extra]);
  try {
    assert.match(fs.readFileSync(srv.logPath, "utf8"), new RegExp(`DANGER: --tamper-for-tests ${mode}`));
    await withPage(mode, `${srv.base}/?model=${L.id}`, async (page) => {
      await waitReady(page, L);
      if (check) await check(page);
      await uploadFor(page, L);
      const r = await submit(page, L);
      assert.equal(r.state, "invalid", `expected INVALID, got: ${r.verdict}`);
      assert.match(r.verdict, /^INVALID: /);
      assert.match(r.verdict, reason);
      assert.ok(await page.isHidden("#verified-details"), "nothing is shown as verified");
      await page.screenshot({ path: path.join(OUT, `${mode}-invalid.png`), fullPage: true });
      timings[`${mode}_submit_to_verdict_s`] = r.seconds;
      log(`${mode}: ${r.verdict}`);
      // What the server claimed, next to the honest integer model for the same input.
      const honest = await reference(L, r.body, mode);
      if (mode === "output" || mode === "prediction") {
        assert.notEqual(r.shownClass, honest.predicted_class, "the lying server claimed another class");
      }
    });
  } finally {
    await srv.stop();
  }
}

test("lying server: tampered output", { timeout: PROOF_TIMEOUT_MS }, async () => {
  await expectInvalid("output", [L], /proof does not verify/);
});

test("lying server: an answer the proof contradicts", { timeout: PROOF_TIMEOUT_MS }, async () => {
  await expectInvalid("prediction", [L], /the server predicted \d+, but the proof shows \d+/);
});

test("lying server: proof for another model", { timeout: PROOF_TIMEOUT_MS }, async () => {
  await expectInvalid("other-model", [L, LB], new RegExp(`proof is for model ${LB.id}, you trust ${L.id}`));
});

test("lying server: another model's proof under the pinned model's id", { timeout: PROOF_TIMEOUT_MS }, async () => {
  // The other circuit's proof does not even parse as a proof for this key, or does not verify:
  // either way the proof check, not the (matching) header, refuses it.
  await expectInvalid("other-model-relabelled", [L, LB], /proof (does not verify|bytes are malformed)/);
});

test("lying server: the same architecture with other committed weights", { timeout: PROOF_TIMEOUT_MS }, async () => {
  // LC is L recompiled with a random commitment salt: the same verifier key (the weights are
  // hidden, so the key fixes only the architecture), hence the same model id, but another model
  // commitment. Every request is answered and proven with LC; only the pinned commitment tells.
  assert.equal(LC.id, L.id, "a salted recompile has the same verifier key");
  await expectInvalid(
    "swap-model",
    [L],
    /the proof was made with the model committed as .*, you trust /,
    async (page) => {
      await page.waitForFunction(() => /^0x[0-9a-f]{64}$/.test(document.getElementById("pinned-commitment").textContent));
    },
    ["--tamper-stand-in", LC.dir, "--tamper-rate", "1"],
  );
});

/**
 * A server the page refuses as soon as it opens: the key status is `keyState` (matching
 * `keyText` when given), the pin error says why (`reason`), and after an input is chosen nothing
 * can be sent and no POST leaves the page.
 */
async function expectRefusedOnOpen(name, models, pinned, { extra = [], keyState, keyText, reason }) {
  const srv = await startServer(name, models, extra);
  try {
    await withPage(name, `${srv.base}/?model=${pinned.id}`, async (page) => {
      await waitReady(page, pinned);
      assert.equal(await page.getAttribute("#key-status", "data-state"), keyState);
      if (keyText) assert.match(await text(page, "#key-status"), keyText);
      await page.waitForSelector("#pin-error:not([hidden])");
      assert.match(await text(page, "#pin-error"), reason);
      let posted = false;
      page.on("request", (r) => {
        if (r.method() === "POST") posted = true;
      });
      await uploadFor(page, pinned);
      assert.ok(await page.isDisabled("#send"), "nothing can be sent to a refused server");
      assert.equal(posted, false);
      await page.screenshot({ path: path.join(OUT, `${name}-refused.png`), fullPage: true });
    });
  } finally {
    await srv.stop();
  }
}

test("lying server: another model's verifier key is caught before anything is sent", { timeout: PROOF_TIMEOUT_MS }, async () => {
  // The key is checked against the pin when the page opens: a server caught there gets no input
  // (no proof it made could be checked against the pinned model anyway).
  const mode = "other-model-key";
  await expectRefusedOnOpen(mode, [L, LB], L, {
    extra: ["--tamper-for-tests", mode],
    keyState: "invalid",
    keyText: new RegExp(`verifier key is for model ${LB.id}, you trust ${L.id}`),
    reason: /not serving the model you trust .*nothing is sent to it/,
  });
});

test("a model whose input is hidden from its proofs is refused before anything is sent", { timeout: PROOF_TIMEOUT_MS }, async () => {
  await expectRefusedOnOpen("hidden-input", [LH], LH, {
    keyState: "ok",
    reason: /hides its input from its proofs.*Nothing is sent/,
  });
});

test("text model: a prompt's next character, verified in the page; a lying server is caught", {
  timeout: 2 * PROOF_TIMEOUT_MS,
}, async () => {
  // The text tab does not depend on the model's size, so the suite uses a small character-level
  // language model (the ONNX zoo's char_mlp: embedding, Flatten, Gemm, Tanh, Gemm) with the text
  // example's tokenizer and calibration windows, compiled with the defaults but 8-bit
  // activations (k = 13): each of its three proofs takes about 4 s where the text example's takes
  // a minute on 2 cores. The text example's own proof
  // is verified in Chromium by the WebAssembly verifier's tests (verifier-wasm/tests/web.rs).
  const dir = path.join(work, "text");
  const t0 = Date.now();
  const { stdout } = await run(
    BIN,
    ["compile", path.join(ROOT, "examples/onnx-zoo/char_mlp.onnx"),
      "--calibration", path.join(TEXT, "calibration.json"),
      "--tokenizer", path.join(TEXT, "tokenizer.json"), "--activation-bits", "8", "-o", dir],
    { maxBuffer: 16 << 20 },
  );
  timings.text_compile_s = (Date.now() - t0) / 1000;
  const T = { dir, id: /model id: ([0-9a-f]{64})/.exec(stdout)?.[1] };
  assert.ok(T.id, stdout);
  // The ids the prompt must become, computed here from the tokenizer file: lowercased, the last
  // 16 characters, each the index of its character in the vocabulary.
  const tok = JSON.parse(fs.readFileSync(path.join(TEXT, "tokenizer.json"), "utf8"));
  const expectedIds = Array.from(PROMPT.toLowerCase().slice(-tok.context), (c) => tok.vocabulary.indexOf(c));
  assert.ok(expectedIds.every((i) => i >= 0));

  // "tokenizer": the server's card lies about the tokenizer (another padding token, capitals
  // kept); the page spells prompts with the pinned key's tokenizer, so nothing changes.
  for (const mode of ["honest", "prediction", "tokenizer"]) {
    const srv = await startServer(`text-${mode}`, [T], mode === "honest" ? [] : ["--tamper-for-tests", mode]);
    try {
      if (mode === "tokenizer") {
        const card = await (await fetch(`${srv.base}/api/models/${T.id}`)).json();
        assert.equal(card.tokenizer.lowercase, false, "the lying card keeps capitals");
        assert.notEqual(card.tokenizer.vocabulary[card.tokenizer.pad], tok.pad, "the lying card pads otherwise");
      }
      await withPage(`text-${mode}`, `${srv.base}/?model=${T.id}`, async (page) => {
        await waitReady(page, T);
        await page.waitForSelector("#text-input:not([hidden])", { timeout: 30_000 });
        assert.ok(await page.isHidden("#input"), "a text model gets the prompt box, not the drawing pad");
        // A short prompt with capitals and a run of whitespace: lowercased, one space, padded on
        // the left with the padding token; the page's ids are the CLI's.
        const short = "There  She\tBLO";
        await page.fill("#prompt", short);
        const shortIds = Array.from("there she blo", (c) => tok.vocabulary.indexOf(c));
        const padded = Array(tok.context - shortIds.length).fill(tok.vocabulary.indexOf(tok.pad)).concat(shortIds);
        assert.equal(await text(page, "#prompt-note"), `16 token ids: ${padded.join(" ")}`);
        const idsFile = path.join(work, "text-short.input.json");
        fs.writeFileSync(idsFile, JSON.stringify({ input_data: [padded] }));
        const byIds = JSON.parse((await run(BIN, ["predict", dir, "--input", idsFile, "--json"])).stdout);
        const byText = JSON.parse((await run(BIN, ["predict", dir, "--text", short, "--json"])).stdout);
        assert.deepEqual(byText.input_raw, byIds.input_raw, "the CLI tokenizes the short prompt as the page does");
        await page.fill("#prompt", "ahab's 1st whale");
        assert.match(await text(page, "#prompt-note"), /Cannot use this prompt: "1" is not in this model's vocabulary/);
        assert.ok(await page.isDisabled("#send-text"));
        await page.fill("#prompt", PROMPT);
        const r = await submit(page, T, "#send-text");
        const sent = JSON.parse(r.body).input_data[0];
        assert.deepEqual(sent, expectedIds, "the page sends the tokenizer's ids of the prompt");
        const ref = await reference(T, r.body, `text-${mode}`);
        const cli = JSON.parse((await run(BIN, ["predict", dir, "--text", PROMPT, "--json"])).stdout);
        assert.deepEqual(cli.input_raw, ref.input_raw, "the CLI tokenizes the prompt the same way");
        if (mode !== "prediction") {
          assert.equal(r.state, "verified", r.verdict);
          assert.equal(r.shownClass, ref.predicted_class, "the shown next character is the integer model's");
          assert.equal(r.shown, JSON.stringify(ref.predicted_label));
          assert.equal(await text(page, "#verified-class"), JSON.stringify(ref.predicted_label));
          const ms = Number(await page.getAttribute("#verify-time", "data-ms"));
          if (mode === "honest") Object.assign(timings, { text_submit_to_verified_s: r.seconds, text_verify_ms: ms });
          log(`text: next character ${JSON.stringify(ref.predicted_label)} verified in ${ms} ms (${r.seconds} s end to end)`);
        } else {
          assert.equal(r.state, "invalid", r.verdict);
          assert.match(r.verdict, /^INVALID: the server predicted .+, but the proof shows .+/);
          assert.notEqual(r.shownClass, ref.predicted_class);
        }
        await page.screenshot({ path: path.join(OUT, `text-${mode}.png`), fullPage: true });
      });
    } finally {
      await srv.stop();
    }
  }
});

/** A memory budget (GiB) under which the zoo's resnet_bn at 8-bit activations is cut into two segments. */
const RGB_CHAIN_BUDGET_GIB = "0.36";

test("RGB model proven as a chain: a photo prepared as the pinned key says, its chain of proofs verified in the page", {
  timeout: 2 * PROOF_TIMEOUT_MS,
}, async () => {
  // The ONNX zoo's resnet_bn ([1, 3, 16, 16], random weights: the class means nothing) compiled to
  // take images: a central 80% crop, pixels / 255. A 20x20 photo's crop is 16x16, used pixel for
  // pixel, so the page must send exactly what `zkinfer predict --image` computes from the file.
  // It is compiled at 8-bit activations under a tiny memory budget, so it is proven as a chain of two segments, as
  // MobileNet is under the default budget: the page pins the chain id and checks both segment
  // proofs and their link. The same network compiled without an image preprocessing (one
  // circuit) takes no photo in the page.
  const compileRgb = async (name, extra) => {
    const dir = path.join(work, name);
    const { stdout } = await run(
      BIN,
      ["compile", path.join(ROOT, "examples/onnx-zoo/resnet_bn.onnx"), "--calibrate-random", "-o", dir, ...extra],
      { maxBuffer: 16 << 20 },
    );
    // A chain is named by its chain id, the SHA-256 of its chain key file.
    const id = /(?:model|chain) id: ([0-9a-f]{64})/.exec(stdout)?.[1];
    assert.ok(id, stdout);
    return { dir, id };
  };
  const R = await compileRgb("rgb", ["--image-preprocess", "scale=0.00392156862745098,offset=0,crop=0.8",
    "--activation-bits", "8", "--memory-budget", RGB_CHAIN_BUDGET_GIB]);
  const N = await compileRgb("rgb-plain", []);
  const side = 20;
  // Every channel different, so a channel-order or layout slip changes the input.
  const pixels = Uint8Array.from({ length: side * side * 3 }, (_, i) => {
    const [p, c] = [Math.floor(i / 3), i % 3];
    const [y, x] = [Math.floor(p / side), p % side];
    return [(x * 13 + y * 3) % 256, (y * 11 + 40) % 256, ((x + y) * 7 + 100 * c) % 256][c];
  });
  const png = rgbPng(pixels, side, side);
  const file = path.join(work, "photo.png");
  fs.writeFileSync(file, png);
  const srv = await startServer("rgb", [R, N]);
  try {
    await withPage("rgb-plain", `${srv.base}/?model=${N.id}`, async (page) => {
      await waitReady(page, N);
      assert.equal(await text(page, "#input-h"), "Upload a photo");
      await page.setInputFiles("#upload", { name: "photo.png", mimeType: "image/png", buffer: png });
      await page.waitForFunction(() => /Cannot use this file/.test(document.getElementById("input-note").textContent));
      assert.match(await text(page, "#input-note"), /names no image preprocessing/);
      assert.ok(await page.isDisabled("#send"), "nothing to send");
    });
    await withPage("rgb", `${srv.base}/?model=${R.id}`, async (page) => {
      await waitReady(page, R);
      assert.equal(await text(page, "#input-h"), "Upload a photo");
      assert.ok(await page.isHidden("#pad"), "an RGB model gets an upload, not the digit pad");
      await page.setInputFiles("#upload", { name: "photo.png", mimeType: "image/png", buffer: png });
      await page.waitForFunction(() => /pixel for pixel/.test(document.getElementById("input-note").textContent));
      assert.match(await text(page, "#input-note"), /central 80% crop \(16×16\)/);
      const r = await submit(page, R);
      const sent = JSON.parse(r.body).input_data[0];
      // Channels first: channel c of crop pixel (y, x) is photo pixel (y + 2, x + 2) over 255.
      for (const [c, y, x] of [[0, 0, 0], [1, 5, 9], [2, 15, 15]]) {
        const p = pixels[3 * ((y + 2) * side + x + 2) + c];
        assert.equal(sent[(c * 16 + y) * 16 + x], Math.fround(p * Math.fround(1 / 255)), `channel ${c} at ${y},${x}`);
      }
      const ref = await reference(R, r.body, "rgb");
      const cli = JSON.parse((await run(BIN, ["predict", R.dir, "--image", file, "--json"])).stdout);
      assert.deepEqual(ref.input_raw, cli.input_raw, "the page prepared the photo as the CLI does");
      assert.equal(r.state, "verified", r.verdict);
      assert.equal(r.shownClass, cli.predicted_class, "the verified class is the CLI's for the same file");
      assert.equal(await page.getAttribute("#checked-proofs", "data-segments"), "2", "a chain's two segment proofs");
      assert.match(await text(page, "#checked-proofs"), /2 segment proofs and the 1 link between them/);
      assert.match(await text(page, "#model-info"), /a chain of 2 circuits k=\d+/, "the pinned key's segments");
      timings.rgb_submit_to_verified_s = r.seconds;
      await page.screenshot({ path: path.join(OUT, "rgb.png"), fullPage: true });
    });
  } finally {
    await srv.stop();
  }
});
