#!/usr/bin/env bash
# Exports for other toolchains: AIMET encodings 2.0.0 and a TensorRT calibration cache, from
# `optimize --export-*` and from an existing quantized model (`export`), checked against the
# formats' structure and against the params JSON's own numbers.
# Usage: exchange_e2e.sh QUANTIZE_BINARY SOURCE_DIR
set -u
. "$2/tests/lib.sh" "$1" "$2"
CNN="$SRC/testdata/models/smallcnn.onnx"
CALIB=(--calib "$SRC/testdata/calib/fashion_100" --mean 72.93 --std 90.02)

expect_exit 0 "optimize --export-encodings --export-trt-cache" "$QUANTIZE" optimize "$CNN" "${CALIB[@]}" -o "$WORK/q.onnx" \
  --export-encodings "$WORK/q.encodings" --export-trt-cache "$WORK/q.cache"
expect_exit 0 "export from the quantized model" "$QUANTIZE" export "$WORK/q.onnx" --encodings "$WORK/e.encodings" --trt-cache "$WORK/e.cache"
cmp -s "$WORK/q.encodings" "$WORK/e.encodings" && cmp -s "$WORK/q.cache" "$WORK/e.cache" && ok "both ways give the same files" || fail "optimize and export differ"
# The examples in docs/examples are these files (regenerate them with the command above when they change):
# the same entries in the same order and the same zero points, and scales equal to 1e-5 relative. Not
# byte for byte: oneDNN picks its kernels by CPU (AVX2, AVX-512), and their float sums, hence the
# calibrated ranges, can differ in the last bits between machines.
node -e "
const fs = require('fs'), fail = (m) => { console.error(m); process.exit(1); };
const close = (a, b) => a === b || Math.abs(a - b) <= 1e-5 * Math.max(Math.abs(a), Math.abs(b));
const same = (a, b, where) => {
  if (typeof a === 'number' && typeof b === 'number') { if (!close(a, b)) fail(where + ': ' + a + ' vs ' + b); return; }
  if (typeof a !== typeof b || Array.isArray(a) !== Array.isArray(b) || (a === null) !== (b === null)) fail(where + ': different kinds');
  if (typeof a !== 'object' || a === null) { if (a !== b) fail(where + ': ' + a + ' vs ' + b); return; }
  const ka = Object.keys(a), kb = Object.keys(b);
  if (ka.join() !== kb.join()) fail(where + ': keys ' + ka + ' vs ' + kb);
  for (const k of ka) same(a[k], b[k], where + '.' + k);
};
same(JSON.parse(fs.readFileSync('$WORK/q.encodings')), JSON.parse(fs.readFileSync('$SRC/docs/examples/smallcnn.encodings.json')), 'encodings');
const cache = (f) => fs.readFileSync(f, 'utf8').trim().split('\\n');
const a = cache('$WORK/q.cache'), b = cache('$SRC/docs/examples/smallcnn.trt.cache'), buf = Buffer.alloc(4);
const scale = (hex) => (buf.writeUInt32BE(parseInt(hex, 16)), buf.readFloatBE(0));
if (a.length !== b.length || a[0] !== b[0]) fail('cache: header or line count');
for (let i = 1; i < a.length; i++) {
  const [na, ha] = a[i].split(': '), [nb, hb] = b[i].split(': ');
  if (na !== nb || !close(scale(ha), scale(hb))) fail('cache line ' + i + ': ' + a[i] + ' vs ' + b[i]);
}
" > "$WORK/examples.txt" 2>&1 \
  && ok "docs/examples/smallcnn.encodings.json and smallcnn.trt.cache are what quant writes" || fail "docs/examples differ from what quant writes now: $(cat "$WORK/examples.txt")"

