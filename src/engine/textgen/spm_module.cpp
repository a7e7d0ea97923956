// libwattserve_spm.so: SpmCore over libsentencepiece (see spm_core.h for why it is a module).
#include <sentencepiece_processor.h>

#include "engine/textgen/spm_core.h"

namespace {

class Spm final : public wattserve::engine::textgen::SpmCore {
 public:
  sentencepiece::SentencePieceProcessor sp;
  int size() const override { return sp.GetPieceSize(); }
  std::string id_to_piece(int id) const override { return sp.IdToPiece(id); }
  bool is_control(int id) const override { return sp.IsControl(id); }
  bool is_byte(int id) const override { return sp.IsByte(id); }
  bool is_unknown(int id) const override { return sp.IsUnknown(id); }
  int bos() const override { return sp.bos_id(); }
  int eos() const override { return sp.eos_id(); }
  bool encode(const std::string& text, std::vector<int>* ids, std::string* error) const override {
    const auto status = sp.Encode(text, ids);
    if (!status.ok()) *error = status.ToString();
    return status.ok();
  }
};

}  // namespace

extern "C" wattserve::engine::textgen::SpmCore* wattserve_spm_open(const char* path,
                                                                   std::string* error) {
  auto spm = std::make_unique<Spm>();
  const auto status = spm->sp.Load(path);
  if (!status.ok()) {
    *error = status.ToString();
    return nullptr;
  }
  return spm.release();
}
