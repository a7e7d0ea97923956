// Built-in and user workloads of `wattserve bench`, and their quality measures (workload.h).
#include "bench/workload.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>

#include "run/npy.h"
#include "run/run.h"

// data/workloads/*.jsonl, compiled in by wattserve_embed (src/bench/CMakeLists.txt).
extern const char* const wattserve_workload_pycode_completion_data;
extern const std::size_t wattserve_workload_pycode_completion_size;
extern const char* const wattserve_workload_chat_data;
extern const std::size_t wattserve_workload_chat_size;

namespace wattserve::bench {

namespace fs = std::filesystem;

namespace {

constexpr const char* kPycode = "pycode-completion";
constexpr const char* kChat = "chat";
constexpr const char* kFmnist = "fmnist-test";
constexpr const char* kOcr = "ocr-images";

std::string builtin_names() {
  std::string s;
  for (const auto& b : builtin_workloads()) s += (s.empty() ? "" : ", ") + b.name;
  return s;
}

bool ends_with(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::string resolve_path(const std::string& path, const WorkloadContext& ctx) {
  fs::path p = path;
  if (p.is_relative() && !ctx.base_dir.empty()) p = fs::path(ctx.base_dir) / p;
  std::error_code ec;
  const fs::path abs = fs::absolute(p, ec);
  return (ec ? p : abs).lexically_normal().string();
}

std::string read_file(const std::string& path, const std::string& what) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) {
    throw std::invalid_argument(fmt::format("{}: cannot read the {}: no such file", path, what));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::invalid_argument(fmt::format("{}: cannot read the {}", path, what));
  std::ostringstream s;
  s << in.rdbuf();
  if (in.bad()) throw std::invalid_argument(fmt::format("{}: cannot read the {}", path, what));
  return s.str();
}

engine::Tensor read_npy_arg(const std::string& path, const std::string& what) {
  try {
    return run::read_npy(path);
  } catch (const std::exception& e) {
    throw std::invalid_argument(fmt::format("{} ({}): {}", what, path, e.what()));
  }
}

// Checks labels against N input rows: int64 [N] (an [N, 1] array is accepted and flattened).
engine::Tensor checked_labels(engine::Tensor labels, std::int64_t rows, const std::string& path) {
  if (labels.dtype != engine::DType::kInt64) {
    throw std::invalid_argument(
        fmt::format("labels ({}): need integer class ids (int64, int32 or uint8), got {}", path,
                    engine::to_string(labels.dtype)));
  }
  const bool column = labels.shape.size() == 2 && labels.shape[1] == 1;
  if ((labels.shape.size() != 1 && !column) || labels.shape[0] != rows) {
    std::string shape;
    for (auto d : labels.shape) shape += (shape.empty() ? "" : ", ") + std::to_string(d);
    throw std::invalid_argument(fmt::format(
        "labels ({}): need shape [{}] (one label per input row), got [{}]", path, rows, shape));
  }
  labels.shape = {rows};
  return labels;
}

Workload tensor_workload(std::string name, std::string origin, const std::string& inputs_path,
                         const std::string& labels_path) {
  Workload w;
  w.name = std::move(name);
  w.origin = std::move(origin);
  w.kind = WorkloadKind::kTensor;
  w.inputs = read_npy_arg(inputs_path, "tensor workload");
  if (w.inputs.shape.empty() || w.inputs.shape[0] < 1) {
    throw std::invalid_argument(fmt::format(
        "tensor workload ({}): need an array of at least one row ([N, ...] with N >= 1)",
        inputs_path));
  }
  if (!labels_path.empty()) {
    w.labels = checked_labels(read_npy_arg(labels_path, "labels"), w.inputs.shape[0], labels_path);
  }
  return w;
}

Workload fmnist_workload(const WorkloadContext& ctx) {
  std::optional<zoo::ZooEntry> entry;
  if (ctx.entry && !ctx.entry->sample_input.empty()) {
    entry = ctx.entry;
  } else {
    const std::string dir = ctx.zoo_dir.empty() ? zoo::default_zoo_dir() : ctx.zoo_dir;
    std::vector<zoo::ZooEntry> entries;
    try {
      entries = zoo::read_manifest(dir);
    } catch (const std::exception& e) {
      throw std::invalid_argument(fmt::format(
          "workload {} reads the Fashion-MNIST sample of the model zoo: {}", kFmnist, e.what()));
    }
    for (const auto& e : entries) {
      if (!e.sample_input.empty() && e.family == "fmnist-cnn") {
        entry = e;
        break;
      }
    }
    if (!entry) {
      throw std::invalid_argument(fmt::format(
          "workload {}: the zoo at {} pins no Fashion-MNIST sample (no fmnist-cnn entry with "
          "\"sample\"); rebuild it with scripts/build_zoo.sh",
          kFmnist, dir));
    }
  }
  return tensor_workload(kFmnist, "built-in", entry->sample_input, entry->sample_labels);
}

Workload ocr_workload(const WorkloadContext& ctx) {
  const std::string dir = ctx.zoo_dir.empty() ? zoo::default_zoo_dir() : ctx.zoo_dir;
  const fs::path labels_path = fs::path(dir) / "ocr" / "images" / "labels.json";
  // The format of ocr::read_labels (models/ocr/render.py writes it), read here without the
  // OpenCV-based OCR library.
  const std::string content =
      read_file(labels_path.string(),
                "OCR labels of the model zoo (build the zoo's OCR part with scripts/build_zoo.sh)");
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(content);
  } catch (const nlohmann::json::exception& e) {
    throw std::invalid_argument(fmt::format("{}: not JSON: {}", labels_path.string(), e.what()));
  }
  if (!j.is_array() || j.empty()) {
    throw std::invalid_argument(fmt::format(
        "{}: expected a non-empty JSON array of {{\"file\", \"text\"}}", labels_path.string()));
  }
  Workload w;
  w.name = kOcr;
  w.origin = "built-in";
  w.kind = WorkloadKind::kOcr;
  for (std::size_t i = 0; i < j.size(); ++i) {
    const auto& e = j[i];
    if (!e.is_object() || !e.contains("file") || !e["file"].is_string() || !e.contains("text") ||
        !e["text"].is_string()) {
      throw std::invalid_argument(fmt::format(
          "{}: entry {} needs string fields \"file\" and \"text\"", labels_path.string(), i));
    }
    const fs::path file = e["file"].get<std::string>();
    w.images.push_back({file.stem().string(),
                        (file.is_absolute() ? file : labels_path.parent_path() / file).string(),
                        e["text"].get<std::string>()});
  }
  return w;
}

Workload text_workload(std::string name, std::string origin, std::string_view content,
                       const std::string& error_origin) {
  Workload w;
  w.name = std::move(name);
  w.origin = std::move(origin);
  w.kind = WorkloadKind::kText;
  w.text = parse_prompts_jsonl(content, error_origin);
  return w;
}

std::string kinds_use(WorkloadKind model) {
  switch (model) {
    case WorkloadKind::kText:
      return fmt::format(
          "a text model takes text prompts: use prompts = \"{}\", \"{}\" or a "
          ".jsonl file",
          kPycode, kChat);
    case WorkloadKind::kTensor:
      return fmt::format(
          "a tensor model takes tensor rows: use prompts = \"{}\" or a .npy file (labels = a .npy "
          "of int64 labels for accuracy)",
          kFmnist);
    case WorkloadKind::kOcr:
      return fmt::format("the OCR pipeline takes images: use prompts = \"{}\"", kOcr);
  }
  return "";
}

}  // namespace

