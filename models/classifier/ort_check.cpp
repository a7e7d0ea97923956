// Throwaway-style checker for the wattserve demo classifiers: runs an ONNX model with the
// ONNX Runtime C++ API on raw float32 images and writes the logits as raw float32.
// Usage: ort_check MODEL.onnx IMAGES.f32 N BATCH OUT_LOGITS.f32
// IMAGES.f32: N*1*28*28 little-endian float32 (uint8/255). Input "image", output "logits".
#include <onnxruntime_cxx_api.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <vector>

int main(int argc, char** argv) {
  if (argc != 6) {
    std::cerr << "usage: ort_check MODEL.onnx IMAGES.f32 N BATCH OUT.f32\n";
    return 2;
  }
  const long n = std::atol(argv[3]);
  const long batch = std::atol(argv[4]);
  const long per = 28 * 28;
  std::vector<float> images(n * per);
  std::ifstream in(argv[2], std::ios::binary);
  in.read(reinterpret_cast<char*>(images.data()), images.size() * sizeof(float));
  if (!in) {
    std::cerr << "short read on " << argv[2] << "\n";
    return 1;
  }

  Ort::Env env(ORT_LOGGING_LEVEL_WARNING, "ort_check");
  Ort::SessionOptions so;
  so.SetIntraOpNumThreads(1);
  so.SetInterOpNumThreads(1);
  Ort::Session session(env, argv[1], so);
  Ort::MemoryInfo mem = Ort::MemoryInfo::CreateCpu(OrtArenaAllocator, OrtMemTypeDefault);
  const char* in_names[] = {"image"};
  const char* out_names[] = {"logits"};
  std::vector<float> logits;
  logits.reserve(n * 10);
  for (long i = 0; i < n; i += batch) {
    const long b = (i + batch <= n) ? batch : n - i;
    std::array<int64_t, 4> shape{b, 1, 28, 28};
    Ort::Value x = Ort::Value::CreateTensor<float>(mem, images.data() + i * per, b * per,
                                                   shape.data(), shape.size());
    auto out = session.Run(Ort::RunOptions{nullptr}, in_names, &x, 1, out_names, 1);
    auto info = out[0].GetTensorTypeAndShapeInfo();
    auto oshape = info.GetShape();
    if (oshape.size() != 2 || oshape[0] != b || oshape[1] != 10) {
      std::cerr << "unexpected output shape\n";
      return 1;
    }
    const float* p = out[0].GetTensorData<float>();
    logits.insert(logits.end(), p, p + b * 10);
  }
  std::ofstream o(argv[5], std::ios::binary);
  o.write(reinterpret_cast<const char*>(logits.data()), logits.size() * sizeof(float));
  std::cout << "ok " << n << " images\n";
  return 0;
}
