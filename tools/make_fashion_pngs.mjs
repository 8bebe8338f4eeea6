// Writes Fashion-MNIST images from Debian's dataset-fashion-mnist as 8-bit grayscale PNG files
// (the calibration images of the bundled example):
//   node tools/make_fashion_pngs.mjs OUT_DIR COUNT [train|test] [OFFSET]
// Files are named <index>_<label>.png.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';

const [outDir, countArg, split = 'train', offsetArg = '0'] = process.argv.slice(2);
const dir = '/usr/share/datasets/fashion-mnist';
const prefix = split === 'test' ? 't10k' : 'train';
const images = zlib.gunzipSync(fs.readFileSync(`${dir}/${prefix}-images-idx3-ubyte.gz`));
const labels = zlib.gunzipSync(fs.readFileSync(`${dir}/${prefix}-labels-idx1-ubyte.gz`));

// CRC-32 as PNG chunks need it.
const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
const crc32 = (buf) => {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
};
const chunk = (type, data) => {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
};
const png = (pixels, w, h) => {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 8; ihdr[9] = 0; ihdr[10] = 0; ihdr[11] = 0; ihdr[12] = 0;  // 8-bit grayscale
  const raw = Buffer.alloc(h * (w + 1));
  for (let y = 0; y < h; y++) pixels.copy(raw, y * (w + 1) + 1, y * w, (y + 1) * w);  // filter 0 per row
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr),
    chunk('IDAT', zlib.deflateSync(raw, { level: 9 })), chunk('IEND', Buffer.alloc(0))]);
};

fs.mkdirSync(outDir, { recursive: true });
const count = Number(countArg), offset = Number(offsetArg);
for (let n = 0; n < count; n++) {
  const i = offset + n;
  const pixels = images.subarray(16 + i * 784, 16 + (i + 1) * 784);
  fs.writeFileSync(path.join(outDir, `${String(i).padStart(5, '0')}_${labels[8 + i]}.png`), png(Buffer.from(pixels), 28, 28));
}
