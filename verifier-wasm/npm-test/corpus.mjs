// The WebAssembly verifier never traps, on the fuzz corpora and on seeded mutants of them.
//
// cargo-fuzz checks the native parsers (fuzz/); this runs the same inputs through the shipped
// single-threaded npm build, the way a page calls it: `new Verifier(key)`, `inspectBundle(bytes)`
// and `verifier.verify(bytes)`. Bad input must come back as a thrown Error (key, inspect) or
// `valid: false` with a reason (verify) — never a WebAssembly.RuntimeError (a Rust panic or an
// out-of-bounds access), which would also leave the module instance unusable. A mutant proof is
// never accepted.
//
// Inputs: every file in fuzz/corpus/{bundle,verifier_key,verify}/ and fuzz/regressions/*/, plus
// MUTANTS_PER_SEED seeded mutants of each (byte flips, truncation, extension, byte runs).
// usage: node corpus.mjs   (after scripts/build-wasm.sh and npm install in this directory)

import fs from "node:fs";
import path from "node:path";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { initSync, Verifier, inspectBundle } from "zkinfer-verifier";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "../..");
const MUTANTS_PER_SEED = Number(process.env.MUTANTS_PER_SEED || 400);

initSync({ module: fs.readFileSync(new URL(import.meta.resolve("zkinfer-verifier/single/zkinfer_verifier_bg.wasm"))) });

// The real key and proof, to run mutated bundles through a full verification.
const fixtures = path.join(root, "verifier-wasm/tests/fixtures");
const realKey = fs.readFileSync(path.join(fixtures, "verifier-key"));
const realProof = fs.readFileSync(path.join(fixtures, "digit_7.proof"));
const verifier = new Verifier(realKey);
assert.equal(verifier.verify(realProof).valid, true, "the fixture proof verifies");

function files(dir) {
  if (!fs.existsSync(dir)) return [];
  // Sorted: directory order differs between file systems, and the mutants depend on the order.
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .flatMap((e) =>
    e.isDirectory() ? files(path.join(dir, e.name)) : [path.join(dir, e.name)],
  );
}

// xorshift32: the same mutants on every run.
function rng(seed) {
  let x = seed >>> 0 || 1;
  return (n) => {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    return x % n;
  };
}

function mutate(bytes, r) {
  const b = Uint8Array.from(bytes);
  switch (r(5)) {
    case 0: { // flip a few bits
      for (let i = 0, n = 1 + r(4); i < n && b.length; i++) b[r(b.length)] ^= 1 << r(8);
      return b;
    }
    case 1: // truncate
      return b.slice(0, r(b.length + 1));
    case 2: { // extend with random bytes
      const extra = Uint8Array.from({ length: 1 + r(64) }, () => r(256));
      return Uint8Array.from([...b, ...extra]);
    }
    case 3: { // overwrite a run with one byte value (0x00 / 0xff runs hit length fields)
      if (!b.length) return b;
      const at = r(b.length), len = 1 + r(32), v = [0, 0xff, r(256)][r(3)];
      b.fill(v, at, Math.min(b.length, at + len));
      return b;
    }
    default: { // set one 32-byte-aligned word to all ones (out-of-field coordinates, scalars)
      if (b.length < 32) return b;
      const at = r(Math.floor(b.length / 32)) * 32;
      b.fill(0xff, at, at + 32);
      return b;
    }
  }
}

const isTrap = (e) => e instanceof WebAssembly.RuntimeError;
const stats = { key: 0, inspect: 0, verify: 0, accepted: 0 };

/** The parsed key, or null when it is (rightly) refused. The caller frees it. */
function tryKey(bytes, what) {
  stats.key++;
  try {
    return new Verifier(bytes);
  } catch (e) {
    assert.ok(!isTrap(e), `${what}: new Verifier trapped: ${e}`);
    assert.ok(e instanceof Error && e.message, `${what}: threw without a message`);
    return null;
  }
}