void validate(const WorkloadSpec& spec) {
  if (spec.requests < 1) {
    throw std::invalid_argument(
        fmt::format("workload.requests must be >= 1, got {}", spec.requests));
  }
  if (!std::isfinite(spec.min_duration_s) || spec.min_duration_s < 0) {
    throw std::invalid_argument(fmt::format(
        "workload.min_duration_s must be a finite number >= 0, got {}", spec.min_duration_s));
  }
}

const char* to_string(WorkloadKind kind) {
  switch (kind) {
    case WorkloadKind::kText:
      return "text";
    case WorkloadKind::kTensor:
      return "tensor";
    case WorkloadKind::kOcr:
      return "ocr";
  }
  return "?";
}

WorkloadKind workload_kind_for(engine::ModelKind kind) {
  return kind == engine::ModelKind::kTextGeneration ? WorkloadKind::kText : WorkloadKind::kTensor;
}

WorkloadKind workload_kind_for(const std::string& zoo_kind) {
  if (zoo_kind == "text") return WorkloadKind::kText;
  if (zoo_kind == "tensor") return WorkloadKind::kTensor;
  if (zoo_kind == "ocr") return WorkloadKind::kOcr;
  throw std::invalid_argument(
      fmt::format("unknown model kind \"{}\" (expected text, tensor or ocr)", zoo_kind));
}

