// fer/error.hpp - the one exception type of the library.
//
// Every failure the library reports is a fer::error. Its message names what was wrong, what was
// expected and what was found, for example
//     "image width: expected 1 to 16384, found 40000"
// so that a command-line tool can print e.what() as a one-line reason.
//
// FER_ASSERT(cond) checks an internal invariant. A failed invariant is a bug in fer, not in the
// caller's input; it still throws fer::error (never aborts) so that a host program survives it.
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>

namespace fer {

// Thrown for every failure: bad arguments, bad files, unsupported formats, exhausted limits.
class error : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

namespace detail {

template <class... Parts>
std::string concat(Parts&&... parts) {
    std::ostringstream out;
    (out << ... << std::forward<Parts>(parts));
    return out.str();
}

// Throws fer::error("<what>: expected <expected>, found <found>").
template <class Expected, class Found>
[[noreturn]] void fail(const std::string& what, const Expected& expected, const Found& found) {
    throw error(concat(what, ": expected ", expected, ", found ", found));
}

// Throws fer::error(what) for failures that have no natural expected/found pair (I/O errors).
[[noreturn]] inline void fail(const std::string& what) {
    throw error(what);
}

}  // namespace detail
}  // namespace fer

#define FER_ASSERT(cond)                                                                       \
    do {                                                                                       \
        if (!(cond))                                                                           \
            ::fer::detail::fail(::fer::detail::concat("fer internal error at ", __FILE__, ":", \
                                                      __LINE__, ": ", #cond));                 \
    } while (false)
