// TorchScript loading (see torch_module.h).
#include "engine/torch/torch_module.h"

#include <ATen/Parallel.h>
#include <torch/cuda.h>

#include <algorithm>
#include <mutex>
#include <thread>

namespace wattserve::engine::libtorch {

namespace {

void set_threads(int threads) {
  const int n =
      threads > 0 ? threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  at::set_num_threads(n);
  // Inter-op threads (TorchScript's fork/wait) can be set once per process, and not after any
  // parallel work started; one is enough for models without fork (as for ONNX Runtime).
  static std::once_flag once;
  std::call_once(once, [] {
    try {
      at::set_num_interop_threads(1);
    } catch (const c10::Error&) {
      // Already started by other torch code in this process: keep its setting.
    }
  });
}

nlohmann::ordered_json parse_metadata(const std::string& path, const std::string& text) {
  try {
    auto j = nlohmann::ordered_json::parse(text);
    if (!j.is_object()) throw std::invalid_argument("not a JSON object");
    return j;
  } catch (const std::exception& e) {
    throw EngineError(EngineError::Kind::kBadFormat,
                      path + ": the extra file " + kMetadataFile + " is not valid: " + e.what());
  }
}

}  // namespace

std::vector<std::string> available_providers() {
  std::vector<std::string> out{"cpu"};
  if (torch::cuda::is_available()) out.emplace_back("cuda");
  return out;
}

std::string torch_message(const std::exception& e) {
  const auto* c10e = dynamic_cast<const c10::Error*>(&e);
  std::string msg = c10e ? c10e->what_without_backtrace() : e.what();
  while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
  // Errors inside a TorchScript module come with its Python and TorchScript tracebacks; the
  // reason ("RuntimeError: ...") is the last line.
  if (msg.find("Traceback of TorchScript") != std::string::npos) {
    return msg.substr(msg.rfind('\n') + 1);
  }
  if (const auto nl = msg.find('\n'); nl != std::string::npos) msg.resize(nl);
  return msg;
}

LoadedModule load_module(const std::string& path, const LoadOptions& opt,
                         const std::vector<std::string>& extra_files) {
  check_provider("torch", opt.provider, available_providers());
  if (opt.threads < 0) throw std::invalid_argument("threads must be >= 0, 0 = all");
  check_model_file(path);
  set_threads(opt.threads);

  LoadedModule m;
  m.provider = opt.provider;
  m.device = opt.provider == "cuda" ? torch::Device(torch::kCUDA, 0) : torch::Device(torch::kCPU);
  torch::jit::ExtraFilesMap extra{{kMetadataFile, ""}};
  for (const auto& name : extra_files) extra.emplace(name, "");
  try {
    m.module = torch::jit::load(path, m.device, extra);
  } catch (const std::exception& e) {
    throw EngineError(EngineError::Kind::kBadFormat,
                      "not a TorchScript model: " + path + " (" + torch_message(e) +
                          "); the torch engine reads files saved with "
                          "torch.jit.script(model).save() or torch.jit.trace(...).save(), not "
                          "torch.save() checkpoints");
  }
  if (!m.module.find_method("forward")) {
    throw EngineError(EngineError::Kind::kBadFormat,
                      "TorchScript model " + path + " has no forward() method");
  }
  m.module.eval();
  // LibTorch leaves a requested extra file empty when the archive lacks it.
  for (auto& [name, contents] : extra) {
    if (!contents.empty()) m.extra_files.emplace(name, std::move(contents));
  }
  if (const auto it = m.extra_files.find(kMetadataFile); it != m.extra_files.end()) {
    m.metadata = parse_metadata(path, it->second);
  }
  return m;
}

}  // namespace wattserve::engine::libtorch