const char* default_workload(WorkloadKind kind) {
  switch (kind) {
    case WorkloadKind::kText:
      return kPycode;
    case WorkloadKind::kTensor:
      return kFmnist;
    case WorkloadKind::kOcr:
      return kOcr;
  }
  return kPycode;
}

const std::vector<BuiltinWorkload>& builtin_workloads() {
  static const std::vector<BuiltinWorkload> sets = {
      {kPycode, WorkloadKind::kText,
       "64 Python code-completion prompts cut from the held-out split of the pycode corpus, "
       "with the true continuation as reference (data/workloads/pycode-completion.jsonl)"},
      {kChat, WorkloadKind::kText,
       "32 chat-style questions about Python programming, no reference "
       "(data/workloads/chat.jsonl)"},
      {kFmnist, WorkloadKind::kTensor,
       "the Fashion-MNIST test images the model zoo pins, with their labels"},
      {kOcr, WorkloadKind::kOcr, "the model zoo's rendered OCR images with their text"},
  };
  return sets;
}

std::size_t Workload::size() const {
  switch (kind) {
    case WorkloadKind::kText:
      return text.size();
    case WorkloadKind::kTensor:
      return inputs.shape.empty() ? 0 : static_cast<std::size_t>(inputs.shape[0]);
    case WorkloadKind::kOcr:
      return images.size();
  }
  return 0;
}

bool Workload::has_reference() const {
  switch (kind) {
    case WorkloadKind::kText:
      return std::any_of(text.begin(), text.end(),
                         [](const TextItem& t) { return !t.reference.empty(); });
    case WorkloadKind::kTensor:
      return labels.has_value();
    case WorkloadKind::kOcr:
      return !images.empty();
  }
  return false;
}

std::vector<TextItem> parse_prompts_jsonl(std::string_view content, const std::string& origin) {
  std::vector<TextItem> items;
  std::size_t line_no = 0, pos = 0;
  while (pos < content.size()) {
    std::size_t end = content.find('\n', pos);
    if (end == std::string_view::npos) end = content.size();
    std::string_view line = content.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(line);
    } catch (const nlohmann::json::exception& e) {
      throw std::invalid_argument(
          fmt::format("{}:{}: not JSON ({}); each line must be an object such as "
                      "{{\"prompt\": \"...\", \"reference\": \"...\"}}",
                      origin, line_no, e.what()));
    }
    if (!j.is_object()) {
      throw std::invalid_argument(fmt::format(
          "{}:{}: not a JSON object; each line must be an object with a string \"prompt\"", origin,
          line_no));
    }
    const auto p = j.find("prompt");
    if (p == j.end() || !p->is_string()) {
      throw std::invalid_argument(fmt::format("{}:{}: needs a string \"prompt\"", origin, line_no));
    }
    TextItem item;
    item.prompt = p->get<std::string>();
    if (item.prompt.empty()) {
      throw std::invalid_argument(fmt::format("{}:{}: \"prompt\" is empty", origin, line_no));
    }
    for (auto [key, field] : {std::pair{"reference", &item.reference}, std::pair{"id", &item.id},
                              std::pair{"source", &item.source}}) {
      const auto f = j.find(key);
      if (f == j.end() || f->is_null()) continue;
      if (!f->is_string()) {
        throw std::invalid_argument(
            fmt::format("{}:{}: \"{}\" must be a string", origin, line_no, key));
      }
      *field = f->get<std::string>();
    }
    if (item.id.empty()) item.id = fmt::format("line-{}", line_no);
    items.push_back(std::move(item));
  }
  if (items.empty()) {
    throw std::invalid_argument(fmt::format(
        "{}: no prompts (expected one JSON object with a string \"prompt\" a line)", origin));
  }
  return items;
}

