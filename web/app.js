// The consumer's page: pin a model, draw or upload a digit, get the server's prediction at once,
// then fetch its proof and verify it here (in a Worker, with WebAssembly). The page trusts only
// the pinned model id; everything the server says is checked or shown as the server's claim.
// Server-provided strings are only ever set as textContent.

import { errorText } from "./http.js";
import {
  centralCrop,
  inkFromRgba,
  paint,
  quantize,
  resizeRgb,
  rgbFromRgba,
  rgbToFloats,
  toFloats,
  toModelInput,
} from "./input.js";
import { tokenizerFromKey, window as promptWindow } from "./text.js";

const $ = (id) => document.getElementById(id);
const HEX64 = /^[0-9a-f]{64}$/;
const PIN_KEY = "zkinfer.pinnedModel";
const POLL_MS = 400;
// Uploaded pictures larger than this are shrunk first, to bound the pixel work.
const MAX_UPLOAD_SIDE = 2048;

/**
 * The proving API this page talks to: `?api=` (a consumer hosting its own copy of this page
 * against someone else's server, which must allow the page's origin: `zkinfer serve
 * --allow-origin`), else the server that served the page. `{ base }`, or `{ error }` for an
 * address that is not an http(s) URL: refused, never replaced by this origin.
 */
function apiBaseFrom(search) {
  const raw = new URLSearchParams(search).get("api");
  if (raw === null) return { base: "" };
  let url = null;
  try {
    url = new URL(raw);
  } catch {
    // reported below
  }
  if (!url || !["http:", "https:"].includes(url.protocol) || url.search || url.hash || url.username || url.password) {
    return { error: `the page address's ?api=${raw} is not a server address such as https://prover.example` };
  }
  return { base: url.origin + url.pathname.replace(/\/+$/, "") };
}
const API = apiBaseFrom(location.search);

// ---------------------------------------------------------------------------------------------
// Verifier worker
// ---------------------------------------------------------------------------------------------

// `?threads=on|off` in the page's URL overrides the worker's choice of build (see there); the
// worker fetches verifier keys from the same API as the page.
const workerUrl = new URL("./verify-worker.js", import.meta.url);
const threadsChoice = new URLSearchParams(location.search).get("threads");
if (threadsChoice === "on" || threadsChoice === "off") workerUrl.searchParams.set("threads", threadsChoice);
if (API.base) workerUrl.searchParams.set("api", API.base);
const worker = new Worker(workerUrl, { type: "module" });
const calls = new Map();
let nextCall = 1;
let workerBroken = null;

worker.onmessage = (e) => {
  const c = calls.get(e.data.id);
  if (!c) return;
  calls.delete(e.data.id);
  if (e.data.ok) c.resolve(e.data.result);
  else c.reject(Object.assign(new Error(e.data.error), { invalid: e.data.invalid }));
};
worker.onerror = (e) => {
  workerBroken = new Error(`the verifier worker failed (${e.message || "it could not be loaded"})`);
  for (const c of calls.values()) c.reject(workerBroken);
  calls.clear();
  setText($("verifier-mode"), `unavailable: ${workerBroken.message}`, "invalid");
};

function call(msg, transfer = []) {
  if (workerBroken) return Promise.reject(workerBroken);
  return new Promise((resolve, reject) => {
    const id = nextCall++;
    calls.set(id, { resolve, reject });
    worker.postMessage({ ...msg, id }, transfer);
  });
}

// ---------------------------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------------------------

const state = {
  pin: null, // the trusted model id
  commitment: null, // the trusted model commitment (models with hidden weights)
  card: null, // the server's model card for it (untrusted; used for shape and display)
  dims: null, // { rows, cols, channels }: 1 (a grayscale drawing) or 3 (an RGB photo)
  pixels: null, // the current input: Uint8Array rows*cols (grayscale) or rows*cols*3 (RGB, HWC)
  textModel: false, // the pinned model reads a prompt (its key's or, until the key is in, its card's word)
  tokenizer: null, // a text model's tokenizer, from its pinned verifier key only, else null
  tokens: null, // the prompt's token ids, a text model's current input
  keyRefused: false, // the pinned model cannot be checked here (the served key is not its key, or
  // its proofs hide the input): nothing is sent
  run: 0, // bumped per submission; older submissions stop updating the page
};

function setText(el, text, stateName) {
  el.textContent = text;
  if (stateName !== undefined) el.dataset.state = stateName;
}

