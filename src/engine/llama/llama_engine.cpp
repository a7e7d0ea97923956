// The llama.cpp (GGUF) engine plug-in, libwattserve_engine_llama.so: lists the ggml devices it
// can use as providers and loads GGUF files as text-generation models (LlamaTextModel).
#include <ggml-backend.h>
#include <llama.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <thread>

#include "engine/llama/llama_text_model.h"
#include "engine/plugin_abi.h"

namespace wattserve::engine::llama {

namespace {

// llama.cpp logs to stderr by default; we keep only its errors, to put in our messages
// (WATTSERVE_LLAMA_LOG=1 shows everything).
thread_local std::string g_last_error;

void on_log(ggml_log_level level, const char* text, void*) {
  static const bool verbose = [] {
    const char* v = std::getenv("WATTSERVE_LLAMA_LOG");
    return v && *v && std::strcmp(v, "0") != 0;
  }();
  if (verbose) std::fputs(text, stderr);
  if (level == GGML_LOG_LEVEL_ERROR) {
    std::string line = text;
    while (!line.empty() && (line.back() == '\n' || line.back() == ' ')) line.pop_back();
    if (!line.empty()) g_last_error = line;
  }
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// The non-CPU devices that belong to `provider` (e.g. "cuda": every CUDA GPU).
std::vector<ggml_backend_dev_t> devices_of(const std::string& provider) {
  std::vector<ggml_backend_dev_t> out;
  for (std::size_t i = 0; i < ggml_backend_dev_count(); ++i) {
    ggml_backend_dev_t d = ggml_backend_dev_get(i);
    const auto type = ggml_backend_dev_type(d);
    if (type != GGML_BACKEND_DEVICE_TYPE_GPU && type != GGML_BACKEND_DEVICE_TYPE_IGPU) continue;
    if (lower(ggml_backend_reg_name(ggml_backend_dev_backend_reg(d))) == provider) {
      out.push_back(d);
    }
  }
  return out;
}

void check_gguf_magic(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char magic[4] = {};
  in.read(magic, sizeof magic);
  if (!in || std::memcmp(magic, "GGUF", 4) != 0) {
    throw EngineError(EngineError::Kind::kBadFormat,
                      "not a GGUF file: " + path +
                          " (the llama engine reads GGUF models; convert others with llama.cpp's "
                          "convert_hf_to_gguf.py)");
  }
}

class LlamaEngine final : public EngineFactory {
 public:
  LlamaEngine() {
    llama_log_set(on_log, nullptr);
    llama_backend_init();
  }
  ~LlamaEngine() override { llama_backend_free(); }

  std::string name() const override { return "llama"; }
  std::string version() const override {
    return std::string("llama.cpp (ggml ") + ggml_version() + ")";
  }

  std::vector<std::string> providers() const override {
    std::vector<std::string> out{"cpu"};
    for (std::size_t i = 0; i < ggml_backend_dev_count(); ++i) {
      ggml_backend_dev_t d = ggml_backend_dev_get(i);
      const auto type = ggml_backend_dev_type(d);
      if (type != GGML_BACKEND_DEVICE_TYPE_GPU && type != GGML_BACKEND_DEVICE_TYPE_IGPU) continue;
      const std::string p = lower(ggml_backend_reg_name(ggml_backend_dev_backend_reg(d)));
      if (std::find(out.begin(), out.end(), p) == out.end()) out.push_back(p);
    }
    return out;
  }

  std::unique_ptr<Model> load(const std::string& path, const LoadOptions& opt) override {
    check_provider(name(), opt.provider, providers());
    if (opt.threads < 0) throw std::invalid_argument("threads must be >= 0, 0 = all");
    if (opt.context_length < 0) throw std::invalid_argument("context_length must be >= 0");
    check_model_file(path);
    check_gguf_magic(path);

    auto mp = llama_model_default_params();
    mp.vocab_only = opt.vocab_only;
    std::vector<ggml_backend_dev_t> devices;
    if (opt.provider != "cpu") devices = devices_of(opt.provider);
    devices.push_back(nullptr);  // an empty list: CPU only
    mp.devices = devices.data();
    mp.n_gpu_layers = opt.provider == "cpu" ? 0 : -1;

    g_last_error.clear();
    ModelPtr model(llama_model_load_from_file(path.c_str(), mp));
    if (!model) {
      throw EngineError(
          EngineError::Kind::kBadFormat,
          "llama.cpp could not load " + path + (g_last_error.empty() ? "" : ": " + g_last_error));
    }
    ContextPtr ctx;
    auto cp = llama_context_default_params();
    if (!opt.vocab_only) {
      const int trained = llama_model_n_ctx_train(model.get());
      const int n_ctx = opt.context_length > 0 ? opt.context_length
                                               : std::min(trained > 0 ? trained : 4096, 4096);
      cp.n_ctx = static_cast<uint32_t>(n_ctx);
      cp.n_batch = std::min<uint32_t>(cp.n_ctx, 2048);
      const int threads = opt.threads > 0
                              ? opt.threads
                              : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
      cp.n_threads = threads;
      cp.n_threads_batch = threads;
      cp.no_perf = true;
      if (opt.f32_kv_cache) {
        cp.type_k = GGML_TYPE_F32;
        cp.type_v = GGML_TYPE_F32;
        cp.flash_attn_type = LLAMA_FLASH_ATTN_TYPE_DISABLED;
      }
      ctx.reset(llama_init_from_model(model.get(), cp));
      if (!ctx) {
        throw EngineError(EngineError::Kind::kRuntime,
                          "llama.cpp could not create a context for " + path +
                              (g_last_error.empty() ? "" : ": " + g_last_error));
      }
    }
    return std::make_unique<LlamaTextModel>(std::move(model), std::move(ctx), cp, opt.provider);
  }
};

}  // namespace

}  // namespace wattserve::engine::llama

WATTSERVE_ENGINE_PLUGIN(wattserve::engine::llama::LlamaEngine)
