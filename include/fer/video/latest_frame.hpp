// fer/video/latest_frame.hpp - keeping up with a live source: newest frame in, stale ones dropped.
//
// A camera delivers frames at its own rate. When recognition takes longer than a frame interval,
// reading the camera directly would queue frames in the driver and the answers would lag ever
// further behind what the camera sees. LatestFrameReader reads the source on its own thread and
// keeps only the newest frame; read() returns that frame, and every frame overwritten before it
// was read counts as dropped.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>

#include "../error.hpp"
#include "source.hpp"

namespace fer {

class LatestFrameReader : public FrameSource {
  public:
    // Starts reading `source` on a background thread.
    // Throws: fer::error for a null source.
    explicit LatestFrameReader(std::unique_ptr<FrameSource> source) : source_(std::move(source)) {
        if (!source_) detail::fail("latest-frame reader source", "a frame source", "none");
        grabber_ = std::thread([this] { grab(); });
    }
    LatestFrameReader(const LatestFrameReader&) = delete;
    LatestFrameReader& operator=(const LatestFrameReader&) = delete;
    ~LatestFrameReader() override {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            stopping_ = true;
        }
        changed_.notify_all();
        grabber_.join();  // the source's read() returns within its own timeout
    }

    // Waits for a frame newer than the last one returned. Returns false when the source ended.
    // Throws: the source's fer::error, once the frames before it have been returned.
    bool read(Image& frame) override {
        std::unique_lock<std::mutex> lock(mutex_);
        changed_.wait(lock, [&] { return fresh_ || ended_; });
        if (!fresh_) {
            if (failure_) std::rethrow_exception(failure_);
            return false;
        }
        std::swap(frame, newest_);
        fresh_ = false;
        ++delivered_;
        return true;
    }

    // Frames the source produced that nobody read because a newer one replaced them.
    std::int64_t dropped() const {
        std::lock_guard<std::mutex> lock(mutex_);
        return dropped_;
    }
    std::int64_t delivered() const {
        std::lock_guard<std::mutex> lock(mutex_);
        return delivered_;
    }

    int width() const override { return source_->width(); }
    int height() const override { return source_->height(); }
    double frames_per_second() const override { return source_->frames_per_second(); }
    bool live() const override { return source_->live(); }
    std::string description() const override { return source_->description(); }

  private:
    void grab() {
        Image incoming;
        for (;;) {
            bool more = false;
            std::exception_ptr failure;
            try {
                more = source_->read(incoming);
            } catch (...) {
                failure = std::current_exception();
            }
            std::lock_guard<std::mutex> lock(mutex_);
            if (!more || failure || stopping_) {
                failure_ = failure;
                ended_ = true;
                changed_.notify_all();
                return;
            }
            if (fresh_) ++dropped_;
            std::swap(incoming, newest_);  // the old buffer comes back for the next frame
            fresh_ = true;
            changed_.notify_all();
        }
    }

    std::unique_ptr<FrameSource> source_;
    mutable std::mutex mutex_;
    std::condition_variable changed_;
    Image newest_;
    bool fresh_ = false;  // newest_ holds a frame not yet returned
    bool ended_ = false, stopping_ = false;
    std::exception_ptr failure_;
    std::int64_t dropped_ = 0, delivered_ = 0;
    std::thread grabber_;
};

}  // namespace fer
