// fer/detect/detail/scan.hpp - visiting every window of one pyramid level (internal).
//
// Two implementations give the same hits. The plain one evaluates windows one by one in OpenCV's
// order. The vector one (AVX2 on x86-64, chosen at run time; NEON on AArch64) serves Haar
// cascades made of stumps, the common face cascades: it evaluates the flatness test and the first
// stage for eight neighbouring windows at once with plain vector loads, applies OpenCV's rule
// that a first-stage rejection skips the next position, then runs the surviving windows of the
// whole band through the later stages eight at a time (their table entries read one by one),
// dropping windows as stages reject them. Every lane performs the scalar code's float and double
// operations in the same order, so the verdicts are identical; tests compare the two on random
// images and real photos.
#pragma once

#include <cstdint>
#include <vector>

#include "../../cpu.hpp"
#include "evaluate.hpp"

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC push_options
#pragma GCC optimize("fp-contract=off")
#endif

namespace fer::detail {

// The window positions of one pyramid level: x < columns and y < rows, both multiples of step.
struct RowBand {
    int columns = 0;
    int rows = 0;
    int step = 2;
};

// Working memory of the vector scan, kept from level to level and call to call so that large
// buffers are not allocated (and their pages faulted in) again for every pyramid level.
struct ScanScratch {
    std::vector<const std::uint32_t*> corners;
    std::vector<std::uint8_t> state, candidate;
    std::vector<float> row_factors;
    std::vector<std::vector<std::int32_t>> bucket_origins;
    std::vector<std::vector<float>> bucket_factors;
};

// Appends the table offset (y * stride + x) of every accepted window, plain code.
inline void scan_band_scalar(const CompiledCascade& cascade, const LevelTables& tables,
                             const RowBand& band, std::vector<std::int32_t>& accepted) {
    for (int y = 0; y < band.rows; y += band.step)
        for (int x = 0; x < band.columns; x += band.step) {
            const int verdict = cascade.evaluate(tables, x, y);
            if (verdict > 0) accepted.push_back(std::int32_t(y * tables.stride + x));
            if (verdict == 0)
                x += band.step;  // as OpenCV: a first-stage rejection skips a position
        }
}

#if FER_HAS_AVX2 || FER_HAS_NEON
#if FER_HAS_AVX2
#define FER_SCAN_TARGET __attribute__((target("avx2")))
#else
#define FER_SCAN_TARGET
#endif

// A table as the dense code reads it: for step 1 the table itself; for step 2 its even and odd
// columns apart, so that eight windows two pixels apart read eight neighbouring entries.
struct DenseTable {
    const std::uint32_t* parts[2];
    std::ptrdiff_t row_stride;  // entries per row in each part
};

// Where a window-relative corner (x, y) lies in a DenseTable, for the window at position 0 of
// row 0; window b of row y adds y * row_stride + b.
inline const std::uint32_t* dense_corner(const std::int16_t* xy, const DenseTable& t, int step) {
    const int cx = xy[0], cy = xy[1];
    return t.parts[cx % step] + cy * t.row_stride + cx / step;
}

// Rectangle sums of eight listed windows (table offsets `origins`) from the rectangle's four
// corner offsets `o`, into `s`. Read one by one, not gathered: on Zen 3, AVX2's vpgatherdd made
// the whole detector 10-15% slower than these 32 loads (fer_compare_detect, interleaved runs).
inline void listed_sums(const std::uint32_t* table, const std::int32_t* o,
                        const std::int32_t* origins, std::uint32_t* s) {
    for (int k = 0; k < 8; ++k) {
        const std::uint32_t* t = table + origins[k];
        s[k] = t[o[0]] - t[o[1]] - t[o[2]] + t[o[3]];
    }
}

// The vector scan's operations on eight windows, one set per instruction family:
//   Ints     a rectangle sum per window (32-bit, wrapping as the tables do)
//   Floats   a variance factor per window
//   Sums     a stage sum per window, in double
// Masks are ints with bit k for window k; listed windows are given by their table offsets.
#if FER_HAS_AVX2
struct Avx2Lanes {
    using Ints = __m256i;
    using Floats = __m256;
    struct Sums {
        __m256d low, high;  // windows 0-3, 4-7
    };

    FER_SCAN_TARGET static Ints zero() { return _mm256_setzero_si256(); }

