// Baseline for the wrapper-cost benchmark (perf/engines.sh): greedy decoding of a zoo text
// model with a bare ONNX Runtime session and nothing of wattserve (no engine interface,
// sampler, tokenizer or meter), so that `wattserve run --engine onnx` can be compared with it.
//   ort_bare_decode MODEL.onnx THREADS N_TOKENS ID,ID,...   -> JSON on stdout
// Times as wattserve run reports them: TTFT (prompt -> first token) and decode tokens/s
// ((N - 1) / (total - TTFT)), of the second of two identical passes (the first warms up).
#include <onnxruntime_cxx_api.h>

#include <chrono>
#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

namespace {

double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

int run(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: %s MODEL.onnx THREADS N_TOKENS ID,ID,...\n", argv[0]);
    return 2;
  }
  const int threads = std::stoi(argv[2]);
  const int n = std::stoi(argv[3]);
  std::vector<int64_t> cur;
  std::stringstream ids(argv[4]);
  for (std::string t; std::getline(ids, t, ',');) cur.push_back(std::stoll(t));
  if (n < 2 || cur.empty()) throw std::invalid_argument("need N_TOKENS >= 2 and prompt ids");

  Ort::Env env(ORT_LOGGING_LEVEL_WARNING, "ort_bare_decode");
  Ort::SessionOptions so;
  so.SetIntraOpNumThreads(threads);
  so.SetInterOpNumThreads(1);
  Ort::Session session(env, argv[1], so);
  Ort::AllocatorWithDefaultOptions alloc;
  std::vector<std::string> in_names, out_names;
  for (size_t i = 0; i < session.GetInputCount(); ++i) {
    in_names.push_back(session.GetInputNameAllocated(i, alloc).get());
  }
  for (size_t i = 0; i < session.GetOutputCount(); ++i) {
    out_names.push_back(session.GetOutputNameAllocated(i, alloc).get());
  }
  std::vector<const char*> in_ptrs, out_ptrs;
  for (const auto& s : in_names) in_ptrs.push_back(s.c_str());
  for (const auto& s : out_names) out_ptrs.push_back(s.c_str());
  // Inputs: input_ids [1, T], past_len [], then past K/V [1, H, P, Dh] per layer.
  const auto kv_shape = session.GetInputTypeInfo(2).GetTensorTypeAndShapeInfo().GetShape();
  const int64_t heads = kv_shape[1], head_dim = kv_shape[3];
  const size_t n_kv = in_names.size() - 2;
  const auto mem = Ort::MemoryInfo::CreateCpu(OrtArenaAllocator, OrtMemTypeDefault);

  const std::vector<int64_t> prompt = cur;
  std::vector<Ort::Value> past;  // outputs of the previous step, fed back as they are
  int64_t past_len = 0;
  std::vector<int64_t> out;
  float empty = 0;
  double t0 = 0, ttft = 0;
  // Pass 0 warms up (allocations, caches), as `wattserve run --warmup 1` does; pass 1 is timed.
  for (int pass = 0; pass < 2; ++pass) {
    cur = prompt;
    past.clear();
    past_len = 0;
    out.clear();
    t0 = now_s();
    for (int step = 0; step < n; ++step) {
      std::vector<Ort::Value> inputs;
      const int64_t ids_shape[2] = {1, static_cast<int64_t>(cur.size())};
      inputs.push_back(
          Ort::Value::CreateTensor<int64_t>(mem, cur.data(), cur.size(), ids_shape, 2));
      inputs.push_back(Ort::Value::CreateTensor<int64_t>(mem, &past_len, 1, nullptr, 0));
      for (size_t i = 0; i < n_kv; ++i) {
        if (past.empty()) {
          const int64_t shape[4] = {1, heads, 0, head_dim};
          inputs.push_back(Ort::Value::CreateTensor<float>(mem, &empty, 0, shape, 4));
        } else {
          inputs.push_back(std::move(past[1 + i]));
        }
      }
      auto results = session.Run(Ort::RunOptions{nullptr}, in_ptrs.data(), inputs.data(),
                                 inputs.size(), out_ptrs.data(), out_ptrs.size());
      const auto shape = results[0].GetTensorTypeAndShapeInfo().GetShape();
      const int64_t vocab = shape[2];
      const float* logits = results[0].GetTensorData<float>() + (shape[1] - 1) * vocab;
      int64_t best = 0;
      for (int64_t j = 1; j < vocab; ++j) best = logits[j] > logits[best] ? j : best;
      out.push_back(best);
      if (step == 0) ttft = now_s() - t0;
      past_len += static_cast<int64_t>(cur.size());
      cur = {best};
      past = std::move(results);
    }
  }
  const double total = now_s() - t0;
  std::printf(
      "{\"ttft_s\": %.9f, \"total_s\": %.9f, \"decode_tokens_per_s\": %.6f, \"token_ids\": [", ttft,
      total, (n - 1) / (total - ttft));
  for (size_t i = 0; i < out.size(); ++i)
    std::printf("%s%lld", i ? ", " : "", static_cast<long long>(out[i]));
  std::printf("]}\n");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ort_bare_decode: %s\n", e.what());
    return 1;
  }
}
