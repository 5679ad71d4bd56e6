// fer/model/gguf.hpp - reading and writing GGUF (version 3) files, the container of fer's models.
//
// Layout (all integers little-endian), after ggml's docs/gguf.md:
//   "GGUF" magic, uint32 version (3), uint64 tensor count, uint64 metadata count;
//   metadata: key (string), uint32 value type, value;
//   tensor infos: name (string), uint32 dimension count, uint64 dimensions (innermost first),
//                 uint32 tensor type, uint64 offset of the data from the data section;
//   padding to `general.alignment` (default 32), then the tensor data, each tensor aligned.
//   A string is a uint64 byte count and the bytes (UTF-8, no terminator). An array is a uint32
//   element type, a uint64 count and the elements.
//
// The reader trusts nothing: every count, length and offset is checked against the bytes that
// are there and against fer/limits.hpp before use; unknown versions, value types and tensor types
// are refused by name; keys and tensor names must be unique; tensor data must be aligned and
// inside the file. Failures throw fer::error naming the source, the field, what was expected
// and what was found.
#pragma once

#include <cstdint>
#include <cstring>
#include <map>
#include <string>
#include <variant>
#include <vector>

#include "../error.hpp"
#include "../file.hpp"
#include "../limits.hpp"

namespace fer {

enum class GgufValueType : std::uint32_t {
    uint8 = 0,
    int8 = 1,
    uint16 = 2,
    int16 = 3,
    uint32 = 4,
    int32 = 5,
    float32 = 6,
    boolean = 7,
    string = 8,
    array = 9,
    uint64 = 10,
    int64 = 11,
    float64 = 12,
};

// The tensor types fer uses (ggml's numbering).
enum class GgufTensorType : std::uint32_t { f32 = 0, i8 = 24, i32 = 26 };

inline const char* to_string(GgufTensorType t) {
    switch (t) {
        case GgufTensorType::f32:
            return "F32";
        case GgufTensorType::i8:
            return "I8";
        case GgufTensorType::i32:
            return "I32";
    }
    return "unknown";
}

inline std::size_t element_bytes(GgufTensorType t) {
    return t == GgufTensorType::i8 ? 1 : 4;
}

// A metadata value: numbers are widened (integers to int64 or uint64, floats to double), arrays
// hold values of one type.
struct GgufValue {
    GgufValueType type = GgufValueType::uint8;
    std::variant<std::int64_t, std::uint64_t, double, bool, std::string, std::vector<GgufValue>>
        value;
};

struct GgufTensor {
    std::string name;
    std::vector<std::int64_t> dims;  // innermost (fastest varying) first, as GGUF stores them
    GgufTensorType type = GgufTensorType::f32;
    std::uint64_t offset = 0;  // from the start of the data section
    const std::uint8_t* data = nullptr;
    std::size_t bytes = 0;

    std::int64_t elements() const {
        std::int64_t n = 1;
        for (std::int64_t d : dims) n *= d;
        return n;
    }
};

class GgufFile {
  public:
    // Tensors point into the file's bytes: a copy would point into the original's. Moves keep
    // the bytes (and the pointers) as they are; to duplicate a file, parse its bytes again.
    GgufFile(const GgufFile&) = delete;
    GgufFile& operator=(const GgufFile&) = delete;
    GgufFile(GgufFile&&) = default;
    GgufFile& operator=(GgufFile&&) = default;
    ~GgufFile() = default;

    // Parses a whole file held in memory; the object keeps the bytes.
    // Throws: fer::error for anything malformed, unsupported or inconsistent.
    static GgufFile parse(std::vector<std::uint8_t> bytes, const std::string& source = "model") {
        GgufFile f;
        f.bytes_ = std::move(bytes);
        f.source_ = source;
        f.read();
        return f;
    }

    // Throws: fer::error naming the path when it cannot be read or parsed.
    static GgufFile load(const std::string& path) {
        return parse(read_file_bytes(path, limits::max_model_file_bytes), path);
    }

