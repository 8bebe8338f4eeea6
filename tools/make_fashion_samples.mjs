// Writes Fashion-MNIST images from Debian's dataset-fashion-mnist as model inputs:
//   node tools/make_fashion_samples.mjs OUT.npy LABELS.npy COUNT [test|train] [OFFSET]
// Images are normalized as the bundled models expect: ((pixel / 255) - 0.2860) / 0.3530, shape [N, 1, 28, 28].
import fs from 'node:fs';
import zlib from 'node:zlib';
import { writeNpy } from './npy.mjs';

const [out, labelsOut, countArg, split = 'test', offsetArg = '0'] = process.argv.slice(2);
const dir = '/usr/share/datasets/fashion-mnist';
const prefix = split === 'train' ? 'train' : 't10k';
const images = zlib.gunzipSync(fs.readFileSync(`${dir}/${prefix}-images-idx3-ubyte.gz`));
const labels = zlib.gunzipSync(fs.readFileSync(`${dir}/${prefix}-labels-idx1-ubyte.gz`));
const count = Number(countArg), offset = Number(offsetArg);
const pixels = 28 * 28;
const x = new Float32Array(count * pixels);
const y = new BigInt64Array(count);
for (let n = 0; n < count; n++) {
  for (let i = 0; i < pixels; i++) x[n * pixels + i] = (images[16 + (offset + n) * pixels + i] / 255 - 0.2860) / 0.3530;
  y[n] = BigInt(labels[8 + offset + n]);
}
writeNpy(out, '<f4', [count, 1, 28, 28], x);
writeNpy(labelsOut, '<i8', [count], y);
