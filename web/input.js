// Turns a drawing or an uploaded picture into the model's input: H x W ink intensities 0..255
// (0 = background, 255 = ink), sent as float32(u / 255) — the encoding the bundled MNIST model
// was trained and calibrated on (examples/mnist/README.md).
//
// An image that already has the model's exact size is used pixel for pixel, so a held-out digit
// saved as a PNG reaches the server bit-exact. Anything else is normalised the way MNIST digits
// were made: crop to the ink, scale (area average) so the longer side is 20/28 of the frame,
// and centre by the centre of mass.

/** Ink (0..255) from RGBA bytes: transparent pixels count as white paper, and (with
 *  `autoInvert`) a light background, i.e. dark ink on paper, is inverted so ink is always the
 *  bright value. */
export function inkFromRgba(rgba, width, height, autoInvert = true) {
  const n = width * height;
  const gray = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const a = rgba[4 * i + 3];
    const over = (c) => overWhite(c, a);
    const r = over(rgba[4 * i]), g = over(rgba[4 * i + 1]), b = over(rgba[4 * i + 2]);
    // Integer Rec. 601 luma: equal channels give back that value exactly.
    gray[i] = Math.floor((299 * r + 587 * g + 114 * b + 500) / 1000);
  }
  let sum = 0, count = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (y === 0 || x === 0 || y === height - 1 || x === width - 1) {
        sum += gray[y * width + x];
        count++;
      }
    }
  }
  const inverted = autoInvert && count > 0 && sum / count > 127;
  if (inverted) for (let i = 0; i < n; i++) gray[i] = 255 - gray[i];
  return { ink: gray, inverted };
}

/** Channel value `c` of a pixel with alpha `a` composited over white, in integers; with a = 255
 *  it is the colour itself, exactly. */
function overWhite(c, a) {
  return Math.floor((c * a + 255 * (255 - a) + 127) / 255);
}

/** One-dimensional area-average resampling of `count` interleaved lines (`stride` apart,
 *  `step` between samples) from `srcLen` to `dstLen` samples. Exact box filter: each output
 *  sample is the coverage-weighted mean of the input samples under it. */
function resampleAxis(src, srcLen, dstLen, lines, srcIndex, dstIndex, dst) {
  const scale = srcLen / dstLen;
  for (let d = 0; d < dstLen; d++) {
    const start = d * scale, end = (d + 1) * scale;
    for (let l = 0; l < lines; l++) {
      let acc = 0;
      for (let s = Math.floor(start); s < Math.min(Math.ceil(end), srcLen); s++) {
        const cover = Math.min(end, s + 1) - Math.max(start, s);
        if (cover > 0) acc += cover * src[srcIndex(l, s)];
      }
      dst[dstIndex(l, d)] = acc / scale;
    }
  }
}

/** Area-average resize of a float image. */
export function resize(src, w, h, tw, th) {
  const tmp = new Float64Array(tw * h);
  resampleAxis(src, w, tw, h, (y, x) => y * w + x, (y, x) => y * tw + x, tmp);
  const out = new Float64Array(tw * th);
  resampleAxis(tmp, h, th, tw, (x, y) => y * tw + x, (x, y) => y * tw + x, out);
  return out;
}

/** The model input (Uint8Array of rows*cols ink values) for an ink image, or null if there is
 *  no ink at all. */
export function toModelInput(ink, width, height, rows, cols) {
  if (width === cols && height === rows) return Uint8Array.from(ink);
  let max = 0;
  for (const v of ink) max = Math.max(max, v);
  if (max === 0) return null;
  // Crop to the ink, ignoring faint noise (paper texture, JPEG ringing).
  const threshold = Math.max(1, max / 8);
  let x0 = width, y0 = height, x1 = -1, y1 = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (ink[y * width + x] >= threshold) {
        x0 = Math.min(x0, x); x1 = Math.max(x1, x);
        y0 = Math.min(y0, y); y1 = Math.max(y1, y);
      }
    }
  }
  const bw = x1 - x0 + 1, bh = y1 - y0 + 1;
  const crop = new Float64Array(bw * bh);
  for (let y = 0; y < bh; y++) {
    for (let x = 0; x < bw; x++) crop[y * bw + x] = ink[(y + y0) * width + x + x0];
  }
  // MNIST digits fill a 20x20 box inside the 28x28 frame.
  const box = Math.max(1, Math.round((Math.min(rows, cols) * 20) / 28));
  const f = box / Math.max(bw, bh);
  const tw = Math.max(1, Math.round(bw * f)), th = Math.max(1, Math.round(bh * f));
  const small = resize(crop, bw, bh, tw, th);
  let mass = 0, mx = 0, my = 0;
  for (let y = 0; y < th; y++) {
    for (let x = 0; x < tw; x++) {
      const v = small[y * tw + x];
      mass += v; mx += v * (x + 0.5); my += v * (y + 0.5);
    }
  }
  const clamp = (v, lo, hi) => Math.min(Math.max(v, lo), hi);
  const ox = clamp(Math.round(cols / 2 - mx / mass), 0, cols - tw);
  const oy = clamp(Math.round(rows / 2 - my / mass), 0, rows - th);
  const out = new Uint8Array(rows * cols);
  for (let y = 0; y < th; y++) {
    for (let x = 0; x < tw; x++) {
      out[(y + oy) * cols + x + ox] = clamp(Math.round(small[y * tw + x]), 0, 255);
    }
  }
  return out;
}

