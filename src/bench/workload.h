// The workload (use case) of a `wattserve bench` run, and the quality measured against its
// references (docs/bench.md, "Workloads"):
//
//   built-in set        kind    items                                      quality
//   pycode-completion   text    64 code prompts cut from the held-out      log-likelihood and
//                               split of the pycode corpus, with the true  perplexity of the
//                               continuation as reference                  reference
//   chat                text    32 chat-style questions about Python       none (no reference)
//   fmnist-test         tensor  the Fashion-MNIST test images the zoo      argmax accuracy
//                               pins, with their labels
//   ocr-images          ocr     the zoo's rendered OCR images and their    character accuracy
//                               text                                       (ocr::AccuracyTally)
//
// or a user file: JSONL prompts (one object a line: "prompt", optional "reference" and "id"),
// or a .npy tensor of input rows (with an optional .npy of int64 labels).
// The two text sets are compiled into the binary (data/workloads/); the tensor and OCR sets are
// read from the model zoo.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "engine/engine.h"
#include "zoo/zoo.h"

namespace wattserve::bench {

// The [workload] section of a study file.
struct WorkloadSpec {
  // A built-in set name (builtin_workloads()), or a path: .jsonl prompts / .npy tensors. Empty:
  // the default for the model's kind (pycode-completion, fmnist-test or ocr-images).
  std::string prompts;
  int requests = 8;           // requests per run (>= 1) ...
  double min_duration_s = 0;  // ... and/or at least this long; the later of the two ends a run
  std::string labels;         // .npy int64 labels for a user .npy workload (optional)
};

// std::invalid_argument naming the field: requests < 1, min_duration_s < 0 or not finite.
void validate(const WorkloadSpec& spec);

// What a workload feeds: text prompts to a TextModel, tensor rows to a TensorModel, images to
// the OCR pipeline.
enum class WorkloadKind { kText, kTensor, kOcr };
const char* to_string(WorkloadKind kind);  // "text", "tensor", "ocr"
// The workload kind a model of this kind takes (text -> kText, tensor -> kTensor).
WorkloadKind workload_kind_for(engine::ModelKind kind);
// From a zoo entry's kind ("text", "tensor", "ocr"); std::invalid_argument otherwise.
WorkloadKind workload_kind_for(const std::string& zoo_kind);
// The built-in set used when WorkloadSpec::prompts is empty.
const char* default_workload(WorkloadKind kind);

struct BuiltinWorkload {
  std::string name;
  WorkloadKind kind;
  std::string description;
};
const std::vector<BuiltinWorkload>& builtin_workloads();

struct TextItem {
  std::string id;
  std::string prompt;
  std::string reference;  // the true continuation; empty: none (no quality for this item)
  std::string source;     // where it comes from (built-in sets: "path.py:LINE"); may be empty
};

struct ImageItem {
  std::string id;
  std::string file;  // absolute path of the image
  std::string text;  // the ground truth
};

struct Workload {
  std::string name;    // the built-in set's name, or the user file's path as given
  std::string origin;  // "built-in", or the absolute path of the file read
  WorkloadKind kind = WorkloadKind::kText;
  std::vector<TextItem> text;            // kText
  engine::Tensor inputs;                 // kTensor: N rows along the first dimension
  std::optional<engine::Tensor> labels;  // kTensor: int64 [N] when known
  std::vector<ImageItem> images;         // kOcr

