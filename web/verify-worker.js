// Verifies proof bundles off the main thread with the WebAssembly verifier, so the page stays
// responsive while halo2 checks a proof.
//
// Threaded build (wasm-bindgen-rayon) when the page is cross-origin isolated, the build is there
// and the machine has at least THREADED_MIN_CORES cores; otherwise, or if anything about it
// fails, the single-threaded build. On 2 cores the thread pool loses: the pool's workers compete
// with the page, and a verifier's multi-scalar multiplications are small (MobileNet's 5-segment
// chain: 52 ms single-threaded, 62 ms threaded in Chromium, BENCHMARKS.md). `?threads=on|off`
// on the worker's URL (the page passes its own) forces the choice.
//
// Messages: {id, op: "init"} -> {mode, threads, note}
//           {id, op: "key", pinned} -> {modelId, header, parseMs, cached}
//           {id, op: "verify", pinned, bundle: ArrayBuffer, input: number[]}
//             -> verify result + {verifyMs, ..., expectedInputHash}
// Replies are {id, ok: true, result} or {id, ok: false, error, invalid}; `invalid` marks a
// refusal on trust grounds (the server's key or bundle is for another model), as opposed to a
// failure to verify at all (network, missing build).

import { errorText } from "./http.js";

// The proving API (the page passes its `?api=`, already checked there); default: this origin.
const API_BASE = new URL(self.location.href).searchParams.get("api") ?? "";

// The thread pool waits for every helper worker to start; if one never does, fall back rather
// than leave the page without a verifier.
const THREAD_POOL_TIMEOUT_MS = 15_000;
const THREADED_MIN_CORES = 4;

// Whether to try the threaded build, or why not (a string).
function threadsWanted() {
  const forced = new URL(self.location.href).searchParams.get("threads");
  if (forced === "on") return true;
  if (forced === "off") return "single-threaded as asked (threads=off)";
  const cores = navigator.hardwareConcurrency || 1;
  return cores >= THREADED_MIN_CORES || `single-threaded: faster than a thread pool on ${cores} cores`;
}

async function loadWasm() {
  let note = null;
  const wanted = threadsWanted();
  if (wanted !== true) {
    note = wanted;
  } else if (self.crossOriginIsolated && typeof SharedArrayBuffer === "function") {
    try {
      const m = await import("./pkg/threaded/zkinfer_verifier.js");
      await m.default();
      const threads = Math.max(1, navigator.hardwareConcurrency || 1);
      await Promise.race([
        m.initThreadPool(threads),
        new Promise((_, reject) =>
          setTimeout(() => reject(new Error("the thread pool did not start")), THREAD_POOL_TIMEOUT_MS),
        ),
      ]);
      return { m, info: { mode: "threaded", threads, note } };
    } catch (e) {
      note = `threaded build unavailable: ${e && e.message ? e.message : e}`;
    }
  } else {
    note = "the page is not cross-origin isolated";
  }
  const m = await import("./pkg/single/zkinfer_verifier.js");
  await m.default();
  return { m, info: { mode: "single", threads: 1, note } };
}

const wasm = loadWasm();
// WebAssembly is compiled lazily, optimized only once code has run enough: without this the first
// proof would be checked by baseline code at about 2x the time. Running the verifier's arithmetic
// once on made-up data, seconds before any proof can arrive, lets the engine optimize it first.
wasm.then(({ m }) => setTimeout(() => m.warmUp(), 0)).catch(() => {});
// One Verifier per pinned model id, reused for every proof: the key is fetched, hashed and
// checked once.
const verifiers = new Map();

class Refusal extends Error {}

