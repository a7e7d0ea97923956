// The PP-OCRv4 pipeline (ocr/ocr.h) as one tensor model, so `wattserve serve` batches it, meters
// it and answers KServe v2 infer requests for it like any tensor model:
//   input  "image"      FP32 [N, H, W, 3]  RGB, 0-255 (values are rounded and clamped)
//   output "boxes"      FP32 [N, L, 8]     each line's quadrilateral (x0 y0 ... x3 y3, pixels)
//          "scores"     FP32 [N, L]        the recogniser's mean character probability
//          "text_utf8"  INT64 [N, L, B]    each line's UTF-8 bytes
// L is the most lines any image of the batch has and B the longest line in bytes; shorter ones
// are padded with zeros (a zero score marks a padded line). The KServe layer turns "*_utf8"
// outputs into BYTES tensors of strings (kserve_api.h).
#pragma once

#include <memory>
#include <string>

#include "engine/engine.h"
#include "ocr/ocr.h"

namespace wattserve::serve {

class OcrModel final : public engine::TensorModel {
 public:
  // Loads MODELS_DIR's det and rec models with `engine` (onnx), which must outlive this model.
  OcrModel(engine::EngineFactory& engine, const std::string& models_dir,
           const ocr::OcrOptions& options);
  std::string provider() const override { return pipeline_.provider(); }
  std::vector<engine::TensorInfo> inputs() const override;
  std::vector<engine::TensorInfo> outputs() const override;
  engine::NamedTensors run(const engine::NamedTensors& inputs) override;

 private:
  ocr::OcrPipeline pipeline_;
};

}  // namespace wattserve::serve
