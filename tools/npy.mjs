// Minimal .npy reading and writing (version 1.0, little-endian, C order) for the test tools.
import fs from 'node:fs';

const TYPES = {
  '<f4': Float32Array, '<f8': Float64Array, '|u1': Uint8Array, '|i1': Int8Array,
  '<i4': Int32Array, '<i8': BigInt64Array, '<u2': Uint16Array, '<i2': Int16Array,
};
const ORT_TYPES = { '<f4': 'float32', '<f8': 'float64', '|u1': 'uint8', '|i1': 'int8', '<i4': 'int32', '<i8': 'int64' };

export function readNpy(path) {
  const buf = fs.readFileSync(path);
  if (buf.toString('latin1', 0, 6) !== '\x93NUMPY') throw new Error(`${path}: not a .npy file`);
  const major = buf[6];
  const headerLen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const start = major === 1 ? 10 : 12;
  const header = buf.toString('latin1', start, start + headerLen);
  const descr = /'descr':\s*'([^']+)'/.exec(header)[1];
  const shape = /'shape':\s*\(([^)]*)\)/.exec(header)[1].split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  const Ctor = TYPES[descr];
  if (!Ctor) throw new Error(`${path}: unsupported dtype ${descr}`);
  const bytes = buf.subarray(start + headerLen);
  const data = new Ctor(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
  return { descr, ortType: ORT_TYPES[descr], shape, data };
}

export function writeNpy(path, descr, shape, data) {
  const shapeStr = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeStr}, }`;
  const pad = (64 - ((10 + header.length + 1) % 64)) % 64;
  header = header + ' '.repeat(pad) + '\n';
  const pre = Buffer.alloc(10);
  pre.write('\x93NUMPY', 0, 'latin1');
  pre[6] = 1; pre[7] = 0;
  pre.writeUInt16LE(header.length, 8);
  fs.writeFileSync(path, Buffer.concat([pre, Buffer.from(header, 'latin1'), Buffer.from(data.buffer, data.byteOffset, data.byteLength)]));
}