    const std::string& source() const { return source_; }
    const std::map<std::string, GgufValue>& metadata() const { return metadata_; }
    const std::vector<GgufTensor>& tensors() const { return tensors_; }
    std::uint64_t alignment() const { return alignment_; }

    const GgufValue* find(const std::string& key) const {
        const auto it = metadata_.find(key);
        return it == metadata_.end() ? nullptr : &it->second;
    }

    // Typed access. Throws: fer::error if the key is missing or has another type.
    const std::string& get_string(const std::string& key) const {
        return std::get<std::string>(typed(key, "a string", GgufValueType::string).value);
    }
    std::int64_t get_integer(const std::string& key) const {
        const GgufValue& v = require(key);
        if (const auto* i = std::get_if<std::int64_t>(&v.value)) return *i;
        if (const auto* u = std::get_if<std::uint64_t>(&v.value);
            u && *u <= std::uint64_t(INT64_MAX))
            return std::int64_t(*u);
        detail::fail(source_ + " metadata " + key, "an integer", type_name(v.type));
    }
    double get_float(const std::string& key) const {
        const GgufValue& v = require(key);
        if (const auto* d = std::get_if<double>(&v.value)) return *d;
        detail::fail(source_ + " metadata " + key, "a float", type_name(v.type));
    }
    const std::vector<GgufValue>& get_array(const std::string& key) const {
        return std::get<std::vector<GgufValue>>(typed(key, "an array", GgufValueType::array).value);
    }

    // Throws: fer::error if there is no tensor of that name.
    const GgufTensor& tensor(const std::string& name) const {
        for (const GgufTensor& t : tensors_)
            if (t.name == name) return t;
        detail::fail(source_ + " tensor", "one named '" + name + "'", "none");
    }

    static const char* type_name(GgufValueType t) {
        static const char* names[] = {"uint8",  "int8",    "uint16", "int16",  "uint32",
                                      "int32",  "float32", "bool",   "string", "array",
                                      "uint64", "int64",   "float64"};
        return std::uint32_t(t) < 13 ? names[std::uint32_t(t)] : "unknown";
    }

  private:
    GgufFile() = default;

    std::vector<std::uint8_t> bytes_;
    std::string source_;
    std::size_t pos_ = 0;
    std::map<std::string, GgufValue> metadata_;
    std::vector<GgufTensor> tensors_;
    std::uint64_t alignment_ = 32;

    const GgufValue& require(const std::string& key) const {
        const GgufValue* v = find(key);
        if (v == nullptr) detail::fail(source_ + " metadata", "a key '" + key + "'", "none");
        return *v;
    }
    const GgufValue& typed(const std::string& key, const char* what, GgufValueType type) const {
        const GgufValue& v = require(key);
        if (v.type != type) detail::fail(source_ + " metadata " + key, what, type_name(v.type));
        return v;
    }

    [[noreturn]] void fail_at(const std::string& field, const std::string& expected,
                              const std::string& found) const {
        detail::fail(detail::concat(source_, " ", field, " (byte ", pos_, ")"), expected, found);
    }

    void need(std::uint64_t n, const char* field) const {
        if (n > bytes_.size() - pos_)
            fail_at(field, detail::concat(n, " more bytes"),
                    detail::concat(bytes_.size() - pos_, " left in the file"));
    }

    template <class T>
    T scalar(const char* field) {
        need(sizeof(T), field);
        T v;
        std::memcpy(&v, bytes_.data() + pos_, sizeof(T));  // little-endian hosts only (x86, ARM)
        pos_ += sizeof(T);
        return v;
    }