  std::size_t size() const;    // items: prompts, rows or images
  bool has_reference() const;  // some item can be scored (a reference, labels, ground truth)
};

// Where load_workload() finds the zoo's data sets, and what the workload must fit.
struct WorkloadContext {
  // The model's kind; when set, load_workload() checks the workload fits it (check_fits).
  std::optional<WorkloadKind> model_kind;
  std::string model_name;  // for error messages
  // The zoo entry of the model being run (fmnist-test reads its sample_input/sample_labels);
  // empty for a model file outside the zoo: then the first entry of the zoo's manifest that
  // pins a sample is used.
  std::optional<zoo::ZooEntry> entry;
  std::string zoo_dir;   // empty: zoo::default_zoo_dir()
  std::string base_dir;  // relative user paths resolve against it; empty: the current directory
};

// Loads spec.prompts (empty: default_workload(*ctx.model_kind), which must then be set). Throws
// std::invalid_argument with what to fix: an unknown set name (listing the built-in ones), a
// file that cannot be read, `FILE:LINE: ...` for a JSONL line that is not an object with a
// non-empty string "prompt" (or whose "reference"/"id" is not a string), a .npy that cannot be
// read or has no rows, labels that are not int64 [N], labels given for a non-.npy workload, a
// zoo without the set, or a workload that does not fit ctx.model_kind.
Workload load_workload(const WorkloadSpec& spec, const WorkloadContext& ctx = {});

// Parses JSONL prompts (blank lines skipped; "id" defaults to "line-N"); `origin` prefixes the
// errors (`origin:LINE: ...`).
std::vector<TextItem> parse_prompts_jsonl(std::string_view content, const std::string& origin);

// std::invalid_argument unless a workload of kind `workload` fits a model of kind `model`; the
// message names the workload, the model and the built-in set or file format to use instead.
void check_fits(const Workload& workload, WorkloadKind model, const std::string& model_name = "");

// Requests cycle through the items: request i takes item i % size().
const TextItem& text_item(const Workload& w, std::size_t request);
const ImageItem& image_item(const Workload& w, std::size_t request);

// The rows of tensor request i: `rows` rows starting at row (i * rows) % N, wrapping around
// (rows <= 0: all N rows). inputs holds them under `input_name`; labels the matching labels
// when the workload has them.
struct TensorBatch {
  engine::NamedTensors inputs;
  std::optional<engine::Tensor> labels;
};
TensorBatch tensor_batch(const Workload& w, const std::string& input_name, std::size_t request,
                         std::int64_t rows);

// ---- Quality -----------------------------------------------------------------------------

// Reference continuations are scored on at most this many tokens, to bound the cost: scoring
// takes one next_logits() call per token.
inline constexpr int kReferenceTokenCap = 32;

// log softmax(logits)[index], in double: (x_i - m) - log(sum_j exp(x_j - m)) with m = max_j x_j.
// std::invalid_argument when index is out of range or logits is empty. A NaN or +inf logit
// gives NaN.
double log_softmax_at(std::span<const float> logits, std::int64_t index);

struct LogLikelihood {
  double sum = 0;       // sum of ln p(token | everything before it) over the scored tokens
  int tokens = 0;       // scored tokens
  double mean() const;  // sum / tokens; NaN when tokens == 0
};

// The log-likelihood of `reference` as the continuation of `prompt`. Both are tokenized
// together, as tokenize(prompt + reference), and the tokens after the longest common prefix
// with tokenize(prompt) are the scored ones (a token spanning the boundary is scored as part of
// the continuation; lm-evaluation-harness does the same), at most `max_tokens` of them. Token t
// is scored with next_logits(all tokens before it), keeping only the last context_length() - 1
// of them (engines need room for the next token). The first token of the text is never scored
// (there is nothing before it). Throws what the model throws; std::invalid_argument for max_tokens
// < 1 or logits of the wrong size.
LogLikelihood reference_loglik(engine::TextModel& model, const std::string& prompt,
                               const std::string& reference, int max_tokens = kReferenceTokenCap);

// Text quality over a run's items, pooled over tokens:
//   mean_loglik = sum of all scored tokens' ln p / number of scored tokens
//   perplexity  = exp(-mean_loglik)
struct TextQuality {
  std::size_t items = 0;  // items scored
  std::size_t tokens = 0;
  double loglik_sum = 0;
  void add(const LogLikelihood& ll);
  double mean_loglik() const;  // NaN when no token was scored
  double perplexity() const;   // NaN when no token was scored
};
// Scores every item with a reference (each once, however often requests repeat it).
TextQuality score_text(engine::TextModel& model, const Workload& w,
                       int max_tokens = kReferenceTokenCap);

// Classifier accuracy over batches: correct / items, where a row is correct when the argmax of
// its scores equals its label (run::argmax_accuracy).
struct ClassifierQuality {
  std::size_t items = 0, correct = 0;
  // scores float [B, C], labels int64 [B]; std::invalid_argument when they do not fit.
  void add(const engine::Tensor& scores, const engine::Tensor& labels);
  double accuracy() const;  // NaN when empty
};

// OCR: the runner recognises each ImageItem and scores it with ocr::AccuracyTally (the
// evaluation of `wattserve ocr --eval`, src/ocr/text_metrics.h): character accuracy
// = max(0, 1 - sum of edit distances / sum of ground-truth lengths), exact-line accuracy
// = exact matches / images. It lives in wattserve_ocr, which needs OpenCV, so it is not here.

}  // namespace wattserve::bench
