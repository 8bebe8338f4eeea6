// What the CPU the process runs on offers. Kernels compiled for AVX2 (and FMA) whatever the build's
// target (`__attribute__((target(...)))`) ask these before they run; elsewhere (another CPU, another
// architecture) the caller takes its plain path.
#pragma once

namespace quant {

inline bool cpu_has_avx2() {
#if defined(__x86_64__)
  return __builtin_cpu_supports("avx2");
#else
  return false;
#endif
}

// AVX2 and FMA (every AVX2 CPU made has both; the check is for the odd virtual machine that hides one).
inline bool cpu_has_avx2_fma() {
#if defined(__x86_64__)
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
  return false;
#endif
}

// AVX2 and POPCNT (the histogram count uses both).
inline bool cpu_has_avx2_popcnt() {
#if defined(__x86_64__)
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("popcnt");
#else
  return false;
#endif
}

}  // namespace quant