Workload load_workload(const WorkloadSpec& spec, const WorkloadContext& ctx) {
  std::string name = spec.prompts;
  if (name.empty()) {
    if (!ctx.model_kind) {
      throw std::invalid_argument(
          fmt::format("workload.prompts is empty: give a built-in set ({}) or a .jsonl or .npy "
                      "file",
                      builtin_names()));
    }
    name = default_workload(*ctx.model_kind);
  }
  Workload w;
  const bool is_builtin = std::any_of(builtin_workloads().begin(), builtin_workloads().end(),
                                      [&](const BuiltinWorkload& b) { return b.name == name; });
  if (is_builtin && !spec.labels.empty()) {
    throw std::invalid_argument(fmt::format(
        "workload.labels is for a user .npy workload; the built-in set {} brings its own", name));
  }
  if (name == kPycode) {
    w = text_workload(
        name, "built-in",
        {wattserve_workload_pycode_completion_data, wattserve_workload_pycode_completion_size},
        "built-in pycode-completion");
  } else if (name == kChat) {
    w = text_workload(name, "built-in",
                      {wattserve_workload_chat_data, wattserve_workload_chat_size},
                      "built-in chat");
  } else if (name == kFmnist) {
    w = fmnist_workload(ctx);
  } else if (name == kOcr) {
    w = ocr_workload(ctx);
  } else if (ends_with(lower(name), ".jsonl")) {
    if (!spec.labels.empty()) {
      throw std::invalid_argument(fmt::format(
          "workload.labels is for a .npy workload; JSONL prompts carry a \"reference\" instead"));
    }
    const std::string path = resolve_path(name, ctx);
    w = text_workload(name, path, read_file(path, "prompts file"), path);
  } else if (ends_with(lower(name), ".npy")) {
    const std::string path = resolve_path(name, ctx);
    w = tensor_workload(name, path, path,
                        spec.labels.empty() ? std::string() : resolve_path(spec.labels, ctx));
  } else {
    throw std::invalid_argument(fmt::format(
        "unknown workload \"{}\": the built-in sets are {}; or give a file: .jsonl prompts or "
        ".npy tensors",
        name, builtin_names()));
  }
  if (ctx.model_kind) check_fits(w, *ctx.model_kind, ctx.model_name);
  return w;
}

void check_fits(const Workload& workload, WorkloadKind model, const std::string& model_name) {
  if (workload.kind == model) return;
  const std::string who =
      model_name.empty() ? std::string("the model") : fmt::format("model {}", model_name);
  throw std::invalid_argument(
      fmt::format("workload {} holds {} items, which {} ({}) cannot run; {}", workload.name,
                  to_string(workload.kind), who, to_string(model), kinds_use(model)));
}

const TextItem& text_item(const Workload& w, std::size_t request) {
  if (w.kind != WorkloadKind::kText || w.text.empty()) {
    throw std::logic_error(fmt::format("workload {} has no text prompts", w.name));
  }
  return w.text[request % w.text.size()];
}

const ImageItem& image_item(const Workload& w, std::size_t request) {
  if (w.kind != WorkloadKind::kOcr || w.images.empty()) {
    throw std::logic_error(fmt::format("workload {} has no images", w.name));
  }
  return w.images[request % w.images.size()];
}

TensorBatch tensor_batch(const Workload& w, const std::string& input_name, std::size_t request,
                         std::int64_t rows) {
  if (w.kind != WorkloadKind::kTensor || w.size() == 0) {
    throw std::logic_error(fmt::format("workload {} has no tensor rows", w.name));
  }
  const auto n = static_cast<std::int64_t>(w.size());
  if (rows <= 0) rows = n;
  const std::int64_t start = static_cast<std::int64_t>(
      (static_cast<unsigned long long>(request) * static_cast<unsigned long long>(rows)) %
      static_cast<unsigned long long>(n));
  // Contiguous runs of rows [start, n) and [0, ...) until `rows` are taken.
  auto gather = [&](const engine::Tensor& t) {
    if (start + rows <= n) return run::slice_rows(t, start, start + rows);
    engine::Tensor out = t;
    out.shape[0] = rows;
    const std::size_t row = t.element_count() / static_cast<std::size_t>(n);
    out.f32.clear();
    out.i64.clear();
    std::int64_t taken = 0, at = start;
    while (taken < rows) {
      const std::int64_t take = std::min(rows - taken, n - at);
      const auto b = static_cast<std::size_t>(at) * row,
                 e = static_cast<std::size_t>(at + take) * row;
      if (t.dtype == engine::DType::kFloat32) {
        out.f32.insert(out.f32.end(), t.f32.begin() + static_cast<std::ptrdiff_t>(b),
                       t.f32.begin() + static_cast<std::ptrdiff_t>(e));
      } else {
        out.i64.insert(out.i64.end(), t.i64.begin() + static_cast<std::ptrdiff_t>(b),
                       t.i64.begin() + static_cast<std::ptrdiff_t>(e));
      }
      taken += take;
      at = 0;
    }
    return out;
  };
  TensorBatch b;
  b.inputs.emplace(input_name, gather(w.inputs));
  if (w.labels) b.labels = gather(*w.labels);
  return b;
}