    // Rectangle sums of eight neighbouring windows from the rectangle's four corner pointers.
    FER_SCAN_TARGET static Ints dense_sums(const std::uint32_t* const* corner,
                                           std::ptrdiff_t base) {
        auto load = [base](const std::uint32_t* p) {
            return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + base));
        };
        return _mm256_add_epi32(
            _mm256_sub_epi32(_mm256_sub_epi32(load(corner[0]), load(corner[1])), load(corner[2])),
            load(corner[3]));
    }

    // Rectangle sums of eight listed windows from the rectangle's four corner offsets.
    FER_SCAN_TARGET static Ints listed_sums(const std::uint32_t* table, const std::int32_t* o,
                                            const std::int32_t* origins) {
        alignas(32) std::uint32_t s[8];
        detail::listed_sums(table, o, origins, s);
        return _mm256_load_si256(reinterpret_cast<const __m256i*>(s));
    }

    FER_SCAN_TARGET static Floats load_factors(const float* f) { return _mm256_loadu_ps(f); }
    FER_SCAN_TARGET static void store_factors(float* f, Floats v) { _mm256_storeu_ps(f, v); }

    // The variance factor of eight windows, and which of them are not flat.
    FER_SCAN_TARGET static int variance_factors(Ints sums, Ints squares, double area,
                                                Floats& factors) {
        const __m256d area_v = _mm256_set1_pd(area);
        const __m256d two31 = _mm256_set1_pd(2147483648.0);
        const __m256i flip = _mm256_set1_epi32(INT32_MIN);
        __m128 halves[2];
        int mask = 0;
        for (int h = 0; h < 2; ++h) {
            const __m128i s =
                h == 0 ? _mm256_castsi256_si128(sums) : _mm256_extracti128_si256(sums, 1);
            const __m128i q = h == 0 ? _mm256_castsi256_si128(_mm256_xor_si256(squares, flip))
                                     : _mm256_extracti128_si256(_mm256_xor_si256(squares, flip), 1);
            const __m256d sd = _mm256_cvtepi32_pd(s);
            const __m256d qd = _mm256_add_pd(_mm256_cvtepi32_pd(q), two31);  // unsigned to double
            const __m256d nf = _mm256_sub_pd(_mm256_mul_pd(area_v, qd), _mm256_mul_pd(sd, sd));
            const __m256d positive = _mm256_cmp_pd(nf, _mm256_setzero_pd(), _CMP_GT_OQ);
            const __m256d inverse = _mm256_div_pd(_mm256_set1_pd(1.0), _mm256_sqrt_pd(nf));
            halves[h] = _mm256_cvtpd_ps(inverse);
            const __m256d spread = _mm256_mul_pd(area_v, _mm256_cvtps_pd(halves[h]));
            const __m256d textured =
                _mm256_and_pd(positive, _mm256_cmp_pd(spread, _mm256_set1_pd(0.1), _CMP_LT_OQ));
            mask |= _mm256_movemask_pd(textured) << (4 * h);
        }
        factors = _mm256_set_m128(halves[1], halves[0]);
        return mask;
    }

    FER_SCAN_TARGET static Sums zero_sums() { return {_mm256_setzero_pd(), _mm256_setzero_pd()}; }

    // One stump for eight windows: adds its leaf to each window's stage sum.
    FER_SCAN_TARGET static void add_stump(const CompiledCascade::Stump& s, Ints r0, Ints r1,
                                          Ints r2, Floats factors, Sums& sums) {
        __m256 value =
            _mm256_add_ps(_mm256_mul_ps(_mm256_set1_ps(s.weight[0]), _mm256_cvtepi32_ps(r0)),
                          _mm256_mul_ps(_mm256_set1_ps(s.weight[1]), _mm256_cvtepi32_ps(r1)));
        if (s.weight[2] != 0.0f)
            value = _mm256_add_ps(
                value, _mm256_mul_ps(_mm256_set1_ps(s.weight[2]), _mm256_cvtepi32_ps(r2)));
        value = _mm256_mul_ps(value, factors);
        const __m256 left = _mm256_cmp_ps(value, _mm256_set1_ps(s.threshold), _CMP_LT_OQ);
        const __m256 leaf = _mm256_blendv_ps(_mm256_set1_ps(s.right), _mm256_set1_ps(s.left), left);
        sums.low = _mm256_add_pd(sums.low, _mm256_cvtps_pd(_mm256_castps256_ps128(leaf)));
        sums.high = _mm256_add_pd(sums.high, _mm256_cvtps_pd(_mm256_extractf128_ps(leaf, 1)));
    }

    FER_SCAN_TARGET static Sums plus(const Sums& s, double d) {
        const __m256d v = _mm256_set1_pd(d);
        return {_mm256_add_pd(s.low, v), _mm256_add_pd(s.high, v)};
    }

    // Windows whose sum is below `bound`, and those whose sum reaches it.
    FER_SCAN_TARGET static int below(const Sums& s, double bound) {
        const __m256d t = _mm256_set1_pd(bound);
        return _mm256_movemask_pd(_mm256_cmp_pd(s.low, t, _CMP_LT_OQ)) |
               _mm256_movemask_pd(_mm256_cmp_pd(s.high, t, _CMP_LT_OQ)) << 4;
    }
    FER_SCAN_TARGET static int at_least(const Sums& s, double bound) {
        const __m256d t = _mm256_set1_pd(bound);
        return _mm256_movemask_pd(_mm256_cmp_pd(s.low, t, _CMP_GE_OQ)) |
               _mm256_movemask_pd(_mm256_cmp_pd(s.high, t, _CMP_GE_OQ)) << 4;
    }
};
#endif