async function loadVerifier(pinned) {
  const { m } = await wasm;
  const res = await fetch(`${API_BASE}/api/models/${pinned}/verifier-key`, { cache: "no-store" });
  if (!res.ok) {
    throw new Error(`cannot get the verifier key of model ${pinned}: ${await errorText(res)}`);
  }
  const bytes = new Uint8Array(await res.arrayBuffer());
  const t0 = performance.now();
  let verifier;
  try {
    verifier = new m.Verifier(bytes);
  } catch (e) {
    throw new Refusal(`the server's verifier key is malformed: ${e.message}`);
  }
  const parseMs = performance.now() - t0;
  // The model id is the key file's SHA-256, computed here: the server cannot choose it.
  if (verifier.modelId !== pinned) {
    const served = verifier.modelId;
    verifier.free();
    throw new Refusal(`the server's verifier key is for model ${served}, you trust ${pinned}`);
  }
  // The key's whole verification once on a made-up proof, while the real proof is being made
  // (seconds): the first real verification then runs optimized code. Queued behind this reply.
  setTimeout(() => {
    try {
      verifier.rehearse();
    } catch (_) {
      // Only a warm-up: a failure here changes nothing about any verification.
    }
  }, 0);
  return { verifier, header: verifier.header(), parseMs, keyBytes: bytes.length };
}

async function verifierFor(pinned) {
  if (!/^[0-9a-f]{64}$/.test(pinned)) throw new Error(`not a model id: ${pinned}`);
  let entry = verifiers.get(pinned);
  let cached = true;
  if (!entry) {
    cached = false;
    entry = loadVerifier(pinned);
    verifiers.set(pinned, entry);
    // Never keep a failure: the next proof tries again (and is refused again if the server
    // still serves the wrong key).
    entry.catch(() => verifiers.delete(pinned));
  }
  return { ...(await entry), cached };
}

async function verify(pinned, buffer, input, inputSalt) {
  const { m } = await wasm;
  const bytes = new Uint8Array(buffer);
  const t0 = performance.now();
  const { verifier, header, parseMs, cached } = await verifierFor(pinned);
  let claimed;
  try {
    claimed = m.inspectBundle(bytes);
  } catch (e) {
    throw new Refusal(`the proof bundle is malformed: ${e.message}`);
  }
  if (claimed.modelId !== pinned) {
    throw new Refusal(`proof is for model ${claimed.modelId}, you trust ${pinned}`);
  }
  const t1 = performance.now();
  const result = verifier.verify(bytes);
  const verifyMs = performance.now() - t1;
  // A hashed input: the hash of what the page sent, quantized exactly as the prover does, with
  // the salt the page sent and kept when the trusted key salts it.
  let expectedInputHash = null;
  const salted = header.visibility.input === "salted";
  if (header.visibility.input === "hashed" || salted) {
    if (salted && !inputSalt) {
      throw new Refusal("the model salts its input hash, but no salt was sent with the input");
    }
    try {
      expectedInputHash = verifier.inputHash(Float32Array.from(input), salted ? inputSalt : undefined);
    } catch (e) {
      throw new Refusal(`the input sent does not fit the model: ${e.message}`);
    }
  }
  return {
    ...result,
    expectedInputHash,
    visibility: header.visibility,
    verifyMs,
    totalMs: performance.now() - t0,
    keyParseMs: cached ? null : parseMs,
    inputFracBits: header.input.fracBits,
    labels: header.labels,
    proofBytes: claimed.proofBytes,
    segments: claimed.segments,
  };
}

async function handle(msg) {
  switch (msg.op) {
    case "init":
      return (await wasm).info;
    case "key": {
      const { header, parseMs, cached, keyBytes } = await verifierFor(msg.pinned);
      return { modelId: header.modelId, header, parseMs, cached, keyBytes };
    }
    case "verify":
      return verify(msg.pinned, msg.bundle, msg.input, msg.inputSalt);
    default:
      throw new Error(`unknown request ${msg.op}`);
  }
}

self.onmessage = async (e) => {
  const msg = e.data;
  try {
    self.postMessage({ id: msg.id, ok: true, result: await handle(msg) });
  } catch (err) {
    self.postMessage({
      id: msg.id,
      ok: false,
      invalid: err instanceof Refusal,
      error: err && err.message ? err.message : String(err),
    });
  }
};
