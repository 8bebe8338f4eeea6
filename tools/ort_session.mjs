// ONNX Runtime sessions for measuring a model's own arithmetic (accuracy and SQNR figures, agreement).
//
// Graph optimizations stay at 'basic' (constant folding, redundant-node removal): Q/DQ pairs then run
// as the ONNX spec defines them. At 'all', ONNX Runtime fuses DQ -> Conv/Gemm -> Q into its integer
// kernels, and on x86 CPUs without VNNI those multiply uint8 by int8 with VPMADDUBSW, whose 16-bit
// pair sums saturate (e.g. 255 * 127 + 255 * 100 > 32767): the same model then loses 10-30 dB on an
// AVX2-only machine and none on a VNNI one. Figures must not depend on the CPU the tests run on;
// docs/accuracy.md says what 'all' gives on such a machine. tools/ort_bench.mjs measures speed at 'all'.
import * as ort from 'onnxruntime-node';

export function openSession(path, threads = 2) {
  return ort.InferenceSession.create(path, { intraOpNumThreads: threads, graphOptimizationLevel: 'basic' });
}