#if FER_HAS_NEON
// The same operations on pairs of four-lane NEON registers. Each lane does what the AVX2 lane
// does, in the same order.
struct NeonLanes {
    struct Ints {
        uint32x4_t low, high;
    };
    struct Floats {
        float32x4_t low, high;
    };
    struct Sums {
        float64x2_t pairs[4];  // windows 0-1, 2-3, 4-5, 6-7
    };
    static Ints zero() { return {vdupq_n_u32(0), vdupq_n_u32(0)}; }

    static Ints dense_sums(const std::uint32_t* const* corner, std::ptrdiff_t base) {
        auto half = [&](std::ptrdiff_t b) {
            return vaddq_u32(
                vsubq_u32(vsubq_u32(vld1q_u32(corner[0] + b), vld1q_u32(corner[1] + b)),
                          vld1q_u32(corner[2] + b)),
                vld1q_u32(corner[3] + b));
        };
        return {half(base), half(base + 4)};
    }

    static Ints listed_sums(const std::uint32_t* table, const std::int32_t* o,
                            const std::int32_t* origins) {
        std::uint32_t s[8];
        detail::listed_sums(table, o, origins, s);
        return {vld1q_u32(s), vld1q_u32(s + 4)};
    }

    static Floats load_factors(const float* f) { return {vld1q_f32(f), vld1q_f32(f + 4)}; }
    static void store_factors(float* f, Floats v) {
        vst1q_f32(f, v.low);
        vst1q_f32(f + 4, v.high);
    }

    // Bit 0 and 1 from a two-lane comparison.
    static int bits(uint64x2_t m) {
        return int(vgetq_lane_u64(m, 0) & 1) | int(vgetq_lane_u64(m, 1) & 1) << 1;
    }

    static int variance_factors(Ints sums, Ints squares, double area, Floats& factors) {
        const float64x2_t area_v = vdupq_n_f64(area);
        float32x2_t pairs[4];
        int mask = 0;
        for (int p = 0; p < 4; ++p) {
            const uint32x4_t s4 = p < 2 ? sums.low : sums.high;
            const uint32x4_t q4 = p < 2 ? squares.low : squares.high;
            const int32x4_t s4_signed = vreinterpretq_s32_u32(s4);
            const int32x2_t s = p % 2 ? vget_high_s32(s4_signed) : vget_low_s32(s4_signed);
            const uint32x2_t q = p % 2 ? vget_high_u32(q4) : vget_low_u32(q4);
            const float64x2_t sd = vcvtq_f64_s64(vmovl_s32(s));
            const float64x2_t qd = vcvtq_f64_u64(vmovl_u32(q));
            const float64x2_t nf = vsubq_f64(vmulq_f64(area_v, qd), vmulq_f64(sd, sd));
            const uint64x2_t positive = vcgtq_f64(nf, vdupq_n_f64(0.0));
            pairs[p] = vcvt_f32_f64(vdivq_f64(vdupq_n_f64(1.0), vsqrtq_f64(nf)));
            const float64x2_t spread = vmulq_f64(area_v, vcvt_f64_f32(pairs[p]));
            mask |= bits(vandq_u64(positive, vcltq_f64(spread, vdupq_n_f64(0.1)))) << (2 * p);
        }
        factors = {vcombine_f32(pairs[0], pairs[1]), vcombine_f32(pairs[2], pairs[3])};
        return mask;
    }

    static Sums zero_sums() {
        const float64x2_t z = vdupq_n_f64(0.0);
        return {{z, z, z, z}};
    }