    std::string string(const char* field) {
        const std::uint64_t length = scalar<std::uint64_t>(field);
        if (length > std::uint64_t(limits::max_model_string_bytes))
            fail_at(
                field,
                detail::concat("a string of at most ", limits::max_model_string_bytes, " bytes"),
                detail::concat(length, " bytes"));
        need(length, field);
        std::string s(reinterpret_cast<const char*>(bytes_.data() + pos_), std::size_t(length));
        pos_ += std::size_t(length);
        return s;
    }

    GgufValue value(GgufValueType type, int depth, const std::string& key) {
        GgufValue v;
        v.type = type;
        const char* field = "metadata value";
        switch (type) {
            case GgufValueType::uint8:
                v.value = std::uint64_t(scalar<std::uint8_t>(field));
                break;
            case GgufValueType::int8:
                v.value = std::int64_t(scalar<std::int8_t>(field));
                break;
            case GgufValueType::uint16:
                v.value = std::uint64_t(scalar<std::uint16_t>(field));
                break;
            case GgufValueType::int16:
                v.value = std::int64_t(scalar<std::int16_t>(field));
                break;
            case GgufValueType::uint32:
                v.value = std::uint64_t(scalar<std::uint32_t>(field));
                break;
            case GgufValueType::int32:
                v.value = std::int64_t(scalar<std::int32_t>(field));
                break;
            case GgufValueType::uint64:
                v.value = scalar<std::uint64_t>(field);
                break;
            case GgufValueType::int64:
                v.value = scalar<std::int64_t>(field);
                break;
            case GgufValueType::float32:
                v.value = double(scalar<float>(field));
                break;
            case GgufValueType::float64:
                v.value = scalar<double>(field);
                break;
            case GgufValueType::boolean: {
                const std::uint8_t b = scalar<std::uint8_t>(field);
                if (b > 1) fail_at("bool value of " + key, "0 or 1", detail::concat(int(b)));
                v.value = b == 1;
                break;
            }
            case GgufValueType::string:
                v.value = string(field);
                break;
            case GgufValueType::array: {
                if (depth >= 2) fail_at("array nesting of " + key, "at most 2 levels", "deeper");
                const std::uint32_t element_type = scalar<std::uint32_t>("array element type");
                if (element_type > 12)
                    fail_at("array element type of " + key, "0 to 12",
                            detail::concat(element_type));
                const std::uint64_t count = scalar<std::uint64_t>("array length");
                if (count > std::uint64_t(limits::max_model_array_elements))
                    fail_at("array length of " + key,
                            detail::concat("at most ", limits::max_model_array_elements),
                            detail::concat(count));
                // Every element takes at least one byte: a count beyond the bytes left is a lie.
                need(count, "array elements");
                std::vector<GgufValue> elements;
                elements.reserve(std::size_t(count));
                for (std::uint64_t i = 0; i < count; ++i)
                    elements.push_back(value(GgufValueType(element_type), depth + 1, key));
                v.value = std::move(elements);
                break;
            }
            default:
                fail_at("value type of " + key, "0 to 12", detail::concat(std::uint32_t(type)));
        }
        return v;
    }