// ---- Quality ----------------------------------------------------------------------------------

double log_softmax_at(std::span<const float> logits, std::int64_t index) {
  if (logits.empty()) throw std::invalid_argument("log_softmax_at: no logits");
  if (index < 0 || static_cast<std::size_t>(index) >= logits.size()) {
    throw std::invalid_argument(
        fmt::format("log_softmax_at: token {} is outside the {} logits", index, logits.size()));
  }
  double m = -std::numeric_limits<double>::infinity();
  for (float x : logits) {
    if (std::isnan(x)) return std::numeric_limits<double>::quiet_NaN();
    m = std::max(m, static_cast<double>(x));
  }
  if (!std::isfinite(m)) return std::numeric_limits<double>::quiet_NaN();  // +inf, or all -inf
  double s = 0;
  for (float x : logits) s += std::exp(static_cast<double>(x) - m);
  return (static_cast<double>(logits[static_cast<std::size_t>(index)]) - m) - std::log(s);
}

double LogLikelihood::mean() const {
  return tokens > 0 ? sum / tokens : std::numeric_limits<double>::quiet_NaN();
}

LogLikelihood reference_loglik(engine::TextModel& model, const std::string& prompt,
                               const std::string& reference, int max_tokens) {
  if (max_tokens < 1) {
    throw std::invalid_argument(
        fmt::format("reference_loglik: max_tokens must be >= 1, got {}", max_tokens));
  }
  LogLikelihood ll;
  if (reference.empty()) return ll;
  const std::vector<engine::Token> whole = model.tokenize(prompt + reference);
  const std::vector<engine::Token> context = model.tokenize(prompt);
  std::size_t lcp = 0;
  while (lcp < whole.size() && lcp < context.size() && whole[lcp] == context[lcp]) ++lcp;
  lcp = std::max<std::size_t>(lcp, 1);  // the first token has nothing before it
  const std::size_t end = std::min(whole.size(), lcp + static_cast<std::size_t>(max_tokens));
  // Engines refuse a prompt that fills the whole context (llama: no room for the next token).
  const auto window = static_cast<std::size_t>(std::max(1, model.context_length() - 1));
  const auto vocab = static_cast<std::size_t>(model.vocab_size());
  for (std::size_t t = lcp; t < end; ++t) {
    const std::size_t begin = t > window ? t - window : 0;
    const std::vector<float> logits =
        model.next_logits(std::span<const engine::Token>(whole.data() + begin, t - begin));
    if (logits.size() != vocab) {
      throw std::invalid_argument(
          fmt::format("reference_loglik: next_logits gave {} logits, the vocabulary has {}",
                      logits.size(), vocab));
    }
    ll.sum += log_softmax_at(logits, whole[t]);
    ++ll.tokens;
  }
  return ll;
}

void TextQuality::add(const LogLikelihood& ll) {
  if (ll.tokens == 0) return;
  ++items;
  tokens += static_cast<std::size_t>(ll.tokens);
  loglik_sum += ll.sum;
}

double TextQuality::mean_loglik() const {
  return tokens > 0 ? loglik_sum / static_cast<double>(tokens)
                    : std::numeric_limits<double>::quiet_NaN();
}

double TextQuality::perplexity() const {
  return std::exp(-mean_loglik());
}

TextQuality score_text(engine::TextModel& model, const Workload& w, int max_tokens) {
  TextQuality q;
  for (const auto& item : w.text) {
    if (!item.reference.empty())
      q.add(reference_loglik(model, item.prompt, item.reference, max_tokens));
  }
  return q;
}

void ClassifierQuality::add(const engine::Tensor& scores, const engine::Tensor& labels) {
  const double share = run::argmax_accuracy(scores, labels);
  const auto rows = static_cast<std::size_t>(labels.shape.empty() ? 0 : labels.shape[0]);
  items += rows;
  correct += static_cast<std::size_t>(std::llround(share * static_cast<double>(rows)));
}

double ClassifierQuality::accuracy() const {
  return items > 0 ? static_cast<double>(correct) / static_cast<double>(items)
                   : std::numeric_limits<double>::quiet_NaN();
}

}  // namespace wattserve::bench