/** The float values sent to the server: float32(u / 255), as the model was trained. */
export function toFloats(pixels) {
  return Array.from(pixels, (u) => Math.fround(u / 255));
}

/** The quantised integer the server derives from a float input value: round(float32(x) * 2^f),
 *  halves away from zero (Rust's f64::round), as zkinfer's quantize_input does. */
export function quantize(x, fracBits) {
  const v = Math.fround(x) * 2 ** fracBits;
  return Math.sign(v) * Math.round(Math.abs(v));
}

/** Draws an input into a canvas of the same size: ink values (rows*cols bytes, white on black)
 *  or RGB bytes (rows*cols*3, HWC), told apart by their length. */
export function paint(canvas, pixels, cols, rows) {
  const ctx = canvas.getContext("2d");
  const img = ctx.createImageData(cols, rows);
  const rgb = pixels.length === 3 * cols * rows;
  for (let i = 0; i < cols * rows; i++) {
    const [r, g, b] = rgb ? [pixels[3 * i], pixels[3 * i + 1], pixels[3 * i + 2]] : [pixels[i], pixels[i], pixels[i]];
    img.data.set([r, g, b, 255], 4 * i);
  }
  ctx.putImageData(img, 0, 0);
}

// ---------------------------------------------------------------------------------------------
// RGB images, for a model compiled to take one ([1, 3, H, W] with an image preprocessing in its
// verifier key): the same steps as `zkinfer predict --image` (central crop, resize, pixel
// mapping, channels first). An image whose crop already has the model's size is used pixel for
// pixel, so the page sends exactly what the CLI computes from the same file.
// ---------------------------------------------------------------------------------------------

/** The central crop the CLI takes: `fraction` of each side, rounded, at least one pixel,
 *  centred (the left/top margin rounded down). */
export function centralCrop(width, height, fraction) {
  // In f32, as the CLI computes it.
  const side = (n) => Math.min(n, Math.max(1, Math.round(Math.fround(n * Math.fround(fraction)))));
  const cw = side(width);
  const ch = side(height);
  return { x: Math.floor((width - cw) / 2), y: Math.floor((height - ch) / 2), width: cw, height: ch };
}

/** RGB bytes (HWC) from RGBA bytes, transparent pixels composited over white. */
export function rgbFromRgba(rgba, width, height) {
  const n = width * height;
  const rgb = new Uint8Array(3 * n);
  for (let i = 0; i < n; i++) {
    const a = rgba[4 * i + 3];
    for (let c = 0; c < 3; c++) rgb[3 * i + c] = overWhite(rgba[4 * i + c], a);
  }
  return rgb;
}

/** RGB bytes (HWC) resized to tw x th by area averaging, each channel on its own; the same
 *  bytes when the size is already right. */
export function resizeRgb(rgb, width, height, tw, th) {
  if (width === tw && height === th) return Uint8Array.from(rgb);
  const out = new Uint8Array(3 * tw * th);
  for (let c = 0; c < 3; c++) {
    const plane = new Float64Array(width * height);
    for (let i = 0; i < plane.length; i++) plane[i] = rgb[3 * i + c];
    const small = resize(plane, width, height, tw, th);
    for (let i = 0; i < tw * th; i++) out[3 * i + c] = Math.min(255, Math.max(0, Math.round(small[i])));
  }
  return out;
}

/** The model's input values for RGB bytes (HWC, rows x cols): `f32(pixel · scale) + offset` in
 *  f32, as the prover computes them, laid out channels first (NCHW). `image` is the verifier
 *  key's { scale, offset }. */
export function rgbToFloats(rgb, rows, cols, image) {
  const scale = Math.fround(image.scale);
  const offset = Math.fround(image.offset);
  const out = new Array(3 * rows * cols);
  for (let y = 0; y < rows; y++) {
    for (let x = 0; x < cols; x++) {
      for (let c = 0; c < 3; c++) {
        const p = rgb[3 * (y * cols + x) + c];
        out[(c * rows + y) * cols + x] = Math.fround(Math.fround(p * scale) + offset);
      }
    }
  }
  return out;
}