    void read() {
        if (bytes_.size() < 4 || std::memcmp(bytes_.data(), "GGUF", 4) != 0)
            fail_at("magic", "'GGUF'",
                    bytes_.size() < 4 ? "a file shorter than 4 bytes" : "other bytes");
        pos_ = 4;
        const std::uint32_t version = scalar<std::uint32_t>("version");
        if (version != 3) fail_at("version", "3", detail::concat(version));
        const std::uint64_t tensor_count = scalar<std::uint64_t>("tensor count");
        const std::uint64_t kv_count = scalar<std::uint64_t>("metadata count");
        if (tensor_count > std::uint64_t(limits::max_model_tensors))
            fail_at("tensor count", detail::concat("at most ", limits::max_model_tensors),
                    detail::concat(tensor_count));
        if (kv_count > std::uint64_t(limits::max_model_metadata_entries))
            fail_at("metadata count",
                    detail::concat("at most ", limits::max_model_metadata_entries),
                    detail::concat(kv_count));

        for (std::uint64_t i = 0; i < kv_count; ++i) {
            std::string key = string("metadata key");
            const std::uint32_t type = scalar<std::uint32_t>("metadata value type");
            if (type > 12) fail_at("value type of " + key, "0 to 12", detail::concat(type));
            GgufValue v = value(GgufValueType(type), 0, key);
            if (!metadata_.emplace(key, std::move(v)).second)
                fail_at("metadata key", "unique keys", "'" + key + "' twice");
        }
        if (const GgufValue* a = find("general.alignment")) {
            const auto* u = std::get_if<std::uint64_t>(&a->value);
            if (u == nullptr || *u == 0 || *u > 4096 || (*u & (*u - 1)) != 0)
                fail_at("general.alignment", "a power of two up to 4096 (uint32)", "another value");
            alignment_ = *u;
        }

        for (std::uint64_t i = 0; i < tensor_count; ++i) {
            GgufTensor t;
            t.name = string("tensor name");
            for (const GgufTensor& other : tensors_)
                if (other.name == t.name)
                    fail_at("tensor name", "unique names", "'" + t.name + "' twice");
            const std::uint32_t n_dims = scalar<std::uint32_t>("tensor dimension count");
            if (n_dims < 1 || n_dims > std::uint32_t(limits::max_model_tensor_dims))
                fail_at("dimension count of " + t.name,
                        detail::concat("1 to ", limits::max_model_tensor_dims),
                        detail::concat(n_dims));
            std::int64_t elements = 1;
            for (std::uint32_t d = 0; d < n_dims; ++d) {
                const std::uint64_t dim = scalar<std::uint64_t>("tensor dimension");
                if (dim < 1 || dim > std::uint64_t(limits::max_model_file_bytes))
                    fail_at("dimension of " + t.name, "1 or more, within the file size",
                            detail::concat(dim));
                elements *= std::int64_t(dim);
                if (elements > limits::max_model_file_bytes)
                    fail_at("size of " + t.name, "at most the file size limit", "more elements");
                t.dims.push_back(std::int64_t(dim));
            }
            const std::uint32_t type = scalar<std::uint32_t>("tensor type");
            if (type != std::uint32_t(GgufTensorType::f32) &&
                type != std::uint32_t(GgufTensorType::i8) &&
                type != std::uint32_t(GgufTensorType::i32))
                fail_at("type of " + t.name, "F32 (0), I8 (24) or I32 (26)", detail::concat(type));
            t.type = GgufTensorType(type);
            t.offset = scalar<std::uint64_t>("tensor offset");
            if (t.offset % alignment_ != 0)
                fail_at("offset of " + t.name, detail::concat("a multiple of ", alignment_),
                        detail::concat(t.offset));
            t.bytes = std::size_t(elements) * element_bytes(t.type);
            tensors_.push_back(std::move(t));
        }
        // The data section starts at the next aligned position; every tensor must lie inside it.
        const std::uint64_t data_start = (pos_ + alignment_ - 1) / alignment_ * alignment_;
        for (GgufTensor& t : tensors_) {
            const std::uint64_t available =
                bytes_.size() >= data_start ? bytes_.size() - data_start : 0;
            if (t.offset > available || t.bytes > available - t.offset)
                detail::fail(
                    source_ + " data of " + t.name,
                    detail::concat(t.bytes, " bytes at offset ", t.offset, " of the data section"),
                    detail::concat(available, " bytes in the data section"));
            t.data = bytes_.data() + data_start + t.offset;
        }
    }
};

// Builds a GGUF file in memory: metadata and tensors in the order added.
class GgufWriter {
  public:
    void add_string(const std::string& key, const std::string& v) {
        kv(key, GgufValueType::string), str(v);
    }
    void add_uint32(const std::string& key, std::uint32_t v) {
        kv(key, GgufValueType::uint32), put(v);
    }
    void add_int32(const std::string& key, std::int32_t v) {
        kv(key, GgufValueType::int32), put(v);
    }
    void add_float32(const std::string& key, float v) { kv(key, GgufValueType::float32), put(v); }
    void add_bool(const std::string& key, bool v) {
        kv(key, GgufValueType::boolean), put(std::uint8_t(v));
    }
    void add_strings(const std::string& key, const std::vector<std::string>& v) {
        kv(key, GgufValueType::array), put(std::uint32_t(GgufValueType::string)),
            put(std::uint64_t(v.size()));
        for (const std::string& s : v) str(s);
    }
    void add_int32s(const std::string& key, const std::vector<std::int32_t>& v) {
        kv(key, GgufValueType::array), put(std::uint32_t(GgufValueType::int32)),
            put(std::uint64_t(v.size()));
        for (std::int32_t x : v) put(x);
    }
    void add_float32s(const std::string& key, const std::vector<float>& v) {
        kv(key, GgufValueType::array), put(std::uint32_t(GgufValueType::float32)),
            put(std::uint64_t(v.size()));
        for (float x : v) put(x);
    }

