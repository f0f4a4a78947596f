// Node smoke test of the zkinfer-verifier npm package (verifier-wasm/pkg, built by
// scripts/build-wasm.sh), used the way a consumer uses it: installed as a dependency
// (`file:../pkg`), imported by its package name, initialised from the .wasm bytes, then
// verifying the MNIST fixture proof (verifier-wasm/tests/fixtures, scripts/make-wasm-fixtures.sh).
// Also checks what `npm pack` would publish and that the TypeScript declarations type-check
// consumer code. Run: node smoke.mjs (scripts/test-wasm.sh does, after npm install).
import test from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const fixture = (name) => {
  const url = new URL(`../tests/fixtures/${name}`, import.meta.url);
  if (!existsSync(url)) {
    throw new Error(`missing fixture ${fileURLToPath(url)}: run scripts/make-wasm-fixtures.sh`);
  }
  return new Uint8Array(readFileSync(url));
};
const KEY = fixture("verifier-key");
const PROOF = fixture("digit_7.proof");
const OTHER_KEY = fixture("other-verifier-key");
// What a consumer pins: the model id is the SHA-256 of the key file, computed here independently.
const PINNED_MODEL_ID = createHash("sha256").update(KEY).digest("hex");

const pkgDir = dirname(fileURLToPath(import.meta.resolve("zkinfer-verifier/package.json")));
const pkgFile = (sub) => join(pkgDir, sub);
const pkgJson = JSON.parse(readFileSync(pkgFile("package.json"), "utf8"));

// The consumer's code, as in the package README: import by name, initialise from the bytes.
const { initSync, Verifier, inspectBundle } = await import("zkinfer-verifier");
initSync({
  module: readFileSync(new URL(import.meta.resolve("zkinfer-verifier/single/zkinfer_verifier_bg.wasm"))),
});

test("package.json: name, version from Cargo, license, entry points", () => {
  const cargo = readFileSync(new URL("../../Cargo.toml", import.meta.url), "utf8");
  const version = /\[workspace\.package\][^[]*?\nversion = "([^"]+)"/.exec(cargo)?.[1];
  assert.ok(version, "no version in the workspace Cargo.toml");
  assert.equal(pkgJson.name, "zkinfer-verifier");
  assert.equal(pkgJson.version, version);
  assert.equal(pkgJson.license, "MIT OR Apache-2.0");
  assert.equal(pkgJson.type, "module");
  assert.match(import.meta.resolve("zkinfer-verifier"), /\/single\/zkinfer_verifier\.js$/);
  assert.match(import.meta.resolve("zkinfer-verifier/threaded"), /\/threaded\/zkinfer_verifier\.js$/);
});

