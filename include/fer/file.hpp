// fer/file.hpp - whole-file reading and writing with size limits and one-line errors.
#pragma once

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "error.hpp"
#include "limits.hpp"

namespace fer {

// The whole file as bytes, refusing files larger than max_bytes before reading them.
// Throws: fer::error naming the path when the file cannot be opened or read, or is too large.
inline std::vector<std::uint8_t> read_file_bytes(
    const std::string& path, std::int64_t max_bytes = limits::max_image_file_bytes) {
    std::ifstream in(path, std::ios::binary | std::ios::ate);
    if (!in) detail::fail(detail::concat("cannot open '", path, "': ", std::strerror(errno)));
    const std::streamoff size = in.tellg();
    if (size < 0) detail::fail(detail::concat("cannot read '", path, "'"));
    if (size > max_bytes)
        detail::fail(detail::concat("file '", path, "' size"),
                     detail::concat("at most ", max_bytes, " bytes"), size);
    std::vector<std::uint8_t> bytes(static_cast<std::size_t>(size));
    in.seekg(0);
    if (size > 0 && !in.read(reinterpret_cast<char*>(bytes.data()), size))
        detail::fail(detail::concat("cannot read '", path, "'"));
    return bytes;
}

// Writes `bytes` to `path`, replacing the file.
// Throws: fer::error naming the path when the file cannot be created or written.
inline void write_file(const std::string& path, const std::vector<std::uint8_t>& bytes) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    if (!out) detail::fail(detail::concat("cannot create '", path, "': ", std::strerror(errno)));
    out.write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
    if (!out.flush()) detail::fail(detail::concat("cannot write '", path, "'"));
}

}  // namespace fer