    // `dims` innermost first; `data` holds exactly the tensor's bytes.
    void add_tensor(const std::string& name, const std::vector<std::int64_t>& dims,
                    GgufTensorType type, const void* data, std::size_t bytes) {
        Pending p{name, dims, type,
                  std::vector<std::uint8_t>(static_cast<const std::uint8_t*>(data),
                                            static_cast<const std::uint8_t*>(data) + bytes)};
        tensors_.push_back(std::move(p));
    }

    // The file, with GGUF's default 32-byte alignment.
    std::vector<std::uint8_t> bytes() const {
        constexpr std::uint64_t alignment = 32;
        std::vector<std::uint8_t> out;
        auto append = [&out](const void* p, std::size_t n) {
            out.insert(out.end(), static_cast<const std::uint8_t*>(p),
                       static_cast<const std::uint8_t*>(p) + n);
        };
        append("GGUF", 4);
        const std::uint32_t version = 3;
        append(&version, 4);
        const std::uint64_t tensor_count = tensors_.size(), kv_count = kv_count_;
        append(&tensor_count, 8);
        append(&kv_count, 8);
        append(metadata_.data(), metadata_.size());
        std::uint64_t offset = 0;
        for (const Pending& t : tensors_) {
            const std::uint64_t length = t.name.size();
            append(&length, 8);
            append(t.name.data(), t.name.size());
            const std::uint32_t n_dims = std::uint32_t(t.dims.size());
            append(&n_dims, 4);
            for (std::int64_t d : t.dims) append(&d, 8);
            const std::uint32_t type = std::uint32_t(t.type);
            append(&type, 4);
            append(&offset, 8);
            offset += (t.data.size() + alignment - 1) / alignment * alignment;
        }
        out.resize((out.size() + alignment - 1) / alignment * alignment, 0);
        for (const Pending& t : tensors_) {
            append(t.data.data(), t.data.size());
            out.resize((out.size() + alignment - 1) / alignment * alignment, 0);
        }
        return out;
    }

  private:
    struct Pending {
        std::string name;
        std::vector<std::int64_t> dims;
        GgufTensorType type;
        std::vector<std::uint8_t> data;
    };
    std::vector<std::uint8_t> metadata_;
    std::uint64_t kv_count_ = 0;
    std::vector<Pending> tensors_;

    template <class T>
    void put(T v) {
        const auto* p = reinterpret_cast<const std::uint8_t*>(&v);
        metadata_.insert(metadata_.end(), p, p + sizeof(T));
    }
    void str(const std::string& s) {
        put(std::uint64_t(s.size()));
        metadata_.insert(metadata_.end(), s.begin(), s.end());
    }
    void kv(const std::string& key, GgufValueType type) {
        str(key);
        put(std::uint32_t(type));
        ++kv_count_;
    }
};

}  // namespace fer
