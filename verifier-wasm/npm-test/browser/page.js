// Runs the package's builds the way a page would and leaves a report in window.__results for
// ../browser.mjs: the single-threaded build on the main thread (the README's five lines), then
// each build in a module Worker (worker.js), where a page should verify.
function runWorker(build) {
  return new Promise((resolve) => {
    const worker = new Worker(`/worker.js?build=${build}`, { type: "module" });
    const timer = setTimeout(() => resolve({ ok: false, error: `${build} worker timed out` }), 90_000);
    worker.onmessage = ({ data }) => {
      clearTimeout(timer);
      worker.terminate();
      resolve(data);
    };
    worker.onerror = (e) => {
      clearTimeout(timer);
      resolve({ ok: false, error: `${build} worker failed to load: ${e.message}` });
    };
  });
}

async function bytes(name) {
  const res = await fetch(`/fixtures/${name}`);
  if (!res.ok) throw new Error(`GET /fixtures/${name}: HTTP ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

async function mainThread() {
  try {
    // What a consumer writes (package README), with the package served as plain files.
    const { default: init, Verifier } = await import("/pkg/single/zkinfer_verifier.js");
    await init();
    const verifier = new Verifier(await bytes("verifier-key"));
    const result = verifier.verify(await bytes("digit_7.proof"));
    return { ok: true, modelId: verifier.modelId, valid: result.valid, predictedClass: result.predictedClass, reason: result.reason };
  } catch (e) {
    return { ok: false, error: String(e && e.stack ? e.stack : e) };
  }
}

const results = { crossOriginIsolated: self.crossOriginIsolated };
results.main = await mainThread();
results.single = await runWorker("single");
results.threaded = await runWorker("threaded");
window.__results = results;