    static void add_stump(const CompiledCascade::Stump& s, Ints r0, Ints r1, Ints r2,
                          Floats factors, Sums& sums) {
        auto to_float = [](uint32x4_t v) { return vcvtq_f32_s32(vreinterpretq_s32_u32(v)); };
        auto half = [&](uint32x4_t a, uint32x4_t b, uint32x4_t c, float32x4_t factor,
                        float64x2_t& low, float64x2_t& high) {
            float32x4_t value = vaddq_f32(vmulq_f32(vdupq_n_f32(s.weight[0]), to_float(a)),
                                          vmulq_f32(vdupq_n_f32(s.weight[1]), to_float(b)));
            if (s.weight[2] != 0.0f)
                value = vaddq_f32(value, vmulq_f32(vdupq_n_f32(s.weight[2]), to_float(c)));
            value = vmulq_f32(value, factor);
            const float32x4_t leaf = vbslq_f32(vcltq_f32(value, vdupq_n_f32(s.threshold)),
                                               vdupq_n_f32(s.left), vdupq_n_f32(s.right));
            low = vaddq_f64(low, vcvt_f64_f32(vget_low_f32(leaf)));
            high = vaddq_f64(high, vcvt_high_f64_f32(leaf));
        };
        half(r0.low, r1.low, r2.low, factors.low, sums.pairs[0], sums.pairs[1]);
        half(r0.high, r1.high, r2.high, factors.high, sums.pairs[2], sums.pairs[3]);
    }

    static Sums plus(const Sums& s, double d) {
        const float64x2_t v = vdupq_n_f64(d);
        return {{vaddq_f64(s.pairs[0], v), vaddq_f64(s.pairs[1], v), vaddq_f64(s.pairs[2], v),
                 vaddq_f64(s.pairs[3], v)}};
    }

    static int below(const Sums& s, double bound) {
        const float64x2_t t = vdupq_n_f64(bound);
        int mask = 0;
        for (int p = 0; p < 4; ++p) mask |= bits(vcltq_f64(s.pairs[p], t)) << (2 * p);
        return mask;
    }
    static int at_least(const Sums& s, double bound) {
        const float64x2_t t = vdupq_n_f64(bound);
        int mask = 0;
        for (int p = 0; p < 4; ++p) mask |= bits(vcgeq_f64(s.pairs[p], t)) << (2 * p);
        return mask;
    }
};
#endif

#if FER_HAS_AVX2
using VectorLanes = Avx2Lanes;
#else
using VectorLanes = NeonLanes;
#endif

// Table entries of eight neighbouring windows, and of eight listed windows.
struct NeighbourSums {
    const std::uint32_t* const* corners;  // 12 corner pointers per stump, in stump order
    std::ptrdiff_t base;
    FER_SCAN_TARGET VectorLanes::Ints operator()(int stump, int rect, bool) const {
        return VectorLanes::dense_sums(corners + stump * 12 + rect * 4, base);
    }
};
struct ListedSums {
    const std::uint32_t* sum;
    const std::uint32_t* tilted;
    const std::vector<CompiledCascade::Stump>* stumps;
    const std::int32_t* origins;  // the eight windows' table offsets
    FER_SCAN_TARGET VectorLanes::Ints operator()(int stump, int rect, bool is_tilted) const {
        return VectorLanes::listed_sums(is_tilted ? tilted : sum,
                                        (*stumps)[std::size_t(stump)].offsets[rect], origins);
    }
};

// A stage for the eight windows in `alive`, whose rectangle sums come from
// `sums(stump, rect, tilted)`; returns which of them pass.
//
// Early decision: every few stumps, a window whose partial sum cannot reach the threshold even
// if every remaining stump gave its larger leaf is rejected, and one that reaches it even with
// every smaller leaf passes, exactly as the full sum would decide. The margin covers the
// rounding of double sums of a few hundred floats (about 1e-14 here), so only clear cases stop
// early and the verdicts stay OpenCV's.
template <class Sums>
FER_SCAN_TARGET inline int run_stage(const CompiledCascade::StumpStage& stage,
                                     const std::vector<CompiledCascade::Stump>& stumps,
                                     VectorLanes::Floats factors, int alive, Sums sums) {
    using L = VectorLanes;
    constexpr double margin = 1e-6;
    constexpr int check_every = 8;
    const double reject_below = double(stage.threshold) - margin;
    const double pass_from = double(stage.threshold) + margin;
    L::Sums total = L::zero_sums();
    const int end = stage.first + stage.count;
    for (int k = stage.first; k < end; ++k) {
        const CompiledCascade::Stump& s = stumps[std::size_t(k)];
        L::add_stump(s, sums(k, 0, s.tilted), sums(k, 1, s.tilted),
                     s.weight[2] != 0.0f ? sums(k, 2, s.tilted) : L::zero(), factors, total);
        if ((k - stage.first) % check_every == check_every - 1 && k + 1 < end) {
            const int rejected = L::below(L::plus(total, s.rest_max), reject_below);
            const int passed = L::at_least(L::plus(total, s.rest_min), pass_from);
            if (((rejected | passed) & alive) == alive) return passed & alive;
        }
    }
    return L::at_least(total, double(stage.threshold)) & alive;
}

