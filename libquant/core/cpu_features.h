// What the CPU the process runs on offers. Kernels compiled for AVX2 (and FMA) whatever the build's
// target (`__attribute__((target(...)))`) ask these before they run; elsewhere (another CPU, another
// architecture) the caller takes its plain path.
#pragma once

#if defined(__x86_64__)
#include <cpuid.h>
#endif

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

// Whether the CPU runs AVX-512 as two 256-bit halves: AMD's Zen 4 (family 0x19, the first AMD
// family with AVX-512; Zen 3, the same family, has none). There AVX-512 brings no more
// multiply-adds per cycle than AVX2, and the layout a kernel reads decides more than its vector
// width (docs/performance.md). Intel's AVX-512 CPUs and later AMD families answer false.
inline bool cpu_avx512_in_halves() {
#if defined(__x86_64__)
  if (!QUANT_CPU_SUPPORTS("avx512f")) return false;
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  if (!__get_cpuid(0, &eax, &ebx, &ecx, &edx)) return false;
  const bool amd = ebx == 0x68747541u && edx == 0x69746e65u && ecx == 0x444d4163u;  // "Auth" "enti" "cAMD"
  if (!amd || !__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return false;
  // Family: the base field (bits 8-11), plus the extended field (bits 20-27) when the base is 0xf.
  const unsigned base = (eax >> 8) & 0xfu, family = base == 0xfu ? base + ((eax >> 20) & 0xffu) : base;
  return family == 0x19u;
#else
  return false;
#endif
}

}  // namespace quant

#undef QUANT_CPU_SUPPORTS