test("npm pack publishes both builds, their types and the README, and nothing else", () => {
  const out = execFileSync("npm", ["pack", "--dry-run", "--json", "--loglevel=error", pkgDir], {
    encoding: "utf8",
  });
  const files = JSON.parse(out)[0].files.map((f) => f.path).sort();
  const build = (dir) => [
    `${dir}/zkinfer_verifier.d.ts`,
    `${dir}/zkinfer_verifier.js`,
    `${dir}/zkinfer_verifier_bg.wasm`,
    `${dir}/zkinfer_verifier_bg.wasm.d.ts`,
  ];
  const expected = ["README.md", "package.json", ...build("single"), ...build("threaded")];
  const snippets = files.filter((f) => f.startsWith("threaded/snippets/"));
  assert.equal(snippets.length, 1, `expected wasm-bindgen-rayon's worker script, got ${snippets}`);
  assert.match(snippets[0], /workerHelpers\.no-bundler\.js$/);
  assert.deepEqual(files.filter((f) => !f.startsWith("threaded/snippets/")), expected.sort());
  const readme = readFileSync(pkgFile("README.md"), "utf8");
  assert.match(readme, /new Verifier\(/);
  assert.match(readme, /initThreadPool/);
});

test("a valid proof verifies, against the pinned model", () => {
  const verifier = new Verifier(KEY);
  assert.equal(verifier.modelId, PINNED_MODEL_ID, "modelId is not the key file's SHA-256");
  const result = verifier.verify(PROOF);
  assert.equal(result.valid, true, `rejected: ${result.reason}`);
  assert.equal(result.reason, null);
  assert.equal(result.modelId, PINNED_MODEL_ID);
  assert.equal(result.predictedClass, 7);
  const claimed = inspectBundle(PROOF);
  assert.deepEqual(result.outputRaw, claimed.output.values);
  assert.deepEqual(result.outputShape, claimed.output.shape);
  assert.equal(result.output.length, 10);
  assert.equal(verifier.verify(PROOF).valid, true, "second verify with the same Verifier");
  verifier.free();
});

test("the served model: the proof carries the salted hash of the input sent and the weights' commitment", () => {
  const verifier = new Verifier(KEY);
  assert.deepEqual(verifier.header().visibility, { weights: "hidden", input: "salted", output: "public" });
  // The input the demo sent, with the salt it drew and kept.
  const sent = JSON.parse(new TextDecoder().decode(fixture("digit_7.input.json")));
  const digit = Float32Array.from(sent.input_data[0]);
  const result = verifier.verify(PROOF);
  assert.equal(result.inputHash, verifier.inputHash(digit, sent.input_salt));
  assert.match(result.modelCommitment, /^0x[0-9a-f]{64}$/);
  assert.ok(result.input instanceof Float64Array);
  assert.equal(result.input.length, 0, "a hashed input's values are not in the proof");
  const other = Float32Array.from(digit);
  other[300] = 1 - other[300];
  assert.notEqual(verifier.inputHash(other, sent.input_salt), result.inputHash);
  // Without the salt there is nothing to compare: a guessed input cannot be tested.
  assert.throws(() => verifier.inputHash(digit), (e) => e instanceof Error && /salt/.test(e.message));
  const otherSalt = `0x${"0".repeat(63)}1`;
  assert.notEqual(verifier.inputHash(digit, otherSalt), result.inputHash);
  assert.throws(() => verifier.inputHash(digit, "0x12"), (e) => e instanceof Error && /64 hex/.test(e.message));
  assert.throws(
    () => verifier.inputHash(new Float32Array(3), sent.input_salt),
    (e) => e instanceof Error && /784/.test(e.message),
  );
});

test("a tampered proof byte is invalid, with a reason", () => {
  const verifier = new Verifier(KEY);
  const { proofBytes } = inspectBundle(PROOF);
  const tampered = PROOF.slice();
  // The SNARK is the bundle's last section: flip a byte in its middle.
  tampered[tampered.length - Math.floor(proofBytes / 2)] ^= 0x01;
  assert.equal(inspectBundle(tampered).proofBytes, proofBytes, "the tampered bundle still parses");
  const result = verifier.verify(tampered);
  assert.equal(result.valid, false, "tampered proof accepted");
  assert.match(result.reason, /does not verify|malformed/);
  assert.equal(result.predictedClass, null);
  assert.deepEqual(result.output, []);
  assert.equal(verifier.verify(PROOF).valid, true, "the module still works after a rejection");
});

test("another model's key rejects the proof; malformed input is an error, not a crash", () => {
  const other = new Verifier(OTHER_KEY);
  assert.notEqual(other.modelId, PINNED_MODEL_ID);
  const result = other.verify(PROOF);
  assert.equal(result.valid, false);
  assert.match(result.reason, /model/);
  assert.throws(() => new Verifier(PROOF), (e) => e instanceof Error && /verifier key/.test(e.message));
  assert.equal(new Verifier(KEY).verify(PROOF.slice(0, 100)).valid, false);
});

test("TypeScript declarations exist for both entries and declare the API", () => {
  const single = readFileSync(pkgFile("single/zkinfer_verifier.d.ts"), "utf8");
  const threaded = readFileSync(pkgFile("threaded/zkinfer_verifier.d.ts"), "utf8");
  for (const [name, dts] of [["single", single], ["threaded", threaded]]) {
    assert.match(dts, /export class Verifier\b/, `${name}: no Verifier`);
    assert.match(dts, /verify\(bundleBytes: Uint8Array[^)]*\): VerifyResult;/, `${name}: verify is untyped`);
    assert.match(dts, /export interface VerifyResult\b/, `${name}: no VerifyResult`);
    assert.match(dts, /export function inspectBundle\(bundleBytes: Uint8Array[^)]*\): BundleInfo;/, `${name}`);
    assert.match(dts, /export default function __wbg_init/, `${name}: no default init`);
  }
  assert.match(threaded, /export function initThreadPool\(num_threads: number\): Promise<any>;/);
  assert.doesNotMatch(single, /initThreadPool/);
});

test("consumer TypeScript code type-checks against the package (nodenext and node10 resolution)", () => {
  const tsc = fileURLToPath(new URL("node_modules/typescript/bin/tsc", import.meta.url));
  for (const config of ["types/tsconfig.json", "types/tsconfig.node10.json"]) {
    try {
      execFileSync(process.execPath, [tsc, "-p", fileURLToPath(new URL(config, import.meta.url))], {
        encoding: "utf8",
        stdio: "pipe",
      });
    } catch (e) {
      assert.fail(`tsc -p ${config} failed:\n${e.stdout}${e.stderr}`);
    }
  }
});
