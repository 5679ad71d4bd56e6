// ONNX Runtime as a benchmark peer: its CPU library (npm's onnxruntime-node, fetched by
// tools/fetch-assets.sh --bench) loaded at run time, a session on one thread for an ONNX file
// that tools/convert.py --onnx wrote, and a run on a float input.
//
// Only the few C API entries used here are declared, from ONNX Runtime's C API documentation:
// OrtGetApiBase() returns a table whose GetApi(1) is the version-1 function table, an array of
// function pointers in a documented, frozen order (ReleaseCustomOpDomain is entry 101).
//
// With FER_ORT_PROFILE=PREFIX in the environment, each session writes ONNX Runtime's own
// per-node trace to PREFIX_<date>.json (its EnableProfiling option); tools/ort-profile.py
// summarizes one, for comparison with fer_profile_layers.
#pragma once

#include <dlfcn.h>

#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>

namespace bench {

class OnnxRuntime {
  public:
    // Throws: std::runtime_error with ONNX Runtime's reason when the library or model cannot be
    // loaded.
    OnnxRuntime(const std::string& library, const std::string& model,
                std::vector<std::int64_t> input_shape, std::vector<std::string> outputs)
        : shape_(std::move(input_shape)), output_names_(std::move(outputs)) {
        handle_ = dlopen(library.c_str(), RTLD_NOW | RTLD_LOCAL);
        if (handle_ == nullptr) throw std::runtime_error("cannot load " + library);
        using GetApiBase = const ApiBase* (*)();
        const auto get_base = reinterpret_cast<GetApiBase>(dlsym(handle_, "OrtGetApiBase"));
        if (get_base == nullptr) throw std::runtime_error(library + " has no OrtGetApiBase");
        api_ = get_base()->get_api(1);
        if (api_ == nullptr) throw std::runtime_error(library + " does not offer API version 1");
        check(call<Status* (*)(int, const char*, void**)>(create_env)(3, "fer-bench", &env_));
        check(call<Status* (*)(void**)>(create_session_options)(&options_));
        check(call<Status* (*)(void*, int)>(set_intra_op_threads)(options_, 1));
        check(call<Status* (*)(void*, int)>(set_inter_op_threads)(options_, 1));
        check(call<Status* (*)(void*, int)>(set_execution_mode)(options_, 0));       // sequential
        check(call<Status* (*)(void*, int)>(set_graph_optimization)(options_, 99));  // all
        if (const char* prefix = std::getenv("FER_ORT_PROFILE"))
            check(call<Status* (*)(void*, const char*)>(enable_profiling)(options_, prefix));
        check(call<Status* (*)(void*, const char*, void*, void**)>(create_session)(
            env_, model.c_str(), options_, &session_));
        check(call<Status* (*)(int, int, void**)>(create_cpu_memory_info)(1, 0, &memory_));
        for (const std::string& n : output_names_) output_pointers_.push_back(n.c_str());
        outputs_.assign(output_names_.size(), nullptr);
    }

    OnnxRuntime(const OnnxRuntime&) = delete;
    OnnxRuntime& operator=(const OnnxRuntime&) = delete;

    ~OnnxRuntime() {
        release_outputs();
        if (memory_) call<void (*)(void*)>(release_memory_info)(memory_);
        if (session_) call<void (*)(void*)>(release_session)(session_);
        if (options_) call<void (*)(void*)>(release_session_options)(options_);
        if (env_) call<void (*)(void*)>(release_env)(env_);
        // The library stays loaded: its thread pools may outlive the session by a moment.
    }

    // Runs the model on `input` (NCHW, the input shape's element count); returns output 0's data,
    // valid until the next run.
    const float* run(float* input, std::size_t count) {
        release_outputs();
        void* value = nullptr;
        check(call<Status* (*)(void*, void*, std::size_t, const std::int64_t*, std::size_t, int,
                               void**)>(create_tensor_with_data)(
            memory_, input, count * sizeof(float), shape_.data(), shape_.size(), 1, &value));
        const char* input_name = "input";
        const Status* status =
            call<Status* (*)(void*, const void*, const char* const*, const void* const*,
                             std::size_t, const char* const*, std::size_t, void**)>(run_)(
                session_, nullptr, &input_name, &value, 1, output_pointers_.data(),
                output_pointers_.size(), outputs_.data());
        call<void (*)(void*)>(release_value)(value);
        check(const_cast<Status*>(status));
        void* data = nullptr;
        check(call<Status* (*)(void*, void**)>(tensor_data)(outputs_[0], &data));
        return static_cast<const float*>(data);
    }

  private:
    struct Status;
    struct Api;
    struct ApiBase {
        const Api* (*get_api)(std::uint32_t version);
        const char* (*version_string)();
    };
    // Entries of the version-1 function table.
    enum Entry : std::size_t {
        get_error_message = 2,
        create_env = 3,
        create_session = 7,
        run_ = 9,
        create_session_options = 10,
        set_execution_mode = 13,
        enable_profiling = 14,
        set_graph_optimization = 23,
        set_intra_op_threads = 24,
        set_inter_op_threads = 25,
        create_tensor_with_data = 49,
        tensor_data = 51,
        create_cpu_memory_info = 69,
        release_env = 92,
        release_status = 93,
        release_memory_info = 94,
        release_session = 95,
        release_value = 96,
        release_session_options = 100,
    };

    void* handle_ = nullptr;
    const Api* api_ = nullptr;
    void* env_ = nullptr;
    void* options_ = nullptr;
    void* session_ = nullptr;
    void* memory_ = nullptr;
    std::vector<std::int64_t> shape_;
    std::vector<std::string> output_names_;
    std::vector<const char*> output_pointers_;
    std::vector<void*> outputs_;

    template <class Function>
    Function call(Entry entry) const {
        return reinterpret_cast<Function>(reinterpret_cast<void* const*>(api_)[entry]);
    }

    void check(Status* status) const {
        if (status == nullptr) return;
        const std::string message = call<const char* (*)(const Status*)>(get_error_message)(status);
        call<void (*)(Status*)>(release_status)(status);
        throw std::runtime_error("ONNX Runtime: " + message);
    }

    void release_outputs() {
        for (void*& v : outputs_)
            if (v) call<void (*)(void*)>(release_value)(v), v = nullptr;
    }
};

}  // namespace bench
