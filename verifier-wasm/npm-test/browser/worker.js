// One build of the package in a module Worker: initialise it (and, for the threaded build, its
// thread pool), then time and check key loading and verification of the fixtures. Posts
// { ok: true, report } or { ok: false, stage, error } back to page.js.
const build = new URL(self.location.href).searchParams.get("build");
const REPEATS = 7;
let stage = "start";

async function bytes(name) {
  const res = await fetch(`/fixtures/${name}`);
  if (!res.ok) throw new Error(`GET /fixtures/${name}: HTTP ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

const hex = (buf) => [...new Uint8Array(buf)].map((b) => b.toString(16).padStart(2, "0")).join("");
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const time = (f) => {
  const t0 = performance.now();
  const value = f();
  return [value, performance.now() - t0];
};

async function run() {
  const report = { build, crossOriginIsolated: self.crossOriginIsolated, threads: 1, poolMs: null };
  stage = "import";
  const m = await import(`/pkg/${build}/zkinfer_verifier.js`);
  stage = "init";
  let t0 = performance.now();
  const exports = await m.default();
  report.initMs = performance.now() - t0;
  stage = "after init";
  // SharedArrayBuffer is not even defined unless the context is cross-origin isolated.
  report.sharedMemory =
    typeof SharedArrayBuffer === "function" && exports.memory.buffer instanceof SharedArrayBuffer;
  if (build === "threaded") {
    stage = "initThreadPool";
    report.threads = Math.min(Math.max(navigator.hardwareConcurrency || 2, 2), 8);
    t0 = performance.now();
    await m.initThreadPool(report.threads);
    report.poolMs = performance.now() - t0;
  }
  report.exportsInitThreadPool = typeof m.initThreadPool === "function";

  stage = "fixtures";
  const [key, proof, otherKey] = await Promise.all(
    ["verifier-key", "digit_7.proof", "other-verifier-key"].map(bytes),
  );
  // The pin a consumer holds: SHA-256 of the key file, computed independently of the module.
  report.pinnedModelId = hex(await crypto.subtle.digest("SHA-256", key));

  stage = "verify";
  const [verifier, keyFirstMs] = time(() => new m.Verifier(key));
  const [first, verifyFirstMs] = time(() => verifier.verify(proof));
  const keyMs = [];
  const verifyMs = [];
  const again = [];
  for (let i = 0; i < REPEATS; i++) {
    const [v2, k] = time(() => new m.Verifier(key));
    keyMs.push(k);
    v2.free();
    const [r, v] = time(() => verifier.verify(proof));
    verifyMs.push(v);
    again.push(r.valid);
  }
  Object.assign(report, {
    modelId: verifier.modelId,
    valid: first.valid,
    reason: first.reason,
    predictedClass: first.predictedClass,
    repeatsValid: again.every(Boolean),
    keyFirstMs,
    keyMedianMs: median(keyMs),
    verifyFirstMs,
    verifyMedianMs: median(verifyMs),
    verifyMinMs: Math.min(...verifyMs),
    repeats: REPEATS,
  });

  stage = "tampered";
  const { proofBytes } = m.inspectBundle(proof);
  const tampered = proof.slice();
  tampered[tampered.length - Math.floor(proofBytes / 2)] ^= 0x01; // inside the SNARK (last section)
  const bad = verifier.verify(tampered);
  report.tampered = { valid: bad.valid, reason: bad.reason };

  stage = "other key";
  const other = new m.Verifier(otherKey);
  const wrong = other.verify(proof);
  report.otherKey = { valid: wrong.valid, reason: wrong.reason, modelId: other.modelId };
  report.validAfterRejections = verifier.verify(proof).valid;
  return report;
}

run().then(
  (report) => postMessage({ ok: true, report }),
  (e) => postMessage({ ok: false, stage, error: String(e && e.stack ? e.stack : e) }),
);