// Needs tables.split_columns() for levels scanned with step 2.
FER_SCAN_TARGET inline void scan_band_vector(const CompiledCascade& cascade,
                                             const LevelTables& tables, const RowBand& band,
                                             std::vector<std::int32_t>& accepted,
                                             ScanScratch& scratch) {
    using L = VectorLanes;
    const std::vector<CompiledCascade::Stump>& stumps = cascade.stumps();
    const std::vector<CompiledCascade::StumpStage>& stages = cascade.stump_stages();
    const int stage_count = int(stages.size());
    const std::uint32_t* sum = tables.sum.data();
    const std::uint32_t* tilted = tables.tilted.empty() ? sum : tables.tilted.data();
    const double area = cascade.normalize_area();
    const int step = band.step;
    const int positions = (band.columns + step - 1) / step;
    const int blocks = (positions + 7) / 8;

    // The tables as the dense code reads them, and every corner's place in them.
    auto dense_table = [&](const std::vector<std::uint32_t>& full,
                           const std::vector<std::uint32_t>* parts) {
        if (step == 1) return DenseTable{{full.data(), full.data()}, tables.stride};
        FER_ASSERT(!parts[0].empty());
        return DenseTable{{parts[0].data(), parts[1].data()}, tables.half_stride};
    };
    const DenseTable dense[2] = {dense_table(tables.sum, tables.sum_parts),
                                 tables.tilted.empty()
                                     ? dense_table(tables.sum, tables.sum_parts)
                                     : dense_table(tables.tilted, tables.tilted_parts)};
    const DenseTable dense_squares = dense_table(tables.sqsum, tables.sqsum_parts);
    std::vector<const std::uint32_t*>& corners = scratch.corners;
    corners.resize(stumps.size() * 12);
    for (std::size_t k = 0; k < stumps.size(); ++k)
        for (int r = 0; r < 3; ++r)
            for (int c = 0; c < 4; ++c)
                corners[k * 12 + std::size_t(r * 4 + c)] =
                    dense_corner(stumps[k].corners[r][c], dense[stumps[k].tilted ? 1 : 0], step);
    const std::uint32_t* norm[4];
    const std::uint32_t* norm_squares[4];
    for (int c = 0; c < 4; ++c) {
        norm[c] = dense_corner(cascade.normalize_corners()[c], dense[0], step);
        norm_squares[c] = dense_corner(cascade.normalize_corners()[c], dense_squares, step);
    }

    // Per row: each position's first-stage outcome and variance factor.
    std::vector<std::uint8_t>& state = scratch.state;  // 0 flat, 1 rejected, 2 passed
    std::vector<float>& row_factors = scratch.row_factors;
    std::vector<std::uint8_t>& candidate = scratch.candidate;
    state.resize(std::size_t(blocks) * 8);
    row_factors.resize(std::size_t(blocks) * 8);
    candidate.resize(std::size_t(blocks) * 8);
    // Windows handed over to be run eight listed windows at a time, by the stage they resume at.
    std::vector<std::vector<std::int32_t>>& bucket_origins = scratch.bucket_origins;
    std::vector<std::vector<float>>& bucket_factors = scratch.bucket_factors;
    bucket_origins.resize(std::size_t(stage_count) + 1);
    bucket_factors.resize(std::size_t(stage_count) + 1);
    for (std::size_t i = 0; i < bucket_origins.size(); ++i)
        bucket_origins[i].clear(), bucket_factors[i].clear();
    auto hand_over = [&](int stage, std::int32_t origin, float factor) {
        if (stage == stage_count) {
            accepted.push_back(origin);
            return;
        }
        bucket_origins[std::size_t(stage)].push_back(origin);
        bucket_factors[std::size_t(stage)].push_back(factor);
    };

    for (int y = 0; y < band.rows; y += step) {
        const std::ptrdiff_t row_origin = std::ptrdiff_t{y} * tables.stride;
        const std::ptrdiff_t row_base = std::ptrdiff_t{y} * dense[0].row_stride;
        // Flatness and the first stage, eight neighbouring positions at a time.
        for (int b = 0; b < blocks; ++b) {
            const std::ptrdiff_t base = row_base + std::ptrdiff_t{b} * 8;
            L::Floats f;
            const int textured = L::variance_factors(L::dense_sums(norm, base),
                                                     L::dense_sums(norm_squares, base), area, f);
            const int passed = textured ? run_stage(stages[0], stumps, f, textured,
                                                    NeighbourSums{corners.data(), base})
                                        : 0;
            L::store_factors(row_factors.data() + b * 8, f);
            for (int k = 0; k < 8; ++k)
                state[std::size_t(b * 8 + k)] = !(textured >> k & 1) ? 0
                                                : (passed >> k & 1)  ? 2
                                                                     : 1;
        }
        // OpenCV's visiting order: a first-stage rejection skips the next position.
        std::fill(candidate.begin(), candidate.end(), std::uint8_t{0});
        for (int i = 0; i < positions; ++i) {
            if (state[std::size_t(i)] == 2) candidate[std::size_t(i)] = 1;
            if (state[std::size_t(i)] == 1) ++i;
        }
        // Later stages: stay with the block while enough of its windows live, since loading
        // neighbours is cheaper than reading listed windows; hand the few survivors over
        // otherwise.
        for (int b = 0; b < blocks; ++b) {
            int alive = 0;
            for (int k = 0; k < 8; ++k) alive |= candidate[std::size_t(b * 8 + k)] << k;
            if (alive == 0) continue;
            const std::ptrdiff_t base = row_base + std::ptrdiff_t{b} * 8;
            const L::Floats f = L::load_factors(row_factors.data() + b * 8);
            int stage = 1;
            while (alive != 0 && stage < stage_count && __builtin_popcount(unsigned(alive)) >= 2)
                alive = run_stage(stages[std::size_t(stage++)], stumps, f, alive,
                                  NeighbourSums{corners.data(), base});
            const std::ptrdiff_t origin = row_origin + std::ptrdiff_t{b} * 8 * step;
            for (int k = 0; k < 8; ++k)
                if (alive >> k & 1)
                    hand_over(stage, std::int32_t(origin + k * step),
                              row_factors[std::size_t(b * 8 + k)]);
        }
    }

    // The handed-over windows, stage by stage, eight at a time.
    for (int stage = 1; stage < stage_count; ++stage) {
        std::vector<std::int32_t>& origins = bucket_origins[std::size_t(stage)];
        std::vector<float>& factors = bucket_factors[std::size_t(stage)];
        const std::size_t n = origins.size();
        if (n == 0) continue;
        origins.resize((n + 7) / 8 * 8, origins[0]);  // pad the last group with a real window
        factors.resize(origins.size(), factors[0]);
        for (std::size_t g = 0; g < n; g += 8) {
            const int valid = n - g >= 8 ? 0xFF : (1 << (n - g)) - 1;
            const int passed =
                run_stage(stages[std::size_t(stage)], stumps, L::load_factors(factors.data() + g),
                          valid, ListedSums{sum, tilted, &stumps, origins.data() + g});
            for (std::size_t k = 0; k < 8 && g + k < n; ++k)
                if (passed >> k & 1) hand_over(stage + 1, origins[g + k], factors[g + k]);
        }
    }
}

#undef FER_SCAN_TARGET
#endif

// Whether scan_band takes the vector path for this cascade on this CPU.
inline bool uses_vector_scan(const Cascade& cascade) {
    return cascade.feature_type == CascadeFeatureType::haar && cascade.all_stumps &&
           cpu_has_vector_kernels();
}

// Appends the table offset of every accepted window of the band, with the fastest code that
// serves this cascade on this CPU.
inline void scan_band(const CompiledCascade& cascade, const LevelTables& tables,
                      const RowBand& band, std::vector<std::int32_t>& accepted,
                      ScanScratch& scratch) {
#if FER_HAS_AVX2 || FER_HAS_NEON
    if (cascade.has_stump_table() && cpu_has_vector_kernels())
        return scan_band_vector(cascade, tables, band, accepted, scratch);
#else
    (void)scratch;
#endif
    scan_band_scalar(cascade, tables, band, accepted);
}

}  // namespace fer::detail

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC pop_options
#endif
