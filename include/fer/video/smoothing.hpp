// fer/video/smoothing.hpp - steadier probabilities for one face across frames.
//
// A face's expression changes over many frames; its per-frame probabilities also move with the
// lighting, the codec's noise and the detector's box. Averaging over time keeps the first and
// removes most of the second. Two averages: an exponential moving average (each frame weighs
// `alpha`, the past 1 - alpha: about 2/alpha - 1 frames of memory, no buffer) and the plain mean
// of the last `window` frames (a hard memory). Both keep the probabilities summing to 1.
#pragma once

#include <deque>

#include "../classifier.hpp"
#include "../error.hpp"

namespace fer {

enum class SmoothingMethod { none, ema, window };

struct SmoothingOptions {
    SmoothingMethod method = SmoothingMethod::ema;
    double alpha = 0.15;  // ema: weight of the newest frame, 0 < alpha <= 1 (about half a
                          // second of memory at 25 frames per second)
    int window = 10;      // window: frames averaged, 1 to 1000
};

namespace detail {
inline void check_smoothing_options(const SmoothingOptions& o) {
    if (o.method == SmoothingMethod::ema && !(o.alpha > 0.0 && o.alpha <= 1.0))
        fail("smoothing alpha", "more than 0 and at most 1", o.alpha);
    if (o.method == SmoothingMethod::window && (o.window < 1 || o.window > 1000))
        fail("smoothing window", "1 to 1000 frames", o.window);
}
}  // namespace detail

// The running average of one face's probabilities.
class ProbabilitySmoother {
  public:
    // Throws: fer::error for an alpha or window out of range.
    explicit ProbabilitySmoother(SmoothingOptions options = {}) : options_(options) {
        detail::check_smoothing_options(options);
    }

    // Adds this frame's probabilities and returns the smoothed ones.
    const Probabilities& update(const Probabilities& current) {
        switch (options_.method) {
            case SmoothingMethod::none:
                state_ = current;
                break;
            case SmoothingMethod::ema:
                if (!started_) {
                    state_ = current;
                } else {
                    const float a = float(options_.alpha);
                    for (std::size_t k = 0; k < state_.size(); ++k)
                        state_[k] = a * current[k] + (1.0f - a) * state_[k];
                }
                break;
            case SmoothingMethod::window: {
                history_.push_back(current);
                if (int(history_.size()) > options_.window) history_.pop_front();
                // Summed afresh each frame: a running sum would drift in float over long videos.
                state_.fill(0.0f);
                for (const Probabilities& p : history_)
                    for (std::size_t k = 0; k < state_.size(); ++k) state_[k] += p[k];
                for (float& v : state_) v /= float(history_.size());
                break;
            }
        }
        started_ = true;
        return state_;
    }

    const Probabilities& current() const { return state_; }

  private:
    SmoothingOptions options_;
    Probabilities state_{};
    std::deque<Probabilities> history_;
    bool started_ = false;
};

}  // namespace fer
