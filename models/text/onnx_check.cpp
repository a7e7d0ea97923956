// Throwaway ONNX Runtime check for the text zoo: feed prompt ids (comma list),
// greedy-decode N tokens through the explicit KV cache, print JSON
// {prompt_ids, greedy_ids, first_logits}.
// Build: g++ -std=c++17 -O2 onnx_check.cpp -I$ORT/include -L$ORT/lib -lonnxruntime \
//        -Wl,-rpath,$ORT/lib -o onnx_check
#include <onnxruntime_cxx_api.h>

#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s model.onnx id,id,... [n]\n", argv[0]);
    return 2;
  }
  int n = argc > 3 ? atoi(argv[3]) : 32;
  std::vector<int64_t> ids;
  {
    std::stringstream ss(argv[2]);
    std::string t;
    while (std::getline(ss, t, ',')) ids.push_back(std::stoll(t));
  }
  Ort::Env env(ORT_LOGGING_LEVEL_WARNING, "check");
  Ort::SessionOptions so;
  so.SetIntraOpNumThreads(2);
  Ort::Session sess(env, argv[1], so);
  Ort::AllocatorWithDefaultOptions alloc;
  size_t nin = sess.GetInputCount(), nout = sess.GetOutputCount();
  std::vector<std::string> in_names, out_names;
  for (size_t i = 0; i < nin; i++) in_names.push_back(sess.GetInputNameAllocated(i, alloc).get());
  for (size_t i = 0; i < nout; i++)
    out_names.push_back(sess.GetOutputNameAllocated(i, alloc).get());
  auto kshape = sess.GetInputTypeInfo(2).GetTensorTypeAndShapeInfo().GetShape();  // [b, H, p, Dh]
  int64_t H = kshape[1], Dh = kshape[3];
  size_t nkv = nin - 2;
  auto mem = Ort::MemoryInfo::CreateCpu(OrtArenaAllocator, OrtMemTypeDefault);
  std::vector<std::vector<float>> kv(nkv);  // empty cache
  int64_t past = 0;
  std::vector<int64_t> cur = ids, out;
  std::vector<float> first;
  std::vector<const char*> inp, outp;
  for (auto& s : in_names) inp.push_back(s.c_str());
  for (auto& s : out_names) outp.push_back(s.c_str());
  for (int s = 0; s < n; s++) {
    std::vector<Ort::Value> vals;
    int64_t ishape[2] = {1, (int64_t)cur.size()};
    vals.push_back(Ort::Value::CreateTensor<int64_t>(mem, cur.data(), cur.size(), ishape, 2));
    vals.push_back(Ort::Value::CreateTensor<int64_t>(mem, &past, 1, nullptr, 0));
    int64_t pshape[4] = {1, H, past, Dh};
    static float dummy = 0;
    for (size_t i = 0; i < nkv; i++)
      vals.push_back(Ort::Value::CreateTensor<float>(mem, kv[i].empty() ? &dummy : kv[i].data(),
                                                     kv[i].size(), pshape, 4));
    auto res = sess.Run(Ort::RunOptions{nullptr}, inp.data(), vals.data(), vals.size(), outp.data(),
                        outp.size());
    auto lshape = res[0].GetTensorTypeAndShapeInfo().GetShape();
    int64_t T = lshape[1], V = lshape[2];
    const float* lg = res[0].GetTensorData<float>() + (T - 1) * V;
    if (s == 0) first.assign(lg, lg + V);
    int64_t best = 0;
    for (int64_t j = 1; j < V; j++)
      if (lg[j] > lg[best]) best = j;
    out.push_back(best);
    for (size_t i = 0; i < nkv; i++) {
      auto& r = res[1 + i];
      size_t cnt = r.GetTensorTypeAndShapeInfo().GetElementCount();
      const float* d = r.GetTensorData<float>();
      kv[i].assign(d, d + cnt);
    }
    past += T;
    cur = {best};
  }
  printf("{\"prompt_ids\":[");
  for (size_t i = 0; i < ids.size(); i++) printf("%s%lld", i ? "," : "", (long long)ids[i]);
  printf("],\"greedy_ids\":[");
  for (size_t i = 0; i < out.size(); i++) printf("%s%lld", i ? "," : "", (long long)out[i]);
  printf("],\"first_logits\":[");
  for (size_t j = 0; j < first.size(); j++) printf("%s%.6g", j ? "," : "", first[j]);
  printf("]}\n");
  return 0;
}
