// Wall-clock helpers shared by the comparison programs (compare_detect, compare_pipeline).
#pragma once

#include <algorithm>
#include <chrono>
#include <vector>

namespace bench {

inline double median(std::vector<double> v) {
    std::nth_element(v.begin(), v.begin() + long(v.size() / 2), v.end());
    return v[v.size() / 2];
}

inline double fastest(const std::vector<double>& v) {
    return *std::min_element(v.begin(), v.end());
}

// Milliseconds one call of f takes.
template <class F>
double time_ms(F&& f) {
    const auto start = std::chrono::steady_clock::now();
    f();
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
        .count();
}

}  // namespace bench
