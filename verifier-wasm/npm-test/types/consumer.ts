// Consumer code type-checked against the zkinfer-verifier package by smoke.mjs (tsc --noEmit).
// The @ts-expect-error lines must fail to type-check: if the declarations degraded to `any`,
// tsc would report those directives as unused and the test would fail.
import init, { Verifier, inspectBundle, type KeyHeader, type VerifyResult } from "zkinfer-verifier";
import initThreaded, { initThreadPool, Verifier as ThreadedVerifier } from "zkinfer-verifier/threaded";

const PINNED_MODEL_ID = "c66d249c1d32341b428df62e2076e81f093c65df44d8feb645563cd5341e212c";

export async function verifySingle(key: Uint8Array, bundle: Uint8Array): Promise<string> {
  await init();
  const verifier = new Verifier(key);
  if (verifier.modelId !== PINNED_MODEL_ID) throw new Error(`not the pinned model: ${verifier.modelId}`);
  const header: KeyHeader = verifier.header();
  const result: VerifyResult = verifier.verify(bundle);
  const predicted: number | null = result.predictedClass;
  const claimedId: string = inspectBundle(bundle).modelId;
  // @ts-expect-error verify takes the bundle's bytes, not a string
  verifier.verify("not bytes");
  // @ts-expect-error VerifyResult has no field `ok`
  void result.ok;
  // @ts-expect-error reason is string | null, not string
  const reason: string = result.reason;
  void reason;
  return result.valid
    ? `${claimedId}: class ${predicted} (${header.labels?.[predicted ?? 0] ?? "no labels"})`
    : `INVALID: ${result.reason}`;
}

export async function verifyThreaded(key: Uint8Array, bundle: Uint8Array): Promise<boolean> {
  await initThreaded();
  await initThreadPool(navigator.hardwareConcurrency);
  const verifier = new ThreadedVerifier(key);
  return verifier.verify(bundle).valid;
}

export async function singleHasNoThreadPool(): Promise<void> {
  const single = await import("zkinfer-verifier");
  // @ts-expect-error the single-threaded build has no initThreadPool
  await single.initThreadPool(2);
}
