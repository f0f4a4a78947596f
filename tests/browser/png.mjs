// A minimal PNG encoder for 8-bit grayscale and RGB images (no dependency): enough to hand the page a
// held-out digit as a file, byte-exact. PNG = signature + IHDR + IDAT (zlib of filtered rows) +
// IEND, each chunk with a CRC-32 over its type and data.

import zlib from "node:zlib";

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

/** PNG bytes of a width x height grayscale image given as row-major bytes. */
export function grayPng(pixels, width, height) {
  return png(pixels, width, height, 1);
}

/** PNG bytes of a width x height RGB image given as row-major RGB bytes (HWC). */
export function rgbPng(pixels, width, height) {
  return png(pixels, width, height, 3);
}

function png(pixels, width, height, channels) {
  if (pixels.length !== width * height * channels) throw new Error("pixel count does not match the size");
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = channels === 3 ? 2 : 0; // colour type: truecolour or grayscale
  // compression, filter method, interlace: all 0
  const line = width * channels;
  const raw = Buffer.alloc((line + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (line + 1)] = 0; // filter type None
    Buffer.from(pixels.subarray(y * line, (y + 1) * line)).copy(raw, y * (line + 1) + 1);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr),
    chunk("IDAT", zlib.deflateSync(raw)),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}