const equal = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);

// `original`: the unmutated seed this input came from, with whether it verified. A mutant that
// happens to equal its seed (a no-op mutation) must get the seed's answer; any other must fail.
function tryBundle(bytes, what, original, key = verifier) {
  stats.inspect++;
  try {
    inspectBundle(bytes);
  } catch (e) {
    assert.ok(!isTrap(e), `${what}: inspectBundle trapped: ${e}`);
  }
  stats.verify++;
  let result;
  try {
    result = key.verify(bytes);
  } catch (e) {
    assert.fail(`${what}: verify threw (${isTrap(e) ? "trap" : "error"}): ${e}`);
  }
  if (result.valid) stats.accepted++;
  if (original && !equal(bytes, original.bytes)) {
    assert.equal(result.valid, false, `${what}: accepted a mutant`);
  } else if (equal(bytes, realProof)) {
    assert.equal(result.valid, true, `${what}: rejected the real proof`);
  }
  if (!result.valid) assert.ok(result.reason, `${what}: rejected without a reason`);
  return result.valid;
}

// A `verify` seed is u16le(n) ‖ key (n bytes) ‖ bundle, as in fuzz/fuzz_targets/verify.rs.
function tryVerifySeed(bytes, what, original) {
  if (bytes.length < 2) return false;
  const n = bytes[0] | (bytes[1] << 8);
  if (n > bytes.length - 2) return false;
  const key = tryKey(bytes.subarray(2, 2 + n), `${what} (key part)`);
  if (!key) return false;
  // As the fuzz target does: the bundle part against the key part. Only an unchanged input may
  // verify (a changed key part changes the model id the bundle must name).
  const seed = original && { bytes: original.bytes.subarray(2 + n), valid: original.valid };
  const sameKey = original && equal(bytes.subarray(0, 2 + n), original.bytes.subarray(0, 2 + n));
  // No expectation for the seed itself; a mutant with a changed key part must not verify.
  const expect = !original ? undefined : sameKey ? seed : { bytes: new Uint8Array(0), valid: false };
  const valid = tryBundle(bytes.subarray(2 + n), `${what} (bundle part)`, expect, key);
  key.free();
  return valid;
}

const kinds = [
  ["verifier_key", (bytes, what) => tryKey(bytes, what)?.free()],
  ["bundle", tryBundle],
  ["verify", tryVerifySeed],
];
let seeds = 0;
const t0 = Date.now();
for (const [kind, run] of kinds) {
  const inputs = [
    ...files(path.join(root, "fuzz/corpus", kind)),
    ...files(path.join(root, "fuzz/regressions", kind)),
  ];
  for (const file of inputs) {
    seeds++;
    const bytes = fs.readFileSync(file);
    const name = path.relative(root, file);
    const seed = Uint8Array.from(bytes);
    const original = { bytes: seed, valid: run(seed, name) };
    // The real-file seeds must verify, or "no mutant accepted" would say nothing.
    if (kind !== "verifier_key" && !file.includes("regressions")) {
      assert.equal(original.valid, true, `${name}: the seed itself does not verify`);
    }
    const r = rng(bytes.length * 2654435761 + seeds);
    for (let i = 0; i < MUTANTS_PER_SEED; i++) {
      run(mutate(bytes, r), `${name} mutant ${i}`, kind === "verifier_key" ? undefined : original);
    }
  }
}
// The module is still healthy after all of that.
assert.equal(verifier.verify(realProof).valid, true, "the fixture proof still verifies");
console.log(
  `wasm corpus: ${seeds} seeds x ${MUTANTS_PER_SEED} mutants: ${stats.key} key parses, ` +
    `${stats.inspect} bundle inspections, ${stats.verify} verifications, 0 traps, ` +
    `${stats.accepted} accepted (each an unchanged valid seed, or a no-op mutation of one) in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
);
