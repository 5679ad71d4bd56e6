// fer/cpu.hpp - which hand-written SIMD kernels are compiled, and which this CPU runs.
//
// On x86-64 with GCC or Clang, the AVX2 kernels (convolutions, int8, the detector's vector scan)
// are compiled with per-function target attributes and chosen at run time, so a portable build
// still uses them where the CPU has them; so are the fp32 convolutions' AVX-512 twins.
// On AArch64, where NEON (Advanced SIMD) is part of the architecture, the NEON kernels always run,
// and the int8 convolution uses the dot-product instructions (SDOT, ARMv8.2) where the CPU has them
// (getauxval(AT_HWCAP)). Elsewhere, and on x86 CPUs without AVX2 and FMA, the plain C++ kernels
// run. Every SIMD kernel has a plain twin that computes the same values.
//
// Configuration:
//   FER_NO_SIMD  define before including any fer header (or with -DFER_NO_SIMD) to compile no
//                hand-written SIMD at all: every kernel takes its plain path, on any machine. The
//                test suite is built once this way too, so the plain paths are tested on x86.
#pragma once

#if !defined(FER_NO_SIMD) && defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define FER_HAS_AVX2 1
#include <immintrin.h>
#else
#define FER_HAS_AVX2 0
#endif

#if !defined(FER_NO_SIMD) && defined(__aarch64__) && defined(__ARM_NEON)
#define FER_HAS_NEON 1
#include <arm_neon.h>
#else
#define FER_HAS_NEON 0
#endif

// The SDOT kernel is compiled with a per-function target. Clang before 16 declares the
// dot-product intrinsics only when the whole build targets them (-march=armv8.2-a+dotprod).
#if FER_HAS_NEON && defined(__linux__) &&                                            \
    (defined(__ARM_FEATURE_DOTPROD) || (defined(__GNUC__) && !defined(__clang__)) || \
     (defined(__clang__) && __clang_major__ >= 16))
#define FER_HAS_NEON_DOTPROD 1
#include <asm/hwcap.h>
#include <sys/auxv.h>
#else
#define FER_HAS_NEON_DOTPROD 0
#endif

namespace fer::detail {

// Whether the AVX2 kernels may run here: compiled in, and the CPU has AVX2 and FMA. Never throws.
inline bool cpu_has_avx2_fma() {
#if FER_HAS_AVX2
    static const bool has = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    return has;
#else
    return false;
#endif
}

// Whether the AVX-512 kernels may run here: AVX2 and FMA as above, and AVX-512F with the operating
// system saving its registers. They compute exactly what the AVX2 kernels compute, with twice the
// lanes; CPUs with full-width 512-bit units (Zen 5, Intel server cores) run them at up to twice the
// speed, Zen 4 (which splits them in two) at about the same. Never throws.
inline bool cpu_has_avx512() {
#if FER_HAS_AVX2
    static const bool has = cpu_has_avx2_fma() && __builtin_cpu_supports("avx512f");
    return has;
#else
    return false;
#endif
}

// Whether the NEON kernels are compiled in (every AArch64 CPU runs them). Never throws.
constexpr bool cpu_has_neon() {
    return FER_HAS_NEON != 0;
}

// Whether the kernels written for both vector families (the fp32 convolutions, the detector's
// window scan) run here: AVX2 with FMA, or NEON. Never throws.
inline bool cpu_has_vector_kernels() {
    return cpu_has_avx2_fma() || cpu_has_neon();
}

// Whether the int8 dot-product kernel may run here: compiled in, and the CPU has SDOT/UDOT.
// Never throws.
inline bool cpu_has_dotprod() {
#if FER_HAS_NEON_DOTPROD
    static const bool has = (getauxval(AT_HWCAP) & HWCAP_ASIMDDP) != 0;
    return has;
#else
    return false;
#endif
}

}  // namespace fer::detail
