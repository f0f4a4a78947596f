// Unit tests of the page's image-to-input code (web/input.js), in Node: no browser needed.
// The browser suite checks the exact path end to end; this checks the resampling and centring
// that drawings and other-size uploads go through, where an error would only show as worse
// predictions.

import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

// web/ has no package.json, so Node would read input.js as CommonJS; load it as a module.
const src = fs.readFileSync(
  path.join(path.dirname(fileURLToPath(import.meta.url)), "../../web/input.js"),
  "utf8",
);
const { inkFromRgba, resize, toModelInput, toFloats, quantize, centralCrop, rgbFromRgba, resizeRgb, rgbToFloats } = await import(
  `data:text/javascript,${encodeURIComponent(src)}`
);

function rgba(width, height, f) {
  const out = new Uint8ClampedArray(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) out.set(f(x, y), 4 * (y * width + x));
  }
  return out;
}

test("opaque gray pixels come through exactly; light backgrounds are inverted", () => {
  const img = rgba(3, 3, (x, y) => {
    const v = (x + 3 * y) * 30;
    return [v, v, v, 255];
  });
  const { ink, inverted } = inkFromRgba(img, 3, 3);
  assert.equal(inverted, false);
  assert.deepEqual(Array.from(ink), [0, 30, 60, 90, 120, 150, 180, 210, 240]);

  const paper = rgba(4, 4, (x, y) => (x === 1 && y === 2 ? [10, 10, 10, 255] : [250, 250, 250, 255]));
  const p = inkFromRgba(paper, 4, 4);
  assert.equal(p.inverted, true);
  assert.equal(p.ink[2 * 4 + 1], 245);
  assert.equal(p.ink[0], 5);
  assert.equal(inkFromRgba(paper, 4, 4, false).inverted, false, "no inversion when turned off");

  // Transparent counts as white paper.
  const clear = rgba(2, 2, () => [0, 0, 0, 0]);
  assert.deepEqual(Array.from(inkFromRgba(clear, 2, 2).ink), [0, 0, 0, 0]);
});

test("area-average resize keeps the mean and exact multiples", () => {
  const src = Float64Array.from({ length: 6 * 4 }, (_, i) => (i * 37) % 11);
  const mean = (a) => a.reduce((s, v) => s + v, 0) / a.length;
  const small = resize(src, 6, 4, 3, 2);
  assert.ok(Math.abs(mean(small) - mean(src)) < 1e-9);
  // 2x2 blocks average exactly.
  assert.equal(small[0], (src[0] + src[1] + src[6] + src[7]) / 4);
  const odd = resize(src, 6, 4, 4, 3); // fractional coverage
  assert.ok(Math.abs(mean(odd) - mean(src)) < 1e-9);
});

test("a model-size image is used as is; others are cropped, scaled to 20 px and centred", () => {
  const exact = Uint8Array.from({ length: 784 }, (_, i) => (i * 7) % 256);
  assert.deepEqual(Array.from(toModelInput(exact, 28, 28, 28, 28)), Array.from(exact));

  assert.equal(toModelInput(new Uint8Array(100 * 100), 100, 100, 28, 28), null, "no ink");

  // A 40x100 bar off in a corner of a 280x280 pad.
  const ink = new Uint8Array(280 * 280);
  for (let y = 10; y < 110; y++) for (let x = 200; x < 240; x++) ink[y * 280 + x] = 255;
  const out = toModelInput(ink, 280, 280, 28, 28);
  let rows = new Set(), cols = new Set(), mass = 0, mx = 0, my = 0;
  for (let y = 0; y < 28; y++) {
    for (let x = 0; x < 28; x++) {
      const v = out[y * 28 + x];
      if (v > 0) {
        rows.add(y);
        cols.add(x);
      }
      mass += v;
      mx += v * (x + 0.5);
      my += v * (y + 0.5);
    }
  }
  assert.equal(rows.size, 20, "the longer side becomes 20 px");
  assert.equal(cols.size, 8, "the aspect ratio is kept");
  assert.ok(Math.abs(mx / mass - 14) <= 0.5 && Math.abs(my / mass - 14) <= 0.5, "centred by mass");
});

test("floats and quantization match the server's (float32, round half away from zero)", () => {
  assert.deepEqual(toFloats([0, 255, 16]), [0, 1, Math.fround(16 / 255)]);
  // 0.0627451 (16/255 as float32) at 2^9: 32.1254... -> 32
  assert.equal(quantize(Math.fround(16 / 255), 9), 32);
  assert.equal(quantize(1, 9), 512);
  assert.equal(quantize(2.5 / 512, 9), 3); // a half rounds away from zero
  assert.equal(quantize(-2.5 / 512, 9), -3);
});

test("an RGB image's central crop is the CLI's: f32 sides, rounded, margins rounded down", () => {
  assert.deepEqual(centralCrop(20, 20, 0.8), { x: 2, y: 2, width: 16, height: 16 });
  // 87.5% of 224 (the ImageNet preset) is 196, 14 px each side.
  assert.deepEqual(centralCrop(224, 224, 0.875), { x: 14, y: 14, width: 196, height: 196 });
  // An odd margin leaves the extra pixel at the right and bottom; at least one pixel stays.
  assert.deepEqual(centralCrop(11, 5, 0.5), { x: 2, y: 1, width: 6, height: 3 });
  assert.deepEqual(centralCrop(3, 3, 0.01), { x: 1, y: 1, width: 1, height: 1 });
  assert.deepEqual(centralCrop(7, 9, 1), { x: 0, y: 0, width: 7, height: 9 });
});

test("RGB pixels become f32(pixel * scale) + offset, channels first; transparency is white", () => {
  // A 2x2 image, pixel (y, x) = [10y+x, 100+10y+x, 200+10y+x] (the CLI's own layout test).
  const img = rgba(2, 2, (x, y) => [10 * y + x, 100 + 10 * y + x, 200 + 10 * y + x, 255]);
  const rgb = rgbFromRgba(img, 2, 2);
  assert.deepEqual(Array.from(rgb), [0, 100, 200, 1, 101, 201, 10, 110, 210, 11, 111, 211]);
  assert.deepEqual(rgbToFloats(rgb, 2, 2, { scale: 1, offset: 0 }), [0, 1, 10, 11, 100, 101, 110, 111, 200, 201, 210, 211]);
  // Inception's p / 127.5 - 1 in f32: 0 -> -1, 255 -> 1, and 51 -> the f32 the prover computes.
  const inception = { scale: Math.fround(1 / 127.5), offset: -1 };
  const v = rgbToFloats(Uint8Array.from([0, 255, 51]), 1, 1, inception);
  assert.deepEqual(v.slice(0, 2), [-1, 1]);
  assert.equal(v[2], Math.fround(Math.fround(51 * Math.fround(1 / 127.5)) - 1));
  assert.deepEqual(Array.from(rgbFromRgba(Uint8ClampedArray.from([9, 9, 9, 0]), 1, 1)), [255, 255, 255]);
});

test("RGB resize is the identity at the model's size and averages each channel otherwise", () => {
  const rgb = Uint8Array.from({ length: 3 * 4 * 2 }, (_, i) => (i * 29) % 256);
  assert.deepEqual(Array.from(resizeRgb(rgb, 4, 2, 4, 2)), Array.from(rgb));
  const half = resizeRgb(rgb, 4, 2, 2, 1);
  for (let c = 0; c < 3; c++) {
    const block = [0, 1, 4, 5].map((p) => rgb[3 * p + c]);
    assert.equal(half[c], Math.round(block.reduce((a, b) => a + b) / 4));
  }
});