# AIMET 2.0.0: version, one entry per tensor with the fields of onnx::QuantizeLinear, equal to the params JSON.
node -e "
const enc = JSON.parse(require('fs').readFileSync('$WORK/q.encodings')), params = require('$WORK/q.json');
const fail = (m) => { console.error(m); process.exit(1); };
if (enc.version !== '2.0.0' || !Array.isArray(enc.activation_encodings) || !Array.isArray(enc.param_encodings)) fail('top level');
const all = [...enc.activation_encodings, ...enc.param_encodings];
for (const e of all) {
  if (typeof e.name !== 'string' || !['uint8', 'int8', 'uint16', 'int16', 'int32'].includes(e.output_dtype) || e.y_scale === undefined) fail('entry ' + JSON.stringify(e));
  if (Array.isArray(e.y_scale) !== (e.axis !== undefined)) fail('axis with per-channel scales only: ' + e.name);
}
const acts = params.tensors.filter(t => ['input', 'activation', 'output'].includes(t.role));
const weights = params.tensors.filter(t => ['weight', 'bias'].includes(t.role));
if (enc.activation_encodings.length !== acts.length || enc.param_encodings.length !== weights.length) fail('counts');
const f32 = Math.fround;
for (const t of [...acts, ...weights]) {
  const e = all.find(x => x.name === t.name);
  if (!e) fail('missing ' + t.name);
  const s = [].concat(t.qp_scale), es = [].concat(e.y_scale), z = [].concat(t.qp_zp), ez = [].concat(e.y_zero_point);
  if (s.length !== es.length || s.some((v, i) => f32(v) !== f32(es[i]) || z[i] !== ez[i])) fail('values of ' + t.name);
  if (t.dtype !== e.output_dtype) fail('dtype of ' + t.name);
}
console.log(acts.length + ' activations, ' + weights.length + ' weights and biases');
" > "$WORK/enc.txt" 2>&1 && ok "AIMET encodings: structure and every scale/zero point as in the params JSON ($(cat "$WORK/enc.txt"))" || fail "encodings: $(cat "$WORK/enc.txt")"

# TensorRT cache: header, one line per activation, scale = max(|lo|, |hi|) / 127 as float32 bits.
node -e "
const lines = require('fs').readFileSync('$WORK/q.cache', 'utf8').trim().split('\n'), params = require('$WORK/q.json');
const fail = (m) => { console.error(m); process.exit(1); };
if (!/^TRT-[0-9]+-EntropyCalibration2\$/.test(lines[0])) fail('header ' + lines[0]);
const acts = params.tensors.filter(t => ['input', 'activation', 'output'].includes(t.role));
if (lines.length - 1 !== acts.length) fail('line count');
const buf = Buffer.alloc(4);
for (const line of lines.slice(1)) {
  const m = /^(.+): ([0-9a-f]{8})\$/.exec(line);
  if (!m) fail('line ' + line);
  buf.writeUInt32BE(parseInt(m[2], 16));
  const scale = buf.readFloatBE(0), t = acts.find(x => x.name === m[1]);
  if (!t) fail('unknown tensor ' + m[1]);
  const want = Math.fround(Math.max(Math.abs(t.limvals_min), Math.abs(t.limvals_max)) / 127);
  if (Math.abs(scale - want) > want * 1e-6) fail(m[1] + ': ' + scale + ' vs ' + want);
}
console.log(acts.length + ' tensors');
" > "$WORK/trt.txt" 2>&1 && ok "TensorRT cache: header and max(|lo|, |hi|)/127 of each tensor's range ($(cat "$WORK/trt.txt"))" || fail "TensorRT cache: $(cat "$WORK/trt.txt")"

# What a format cannot carry is said.
"$QUANTIZE" -q optimize "$CNN" "${CALIB[@]}" --script "$SRC/testdata/scripts/smallcnn_hailo_style.alls" -o "$WORK/mixed.onnx" 2>/dev/null
expect_exit 0 "export a mixed 8/16-bit model" "$QUANTIZE" export "$WORK/mixed.onnx" --encodings "$WORK/m.encodings" --trt-cache "$WORK/m.cache"
expect_stderr "16-bit tensors in the TensorRT cache are warned about" "TensorRT cache: [0-9]+ 16-bit activations are in the TensorRT cache as int8 scales"
expect_stderr "conversions left out of the encodings are warned about" "AIMET encodings: [0-9]+ conversions .* are not in the encodings"
expect_exit 2 "export from a float model" "$QUANTIZE" export "$CNN" --encodings "$WORK/bad.encodings"
expect_stderr "says there is nothing to export" "the model has no QuantizeLinear/DequantizeLinear nodes: nothing to export"
expect_exit 2 "export with no file asked for" "$QUANTIZE" export "$WORK/q.onnx"
[ ! -e "$WORK/bad.encodings" ] && ok "nothing written" || fail "a failed export wrote a file"
finish