function short(id) {
  return id && id.length > 16 ? `${id.slice(0, 8)}…${id.slice(-8)}` : id;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function storage(fn) {
  try {
    return fn(window.localStorage);
  } catch {
    return null; // storage disabled: pins just are not remembered
  }
}

// ---------------------------------------------------------------------------------------------
// Pinning
// ---------------------------------------------------------------------------------------------

let modelList = null;
async function serverModels() {
  if (!modelList) {
    modelList = (async () => {
      const res = await fetch(`${API.base}/api/models`, { cache: "no-store" });
      if (!res.ok) throw new Error(`cannot list the server's models: ${await errorText(res)}`);
      const j = await res.json();
      const models = Array.isArray(j.models) ? j.models.filter((m) => HEX64.test(m.id)) : [];
      const list = $("server-models");
      list.replaceChildren(
        ...models.map((m) => {
          const o = document.createElement("option");
          o.value = m.id;
          o.label = `${m.name} (offered by the server)`;
          return o;
        }),
      );
      return models;
    })();
    modelList.catch(() => (modelList = null));
  }
  return modelList;
}

/** Trust on first use: the server's first model, remembered for later visits. */
async function trustOnFirstUse() {
  const models = await serverModels();
  if (!models.length) throw new Error("the server serves no models");
  const id = models[0].id;
  const saved = storage((s) => (s.setItem(PIN_KEY, id), true));
  return {
    id,
    source: saved ? "trust on first use, saved in this browser" : "trust on first use (this browser cannot save it)",
    tofu: true,
  };
}

/** The pin: ?model= in the address, else the saved one, else trust on first use. */
async function resolvePin() {
  const param = new URL(location.href).searchParams.get("model");
  if (param !== null) {
    const id = param.trim().toLowerCase();
    if (!HEX64.test(id)) {
      throw new Error(`the address's ?model= value "${param}" is not a model id (64 hex digits)`);
    }
    return { id, source: "from the page address (?model=)" };
  }
  const saved = storage((s) => s.getItem(PIN_KEY));
  if (saved && HEX64.test(saved)) return { id: saved, source: "saved in this browser" };
  return trustOnFirstUse();
}

function setAddressPin(id) {
  const url = new URL(location.href);
  if (id === null) url.searchParams.delete("model");
  else if (url.searchParams.has("model")) url.searchParams.set("model", id);
  history.replaceState(null, "", url);
}

function showPinError(msg) {
  const el = $("pin-error");
  el.hidden = !msg;
  el.textContent = msg || "";
}

/** The commitment pinned for model `id`: ?commitment=, else the saved one, else the card's
 *  (trust on first use, saved). Null if the model's weights are not hidden. */
function resolveCommitment(id, card) {
  const el = $("pinned-commitment");
  const key = `${PIN_KEY}:commitment:${id}`;
  const param = new URL(location.href).searchParams.get("commitment");
  let value = null;
  let source = "";
  if (param !== null) {
    // A pin that does not parse is an error, never a silent fall back to trust on first use.
    if (!/^0x[0-9a-f]{64}$/.test(param.trim().toLowerCase())) {
      setText(el, "none", "none");
      throw new Error(`the page address's ?commitment=${param} is not a model commitment (0x and 64 hex digits)`);
    }
    value = param.trim().toLowerCase();
    source = "from the page address (?commitment=)";
  } else if (storage((s) => s.getItem(key))) {
    value = storage((s) => s.getItem(key));
    source = "saved in this browser";
  } else if (typeof card.model_commitment === "string") {
    value = card.model_commitment.toLowerCase();
    const saved = storage((s) => (s.setItem(key, value), true));
    source = saved ? "trust on first use, saved in this browser" : "trust on first use (not saved)";
  }
  setText(el, value ?? "none: the weights are fixed in the verifier key", value ? "pinned" : "none");
  $("commitment-source").textContent = source;
  return value;
}

/** The drawing pad for an image model, the prompt box for a text model (none known: the pad). */
function showInputFor(card) {
  $("text-input").hidden = !state.textModel;
  $("input").hidden = state.textModel;
  $("prompt-window").textContent = "";
  $("prompt-note").textContent = "";
  // A model that takes an RGB image gets a photo, uploaded; the pad draws grayscale digits.
  const rgb = isRgbShape(card?.input?.shape);
  $("input-h").textContent = rgb ? "Upload a photo" : "Draw or upload a digit";
  $("pad").hidden = rgb;
  $("clear").hidden = rgb;
}

/** One RGB image, channels first: [1, 3, H, W]. */
function isRgbShape(shape) {
  return Array.isArray(shape) && shape.length === 4 && shape[0] === 1 && shape[1] === 3;
}

/** The pinned model's verifier key header, once the key is in and matches the pin; else null. */
function pinnedKeyHeader() {
  return state.keyHeader && state.keyHeader.id === state.pin ? state.keyHeader.header : null;
}

/**
 * How a photo becomes the pinned model's input, from its verifier key (the server's card is only
 * a claim), or throws saying why there is none yet.
 */
function trustedImagePreprocessing() {
  const key = pinnedKeyHeader();
  if (!key) throw new Error("the model's verifier key is not checked yet (it says how to prepare a photo); try again in a moment");
  if (!key.image) {
    throw new Error(
      "the model you trust takes an RGB image but its verifier key names no image preprocessing " +
        "(it was compiled without --image-preprocess), so this page cannot know what its pixels mean",
    );
  }
  return key.image;
}

async function applyPin({ id, source, tofu = false }) {
  state.run++; // a pending proof was for the old pin
  state.pin = id;
  state.commitment = null;
  state.card = null;
  state.dims = null;
  state.textModel = false;
  state.tokenizer = null;
  state.tokens = null;
  state.keyRefused = false;
  showInputFor(null);
  setText($("pinned-id"), id, "pinned");
  $("pin-source").textContent = source;
  $("pin-input").value = id;
  $("tofu-note").hidden = !tofu;
  $("srs-note").hidden = true;
  showPinError(null);
  resetResult();
  updateSend();

  // The key is fetched and parsed in the worker now, so the first proof verifies sooner.
  setText($("key-status"), "loading…", "loading");
  call({ op: "key", pinned: id }).then(
    (k) => {
      if (state.pin !== id) return;
      const h = k.header;
      state.keyHeader = { id, header: h };
      renderModelInfo(id);
      if (h.text || state.textModel) {
        // A prompt is spelled with the key's tokenizer only, so it can be tokenized now.
        state.textModel = true;
        if (state.card) showInputFor(state.card);
        updatePrompt();
      }
      if (h.visibility.input === "hidden") {
        // Such a proof shows the output of *some* input: it cannot be tied to yours.
        state.keyRefused = true;
        showPinError(
          "This model hides its input from its proofs, so no proof can show that an answer is for the input you sent; " +
            "this page checks only models whose proofs carry the input or its hash. Nothing is sent.",
        );
        updateSend();
      }
      setText(
        $("key-status"),
        `SHA-256 matches the pin; parsed in ${k.parseMs.toFixed(1)} ms (${k.keyBytes} bytes, k=${h.k})`,
        "ok",
      );
      // The setup is recognized by the key's KZG points (the verifier's digest of them), never
      // by the label its maker wrote: a development key labelled "ceremony" is still flagged.
      if (h.developmentSetup) {
        const note = $("srs-note");
        note.textContent =
          `INSECURE: this model's key is under the development setup (setup ${short(h.setupDigest)}), ` +
          "whose secret is public: anyone can forge its proofs, so a verified proof proves nothing. Fine for a demo only.";
        note.hidden = false;
      }
    },
    (e) => {
      if (state.pin !== id) return;
      setText($("key-status"), e.invalid ? `INVALID: ${e.message}` : e.message, e.invalid ? "invalid" : "error");
      if (e.invalid) {
        // A server whose key is not the pinned model's is caught already: no proof it makes
        // could be checked against the model you trust, so no input of yours is sent to it.
        state.keyRefused = true;
        showPinError(`This server is not serving the model you trust (its verifier key: ${e.message}); nothing is sent to it.`);
        updateSend();
      }
    },
  );

  try {
    const res = await fetch(`${API.base}/api/models/${id}`, { cache: "no-store" });
    if (res.status === 404) {
      throw new Error(`the server does not serve the model you trust (${id})`);
    }
    if (!res.ok) throw new Error(`cannot get the model card: ${await errorText(res)}`);
    const card = await res.json();
    if (state.pin !== id) return;
    const shape = card.input && Array.isArray(card.input.shape) ? card.input.shape : [];
    // A text model: its card says so, or the pinned key (which may be in already) binds a
    // tokenizer. The card's tokenizer itself is never used: a prompt is spelled as the key says.
    state.textModel = !!card.tokenizer || !!pinnedKeyHeader()?.text;
    showInputFor(card);
    if (state.textModel) {
      state.card = card;
      state.commitment = resolveCommitment(id, card);
      renderModelInfo(id);
      updatePrompt();
      return;
    }
    const rows = shape[shape.length - 2];
    const cols = shape[shape.length - 1];
    const size = shape.reduce((a, b) => a * b, 1);
    const channels = isRgbShape(shape) ? 3 : 1;
    if (!(rows > 0 && cols > 0 && size === channels * rows * cols)) {
      throw new Error(
        `this page takes one grayscale image or one RGB image ([1, 3, H, W]); the model's input is [${shape.join(", ")}]`,
      );
    }
    state.card = card;
    state.dims = { rows, cols, channels };
    state.commitment = resolveCommitment(id, card);
    renderModelInfo(id);
    const preview = $("preview");
    if (preview.width !== cols || preview.height !== rows || preview.dataset.channels !== String(channels)) {
      // Another input size or kind: the current input no longer fits; redo it from the pad.
      preview.width = cols;
      preview.height = rows;
      preview.dataset.channels = String(channels);
      state.pixels = null;
      if (channels === 1) updateFromPad();
      else $("input-note").textContent = "";
    }
  } catch (e) {
    if (state.pin === id) {
      $("model-info").textContent = "—";
      state.card = null;
      state.textModel = false;
      state.tokenizer = null;
      state.tokens = null;
      showInputFor(null);
      showPinError(e.message);
    }
  }
  updateSend();
}

// ---------------------------------------------------------------------------------------------
// Input: drawing pad and uploads
// ---------------------------------------------------------------------------------------------

const pad = $("pad");
const padCtx = pad.getContext("2d", { willReadFrequently: true });
let stroke = null;
let padIsBlank = true;

function clearPad() {
  padCtx.fillStyle = "#000";
  padCtx.fillRect(0, 0, pad.width, pad.height);
  padIsBlank = true;
}

function padPoint(e) {
  const r = pad.getBoundingClientRect();
  return {
    x: ((e.clientX - r.left) * pad.width) / r.width,
    y: ((e.clientY - r.top) * pad.height) / r.height,
  };
}

function inkLine(a, b) {
  padCtx.strokeStyle = "#fff";
  padCtx.fillStyle = "#fff";
  // About 2 px at MNIST's 28x28 once a digit filling the pad is scaled to 20 px.
  padCtx.lineWidth = pad.width / 14;
  padCtx.lineCap = "round";
  padCtx.lineJoin = "round";
  padCtx.beginPath();
  padCtx.moveTo(a.x, a.y);
  padCtx.lineTo(b.x, b.y);
  padCtx.stroke();
  padIsBlank = false;
}

pad.addEventListener("pointerdown", (e) => {
  if (e.button !== 0) return;
  e.preventDefault();
  pad.setPointerCapture(e.pointerId);
  stroke = padPoint(e);
  inkLine(stroke, stroke);
});
pad.addEventListener("pointermove", (e) => {
  if (!stroke) return;
  const events = e.getCoalescedEvents ? e.getCoalescedEvents() : [e];
  for (const ev of events.length ? events : [e]) {
    const p = padPoint(ev);
    inkLine(stroke, p);
    stroke = p;
  }
});
const endStroke = () => {
  if (!stroke) return;
  stroke = null;
  $("input-note").textContent = "Drawn: cropped, scaled and centred like the MNIST digits.";
  updateFromPad();
};
pad.addEventListener("pointerup", endStroke);
pad.addEventListener("pointercancel", endStroke);

function updateFromPad() {
  if (!state.dims || state.dims.channels !== 1 || padIsBlank) {
    if (padIsBlank) setPixels(null);
    return;
  }
  const { data } = padCtx.getImageData(0, 0, pad.width, pad.height);
  // The pad is white on black by construction: never inverted, even if strokes cover its edges.
  const { ink } = inkFromRgba(data, pad.width, pad.height, false);
  setPixels(toModelInput(ink, pad.width, pad.height, state.dims.rows, state.dims.cols));
}

function setPixels(pixels) {
  state.pixels = pixels;
  const preview = $("preview");
  if (pixels) paint(preview, pixels, preview.width, preview.height);
  else preview.getContext("2d").clearRect(0, 0, preview.width, preview.height);
  updateSend();
}

$("clear").addEventListener("click", () => {
  clearPad();
  $("input-note").textContent = "";
  setPixels(null);
});

$("upload").addEventListener("change", async (e) => {
  const input = e.target;
  const file = input.files && input.files[0];
  input.value = ""; // choosing the same file again still fires "change"
  if (!file) return;
  const note = $("input-note");
  if (!state.dims) {
    note.textContent = "Pin a model the server serves first.";
    return;
  }
  try {
    // No colour management or premultiplication: the file's pixel values, as stored.
    const bitmap = await createImageBitmap(file, {
      colorSpaceConversion: "none",
      premultiplyAlpha: "none",
    });
    if (state.dims.channels === 3) {
      uploadPhoto(bitmap, file.name);
      return;
    }
    const { width: fileW, height: fileH } = bitmap;
    const { data, w, h } = rgbaOf(bitmap, { x: 0, y: 0, width: fileW, height: fileH });
    bitmap.close();
    const { ink, inverted } = inkFromRgba(data, w, h);
    const { rows, cols } = state.dims;
    const pixels = toModelInput(ink, w, h, rows, cols);
    if (!pixels) throw new Error("the image has no ink (it is one flat colour)");
    const exact = w === cols && h === rows;
    note.textContent = `Uploaded ${file.name} (${fileW}×${fileH}): ${
      exact ? "used pixel for pixel" : "cropped, scaled and centred like the MNIST digits"
    }${inverted ? ", colours inverted (light background)" : ""}.`;
    setPixels(pixels);
    // Show it on the pad too, enlarged without smoothing; drawing on it starts from this.
    clearPad();
    const tmp = document.createElement("canvas");
    tmp.width = cols;
    tmp.height = rows;
    paint(tmp, pixels, cols, rows);
    padCtx.imageSmoothingEnabled = false;
    padCtx.drawImage(tmp, 0, 0, pad.width, pad.height);
    padIsBlank = false;
  } catch (err) {
    note.textContent = `Cannot use this file: ${err.message}`;
  }
});

/**
 * The RGBA bytes of `region` of a decoded image, as stored (no smoothing when the region fits);
 * a region over MAX_UPLOAD_SIDE is first brought down to it by the browser.
 */
function rgbaOf(bitmap, region) {
  const f = Math.min(1, MAX_UPLOAD_SIDE / Math.max(region.width, region.height));
  const w = Math.max(1, Math.round(region.width * f));
  const h = Math.max(1, Math.round(region.height * f));
  const canvas = document.createElement("canvas");
  canvas.width = w;
  canvas.height = h;
  const ctx = canvas.getContext("2d", { willReadFrequently: true });
  ctx.drawImage(bitmap, region.x, region.y, region.width, region.height, 0, 0, w, h);
  return { data: ctx.getImageData(0, 0, w, h).data, w, h };
}

/**
 * An RGB model's input from a photo, as `zkinfer predict --image` makes it: the central crop the
 * pinned key names, resized to the model's size (pixel for pixel when the crop already has it).
 */
function uploadPhoto(bitmap, name) {
  const note = $("input-note");
  try {
    const image = trustedImagePreprocessing();
    const { width: fileW, height: fileH } = bitmap;
    const crop = centralCrop(fileW, fileH, image.centralFraction);
    const { data, w, h } = rgbaOf(bitmap, crop);
    const { rows, cols } = state.dims;
    const pixels = resizeRgb(rgbFromRgba(data, w, h), w, h, cols, rows);
    const exact = w === cols && h === rows;
    const pct = +(100 * image.centralFraction).toFixed(1);
    note.textContent = `Uploaded ${name} (${fileW}×${fileH}): central ${pct}% crop (${crop.width}×${crop.height}), ${
      exact ? "used pixel for pixel" : `resized to ${cols}×${rows}`
    }, mapped as the model's verifier key says (pixel × ${+image.scale.toPrecision(7)} + ${+image.offset.toPrecision(7)}).`;
    setPixels(pixels);
  } catch (err) {
    note.textContent = `Cannot use this file: ${err.message}`;
    setPixels(null);
  } finally {
    bitmap.close();
  }
}

// ---------------------------------------------------------------------------------------------
// Predict, prove, verify
// ---------------------------------------------------------------------------------------------

function updateSend() {
  const ready = state.card && state.pin && !state.keyRefused;
  $("send").disabled = !(state.pixels && ready);
  $("send-text").disabled = !(state.tokens && ready);
}

// ---------------------------------------------------------------------------------------------
// Input: a text prompt
// ---------------------------------------------------------------------------------------------

/**
 * The pinned model's tokenizer, from its verifier key (the server's card is only a claim), or
 * throws saying why there is none yet.
 */
function trustedTokenizer() {
  const key = pinnedKeyHeader();
  if (!key) throw new Error("the model's verifier key is not checked yet (it says how to spell a prompt); a moment");
  return tokenizerFromKey(key);
}

function updatePrompt() {
  const note = $("prompt-note");
  state.tokens = null;
  state.tokenizer = null;
  if (state.textModel) {
    try {
      state.tokenizer = trustedTokenizer();
      state.tokens = promptWindow(state.tokenizer, $("prompt").value);
      $("prompt-window").textContent = JSON.stringify(state.tokens.map((id) => state.tokenizer.vocabulary[id]).join(""));
      note.textContent = `${state.tokens.length} token ids: ${state.tokens.join(" ")}`;
    } catch (e) {
      $("prompt-window").textContent = "";
      note.textContent = pinnedKeyHeader()
        ? `Cannot use this prompt: ${e.message}`
        : "Waiting for the model's verifier key, which says how to spell a prompt…";
    }
  }
  updateSend();
}

$("prompt").addEventListener("input", updatePrompt);
$("prompt-form").addEventListener("submit", (e) => {
  e.preventDefault();
  send();
});

function label(cls, labels) {
  return Array.isArray(labels) && labels[cls] !== undefined ? String(labels[cls]) : String(cls);
}

/** How a label is shown: a text model's tokens in quotes, so that a space is visible. */
function shown(text) {
  return state.textModel ? JSON.stringify(text) : text;
}

function setVerdict(kind, text) {
  setText($("verdict"), text, kind);
}

function resetResult() {
  setText($("prediction"), "—");
  delete $("prediction").dataset.class;
  setText($("receipt"), "—");
  setText($("proof-status"), "—", "idle");
  setVerdict("idle", "Nothing checked yet.");
  $("verified-details").hidden = true;
}

class Superseded extends Error {}

async function pollProof(receipt, run) {
  const t0 = performance.now();
  let networkErrors = 0;
  for (;;) {
    if (run !== state.run) throw new Superseded();
    let res;
    try {
      res = await fetch(`${API.base}/api/proofs/${encodeURIComponent(receipt)}`, { cache: "no-store" });
      networkErrors = 0;
    } catch (e) {
      // A server restart or a blip: keep trying for a while.
      if (++networkErrors > 10) throw new Error(`the server is unreachable (${e.message})`);
      await sleep(1000);
      continue;
    }
    if (run !== state.run) throw new Superseded();
    if (res.status === 200) return res.arrayBuffer();
    if (res.status !== 202) throw new Error(`the server could not deliver the proof: ${await errorText(res)}`);
    const j = await res.json().catch(() => ({}));
    const secs = ((performance.now() - t0) / 1000).toFixed(0);
    setText(
      $("proof-status"),
      j.status === "queued" ? `queued, position ${j.position} (${secs} s)` : `being proven by the server (${secs} s)`,
      "pending",
    );
    await sleep(POLL_MS);
  }
}

/**
 * The model line. The name and k come from the verifier key once it is parsed and matches the
 * pin (the server's model card is only a claim); until then from the card, marked as such.
 */
function renderModelInfo(id) {
  const card = state.card;
  if (!card || state.pin !== id) return;
  const key = pinnedKeyHeader();
  const shape = card.input?.shape ?? [];
  const outputs = Array.isArray(card.labels)
    ? `${card.labels.length} labels`
    : `${card.output?.shape?.join("×")} outputs`;
  $("model-info").textContent = key
    ? `${key.modelName}: input ${shape.join("×")}, ${outputs}, ${
        key.segments > 1 ? `a chain of ${key.segments} circuits` : "circuit"
      } k=${key.k}, setup ${short(key.setupDigest)}${
        key.developmentSetup ? " (INSECURE development setup)" : ""
      }`
    : `${card.name} (as the server describes it): input ${shape.join("×")}, ${outputs}, circuit k=${card.k}`;
}

/** What is wrong with a valid proof given what the server said and what we sent, or null. */
function crossCheck(r, pred, floats, pin, commitment) {
  if (r.modelId !== pin) return `checked against model ${r.modelId}, you trust ${pin}`;
  // Hidden weights: the key fixes only the architecture; the commitment fixes the weights.
  if (r.visibility.weights === "hidden") {
    if (!commitment) return "the model's weights are hidden and no model commitment is pinned";
    if (r.modelCommitment !== commitment) {
      return `the proof was made with the model committed as ${short(r.modelCommitment)}, you trust ${short(commitment)}`;
    }
  }
  if (r.predictedClass !== pred.predicted_class) {
    return `the server predicted ${label(pred.predicted_class, r.labels)}, but the proof shows ${label(
      r.predictedClass,
      r.labels,
    )}`;
  }
  // The label shown next to the prediction must be the proven class's label too.
  const provenLabel = r.predictedLabel ?? String(r.predictedClass);
  if ((pred.predicted_label ?? String(pred.predicted_class)) !== provenLabel) {
    return `the server labelled its prediction "${pred.predicted_label}", but the proven class is "${provenLabel}"`;
  }
  const claimed = Array.isArray(pred.output) ? pred.output : [];
  const close = (v, c) => typeof c === "number" && Math.abs(v - c) <= 1e-9 * Math.max(1, Math.abs(v));
  if (claimed.length !== r.output.length || r.output.some((v, i) => !close(v, claimed[i]))) {
    return "the output the server returned is not the proven output";
  }
  if (r.visibility.input === "hashed" || r.visibility.input === "salted") {
    if (!r.expectedInputHash || r.inputHash !== r.expectedInputHash) {
      return "the proof is for another input than the one you sent (its input hash is not your input's)";
    }
    return null;
  }
  if (r.visibility.input === "hidden") {
    return "the model hides its input from its proofs, so this proof cannot show it was made for your input";
  }
  const f = r.inputFracBits;
  if (r.input.length !== floats.length || floats.some((x, i) => quantize(x, f) / 2 ** f !== r.input[i])) {
    return "the proof is for another input than the one you sent";
  }
  return null;
}

function showVerified(r) {
  const cls = shown(r.predictedLabel ?? String(r.predictedClass));
  setText($("verified-class"), cls);
  $("verified-class").dataset.class = String(r.predictedClass);
  setText($("checked-model"), r.modelId);
  // A model proven as a chain: one proof per segment, each link between them checked too.
  const proofs = $("checked-proofs");
  proofs.dataset.segments = String(r.segments);
  proofs.textContent = r.segments > 1
    ? `${r.segments} segment proofs and the ${r.segments - 1} link${r.segments > 2 ? "s" : ""} between them (${r.proofBytes} bytes)`
    : `one proof (${r.proofBytes} bytes)`;
  const t = $("verify-time");
  t.dataset.ms = r.verifyMs.toFixed(1);
  t.textContent = `${r.verifyMs.toFixed(1)} ms${
    r.keyParseMs !== null ? ` (and ${r.keyParseMs.toFixed(1)} ms to parse the key, once per model)` : ""
  }`;
  const lo = Math.min(...r.output), hi = Math.max(...r.output);
  const rows = r.output.map((v, i) => {
    const tr = document.createElement("tr");
    if (i === r.predictedClass) tr.className = "top";
    const name = document.createElement("th");
    name.scope = "row";
    name.textContent = shown(label(i, r.labels));
    const val = document.createElement("td");
    val.textContent = v.toFixed(3);
    const barCell = document.createElement("td");
    const bar = document.createElement("span");
    bar.className = "bar";
    bar.style.width = `${hi > lo ? Math.max(2, (100 * (v - lo)) / (hi - lo)) : 100}%`;
    barCell.append(bar);
    tr.append(name, val, barCell);
    return tr;
  });
  $("scores").tBodies[0].replaceChildren(...rows);
  $("verified-details").hidden = false;
}

/** A fresh input salt: 31 random bytes, so always below the BN254 scalar modulus. */
function newInputSalt() {
  const bytes = crypto.getRandomValues(new Uint8Array(31));
  return `0x00${Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("")}`;
}

async function send() {
  const input = state.textModel ? state.tokens : state.pixels;
  if (!(input && state.card && state.pin)) return;
  const run = ++state.run;
  const pin = state.pin;
  let floats;
  try {
    // A prompt is spelled again with the pinned key's tokenizer, as the key is now.
    floats = state.textModel
      ? promptWindow(trustedTokenizer(), $("prompt").value)
      : state.dims.channels === 3
        ? rgbToFloats(state.pixels, state.dims.rows, state.dims.cols, trustedImagePreprocessing())
        : toFloats(state.pixels);
  } catch (e) {
    resetResult();
    setVerdict("error", `Nothing sent: ${e.message}`);
    return;
  }
  resetResult();
  setVerdict("pending", "Waiting for the server's prediction…");

  // A salted input hash: the page draws the salt, sends it with the input and keeps it, so that
  // no one else holding the proof or the receipt can test a guessed drawing against the hash.
  // Whether the input is salted is the pinned key's word (the card's only until the key is in).
  const trusted = pinnedKeyHeader();
  const inputVisibility = (trusted ?? state.card).visibility?.input;
  const ownSalt = inputVisibility === "salted" ? newInputSalt() : null;
  let pred;
  try {
    const res = await fetch(`${API.base}/api/models/${pin}/predict`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(ownSalt ? { input_data: [floats], input_salt: ownSalt } : { input_data: [floats] }),
    });
    if (!res.ok) throw new Error(await errorText(res));
    pred = await res.json();
  } catch (e) {
    if (run === state.run) setVerdict("error", `No prediction: ${e.message}`);
    return;
  }
  if (run !== state.run) return;
  setText($("prediction"), shown(pred.predicted_label ?? String(pred.predicted_class)));
  $("prediction").dataset.class = String(pred.predicted_class);
  setText($("receipt"), String(pred.receipt));
  setText($("proof-status"), "requested", "pending");
  setVerdict("pending", "Not verified yet: waiting for the proof…");

  let bundle;
  try {
    bundle = await pollProof(pred.receipt, run);
  } catch (e) {
    if (e instanceof Superseded) return;
    setText($("proof-status"), "failed", "error");
    setVerdict("error", `Not verified: ${e.message}`);
    return;
  }
  setText($("proof-status"), `received (${bundle.byteLength} bytes)`, "ok");
  setVerdict("pending", "Verifying the proof in this browser…");

  let r;
  try {
    // The proof binds the input and the salt together whoever drew it: a salt the server drew
    // (the card did not ask for one) is as binding as the page's own.
    const inputSalt = ownSalt ?? (typeof pred.input_salt === "string" ? pred.input_salt : null);
    r = await call({ op: "verify", pinned: pin, bundle, input: floats, inputSalt }, [bundle]);
  } catch (e) {
    if (run !== state.run) return;
    if (e.invalid) setVerdict("invalid", `INVALID: ${e.message}`);
    else setVerdict("error", `Could not verify: ${e.message}`);
    return;
  }
  if (run !== state.run) return;
  const problem = r.valid ? crossCheck(r, pred, floats, pin, state.commitment) : r.reason;
  if (problem) {
    setVerdict("invalid", `INVALID: ${problem}`);
    return;
  }
  showVerified(r);
  setVerdict(
    "verified",
    r.developmentSetup
      ? `verified: model ${short(r.modelId)}, the one you trust, computed this from your input, but only under the INSECURE development setup, where anyone can forge a proof`
      : `verified: model ${short(r.modelId)}, the one you trust, computed this from your input (setup ${short(r.setupDigest)})`,
  );
}

