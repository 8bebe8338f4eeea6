// What the CPU the process runs on offers. Kernels compiled for AVX2 (and FMA) whatever the build's
// target (`__attribute__((target(...)))`) ask these before they run; elsewhere (another CPU, another
// architecture) the caller takes its plain path.
#pragma once

// Whether the CPU has a feature GCC names ("avx2", "fma", "popcnt"); never on other architectures.
// A macro: __builtin_cpu_supports takes only a string literal.
#if defined(__x86_64__)
#define QUANT_CPU_SUPPORTS(feature) __builtin_cpu_supports(feature)
#else
#define QUANT_CPU_SUPPORTS(feature) false
#endif

namespace quant {

inline bool cpu_has_avx2() { return QUANT_CPU_SUPPORTS("avx2"); }

// AVX2 and FMA (every AVX2 CPU made has both; the check is for the odd virtual machine that hides one).
inline bool cpu_has_avx2_fma() { return cpu_has_avx2() && QUANT_CPU_SUPPORTS("fma"); }

// AVX2 and POPCNT (the histogram count uses both).
inline bool cpu_has_avx2_popcnt() { return cpu_has_avx2() && QUANT_CPU_SUPPORTS("popcnt"); }

}  // namespace quant

#undef QUANT_CPU_SUPPORTS