$("send").addEventListener("click", send);

// ---------------------------------------------------------------------------------------------
// Pin editing and start-up
// ---------------------------------------------------------------------------------------------

$("pin-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const id = $("pin-input").value.trim().toLowerCase();
  if (!HEX64.test(id)) {
    showPinError("A model id is 64 hexadecimal digits.");
    return;
  }
  const saved = storage((s) => (s.setItem(PIN_KEY, id), true));
  setAddressPin(id);
  await applyPin({ id, source: saved ? "set by you, saved in this browser" : "set by you (not saved)" });
});

$("pin-clear").addEventListener("click", async () => {
  storage((s) => s.removeItem(PIN_KEY));
  setAddressPin(null);
  try {
    await applyPin(await trustOnFirstUse());
  } catch (e) {
    showPinError(e.message);
  }
});

async function start() {
  clearPad();
  if (API.error) {
    setText($("pinned-id"), "none", "none");
    setText($("key-status"), "no server", "error");
    showPinError(API.error);
    return;
  }
  if (API.base) $("api-base").textContent = `${API.base} (from the page address, ?api=)`;
  call({ op: "init" }).then(
    (info) => {
      setText($("verifier-mode"), info.mode === "threaded" ? `threaded, ${info.threads} threads` : "single-threaded", info.mode);
      $("verifier-note").textContent = info.note ? `(${info.note})` : "";
    },
    (e) => setText($("verifier-mode"), `unavailable: ${e.message} (build web/pkg, see web/README.md)`, "error"),
  );
  serverModels().catch(() => {}); // fills the pin suggestions; errors surface where they matter
  try {
    await applyPin(await resolvePin());
  } catch (e) {
    setText($("pinned-id"), "none", "none");
    showPinError(e.message);
  }
}

start();
