// Workloads of `wattserve bench` (src/bench/workload.h): the built-in sets load, user files fail
// with errors that name the file and line, tensor requests cycle through the rows, and the
// quality measures match hand-computed values (log-likelihood on a fake TextModel with fixed
// logits; on the zoo's pycode-tiny, a finite perplexity near its held-out figure).
#include "bench/workload.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>

#include "engine/engines.h"

namespace wattserve::bench {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

std::string temp_file(const std::string& name, const std::string& content) {
  const fs::path p = fs::temp_directory_path() / ("wattserve_workload_" + name);
  std::ofstream(p, std::ios::binary) << content;
  return p.string();
}

// A v1 .npy file as numpy.save writes it.
std::string write_npy(const std::string& name, const std::string& dict, const std::string& data) {
  std::string header = dict;
  while ((10 + header.size() + 1) % 64 != 0) header += ' ';
  header += '\n';
  std::string s = "\x93NUMPY";
  s += '\x01';
  s += '\x00';
  s += static_cast<char>(header.size() & 0xff);
  s += static_cast<char>(header.size() >> 8);
  return temp_file(name, s + header + data);
}

template <typename T>
std::string bytes_of(std::initializer_list<T> values) {
  std::string s;
  for (T v : values) s.append(reinterpret_cast<const char*>(&v), sizeof(T));
  return s;
}

std::string error_of(const WorkloadSpec& spec, const WorkloadContext& ctx = {}) {
  try {
    load_workload(spec, ctx);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "(no error)";
}

WorkloadSpec spec_of(const std::string& prompts, const std::string& labels = "") {
  WorkloadSpec s;
  s.prompts = prompts;
  s.labels = labels;
  return s;
}

bool zoo_has(const std::string& relative) {
  return fs::exists(fs::path(WATTSERVE_ZOO_DIR) / relative);
}

WorkloadContext zoo_context() {
  WorkloadContext ctx;
  ctx.zoo_dir = WATTSERVE_ZOO_DIR;
  return ctx;
}

// ---- Built-in sets ----------------------------------------------------------------------------

TEST(Workload, BuiltinPycodeCompletionHasReferencesFromTheHeldOutSplit) {
  const Workload w = load_workload(spec_of("pycode-completion"));
  EXPECT_EQ(w.name, "pycode-completion");
  EXPECT_EQ(w.origin, "built-in");
  EXPECT_EQ(w.kind, WorkloadKind::kText);
  ASSERT_EQ(w.size(), 64u);
  EXPECT_TRUE(w.has_reference());
  std::set<std::string> ids;
  for (const auto& t : w.text) {
    ids.insert(t.id);
    EXPECT_FALSE(t.prompt.empty());
    EXPECT_FALSE(t.reference.empty()) << t.id;
    EXPECT_LE(t.reference.size(), 64u * 4) << t.id;  // <= 64 code points
    EXPECT_THAT(t.source, ::testing::MatchesRegex(R"([A-Za-z0-9_/]+\.py:[0-9]+)")) << t.id;
  }
  EXPECT_EQ(ids.size(), 64u);
  // The held-out split of models/text/build_corpus.py (sha256(relpath) % 100 < 5): ast.py is in
  // it, and the first prompt is cut from it.
  EXPECT_THAT(w.text[0].source, HasSubstr("ast.py:"));
}

TEST(Workload, BuiltinChatHasNoReference) {
  const Workload w = load_workload(spec_of("chat"));
  EXPECT_EQ(w.kind, WorkloadKind::kText);
  ASSERT_EQ(w.size(), 32u);
  EXPECT_FALSE(w.has_reference());
  EXPECT_EQ(w.text[0].id, "chat-000");
  EXPECT_EQ(text_item(w, 33).id, "chat-001");  // requests cycle through the prompts
}

TEST(Workload, BuiltinFashionMnistFromTheZoo) {
  if (!zoo_has("manifest.json")) GTEST_SKIP() << "no model zoo at " << WATTSERVE_ZOO_DIR;
  const Workload w = load_workload(spec_of("fmnist-test"), zoo_context());
  EXPECT_EQ(w.kind, WorkloadKind::kTensor);
  EXPECT_EQ(w.inputs.shape, (std::vector<std::int64_t>{64, 1, 28, 28}));
  ASSERT_TRUE(w.labels.has_value());
  EXPECT_EQ(w.labels->shape, (std::vector<std::int64_t>{64}));
  // models/classifier/data/README.md: the first labels are 9 2 1 1 6 1 4 6.
  EXPECT_EQ(std::vector<std::int64_t>(w.labels->i64.begin(), w.labels->i64.begin() + 8),
            (std::vector<std::int64_t>{9, 2, 1, 1, 6, 1, 4, 6}));

  // From the zoo entry of the model being run, as the runner passes it.
  WorkloadContext ctx = zoo_context();
  for (const auto& e : zoo::read_manifest(WATTSERVE_ZOO_DIR)) {
    if (e.model == "fmnist-cnn-tiny") ctx.entry = e;
  }
  ASSERT_TRUE(ctx.entry.has_value());
  ctx.model_kind = workload_kind_for(ctx.entry->kind);
  const Workload from_entry = load_workload(WorkloadSpec{}, ctx);  // the tensor default
  EXPECT_EQ(from_entry.name, "fmnist-test");
  EXPECT_EQ(from_entry.inputs.f32, w.inputs.f32);
}

TEST(Workload, BuiltinOcrImagesFromTheZoo) {
  if (!zoo_has("ocr/images/labels.json")) GTEST_SKIP() << "no OCR images in the zoo";
  const Workload w = load_workload(spec_of("ocr-images"), zoo_context());
  EXPECT_EQ(w.kind, WorkloadKind::kOcr);
  ASSERT_EQ(w.size(), 20u);
  EXPECT_TRUE(w.has_reference());
  for (const auto& img : w.images) {
    EXPECT_TRUE(fs::exists(img.file)) << img.file;
    EXPECT_FALSE(img.text.empty());
  }
  EXPECT_EQ(w.images[0].text, "HELLO WORLD");
}

TEST(Workload, EmptyPromptsTakeTheModelsDefault) {
  WorkloadContext ctx;
  ctx.model_kind = WorkloadKind::kText;
  EXPECT_EQ(load_workload(WorkloadSpec{}, ctx).name, "pycode-completion");
  EXPECT_EQ(std::string(default_workload(WorkloadKind::kTensor)), "fmnist-test");
  EXPECT_EQ(std::string(default_workload(WorkloadKind::kOcr)), "ocr-images");
  EXPECT_THAT(error_of(WorkloadSpec{}), HasSubstr("workload.prompts is empty"));
}

TEST(Workload, UnknownNameListsTheBuiltinSets) {
  const std::string e = error_of(spec_of("pycode-completions"));
  EXPECT_THAT(e, HasSubstr("unknown workload \"pycode-completions\""));
  for (const auto& b : builtin_workloads()) EXPECT_THAT(e, HasSubstr(b.name));
  EXPECT_THAT(e, HasSubstr(".jsonl"));
}

TEST(Workload, ChecksTheModelKind) {
  WorkloadContext ctx;
  ctx.model_kind = WorkloadKind::kTensor;
  ctx.model_name = "fmnist-cnn-tiny";
  const std::string e = error_of(spec_of("chat"), ctx);
  EXPECT_THAT(e, HasSubstr("workload chat holds text items"));
  EXPECT_THAT(e, HasSubstr("model fmnist-cnn-tiny"));
  EXPECT_THAT(e, HasSubstr("\"fmnist-test\""));
  const Workload text = load_workload(spec_of("chat"));
  EXPECT_NO_THROW(check_fits(text, WorkloadKind::kText));
  try {
    check_fits(text, WorkloadKind::kOcr, "ppocr-v4");
    FAIL();
  } catch (const std::invalid_argument& ex) {
    EXPECT_THAT(ex.what(), HasSubstr("\"ocr-images\""));
  }
  EXPECT_EQ(workload_kind_for(engine::ModelKind::kTextGeneration), WorkloadKind::kText);
  EXPECT_EQ(workload_kind_for(std::string("ocr")), WorkloadKind::kOcr);
  EXPECT_THROW(workload_kind_for(std::string("audio")), std::invalid_argument);
}

TEST(Workload, ValidatesTheSpec) {
  WorkloadSpec s;
  EXPECT_NO_THROW(validate(s));
  s.requests = 0;
  EXPECT_THROW(validate(s), std::invalid_argument);
  s.requests = 1;
  s.min_duration_s = -1;
  EXPECT_THROW(validate(s), std::invalid_argument);
  s.min_duration_s = std::nan("");
  EXPECT_THROW(validate(s), std::invalid_argument);
}

// ---- User files -------------------------------------------------------------------------------

TEST(Workload, UserJsonl) {
  const std::string path =
      temp_file("ok.jsonl",
                "{\"prompt\": \"def f(x):\\n    \", \"reference\": \"return x\"}\n"
                "\n"
                "{\"id\": \"q2\", \"prompt\": \"Hello\", \"extra\": 1}\r\n");
  const Workload w = load_workload(spec_of(path));
  EXPECT_EQ(w.kind, WorkloadKind::kText);
  EXPECT_EQ(w.origin, path);
  ASSERT_EQ(w.size(), 2u);
  EXPECT_EQ(w.text[0].id, "line-1");
  EXPECT_EQ(w.text[0].prompt, "def f(x):\n    ");
  EXPECT_EQ(w.text[0].reference, "return x");
  EXPECT_EQ(w.text[1].id, "q2");
  EXPECT_EQ(w.text[1].reference, "");
  EXPECT_TRUE(w.has_reference());
}

TEST(Workload, UserJsonlRelativeToBaseDir) {
  temp_file("rel.jsonl", "{\"prompt\": \"x\"}\n");
  WorkloadContext ctx;
  ctx.base_dir = fs::temp_directory_path().string();
  const Workload w = load_workload(spec_of("wattserve_workload_rel.jsonl"), ctx);
  EXPECT_EQ(w.origin, (fs::temp_directory_path() / "wattserve_workload_rel.jsonl").string());
}

TEST(Workload, UserJsonlErrorsNameTheLine) {
  struct Case {
    std::string content, expected;
  };
  const std::vector<Case> cases = {
      {"{\"prompt\": \"a\"}\n{\"prompt\": \"b\"}\n[1, 2]\n", ":3: not a JSON object"},
      {"{\"prompt\": \"a\"}\n{\"prompt\": 7}\n", ":2: needs a string \"prompt\""},
      {"{\"text\": \"a\"}\n", ":1: needs a string \"prompt\""},
      {"\n\n{\"prompt\": \"a\", \"reference\": 3}\n", ":3: \"reference\" must be a string"},
      {"{\"prompt\": \"a\", \"id\": 3}\n", ":1: \"id\" must be a string"},
      {"{\"prompt\": \"\"}\n", ":1: \"prompt\" is empty"},
      {"{\"prompt\": \"a\"}\n{\"prompt\": \"b\"\n", ":2: not JSON"},
      {"\n  \n", ": no prompts"},
  };
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const std::string path = temp_file("bad" + std::to_string(i) + ".jsonl", cases[i].content);
    const std::string e = error_of(spec_of(path));
    EXPECT_THAT(e, HasSubstr(path + cases[i].expected)) << "case " << i;
  }
}

TEST(Workload, UserFileErrors) {
  EXPECT_THAT(error_of(spec_of("/nonexistent/prompts.jsonl")),
              HasSubstr("/nonexistent/prompts.jsonl: cannot read the prompts file"));
  EXPECT_THAT(error_of(spec_of("/nonexistent/rows.npy")), HasSubstr("/nonexistent/rows.npy"));
  EXPECT_THAT(error_of(spec_of("prompts.txt")), HasSubstr("unknown workload \"prompts.txt\""));
  const std::string jsonl = temp_file("labels.jsonl", "{\"prompt\": \"a\"}\n");
  EXPECT_THAT(error_of(spec_of(jsonl, "/tmp/labels.npy")),
              HasSubstr("workload.labels is for a .npy workload"));
  EXPECT_THAT(error_of(spec_of("chat", "/tmp/labels.npy")), HasSubstr("brings its own"));
}

TEST(Workload, UserNpyWithLabels) {
  const std::string rows =
      write_npy("rows.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 2), }",
                bytes_of<float>({0, 1, 2, 3, 4, 5}));
  const std::string labels =
      write_npy("labels.npy", "{'descr': '<i8', 'fortran_order': False, 'shape': (3,), }",
                bytes_of<std::int64_t>({1, 0, 1}));
  const Workload w = load_workload(spec_of(rows, labels));
  EXPECT_EQ(w.kind, WorkloadKind::kTensor);
  EXPECT_EQ(w.size(), 3u);
  ASSERT_TRUE(w.labels.has_value());
  EXPECT_EQ(w.labels->i64, (std::vector<std::int64_t>{1, 0, 1}));

  // Request 1 of 2 rows: rows 2 and 0 (wrapping around), with their labels.
  const TensorBatch b = tensor_batch(w, "x", 1, 2);
  ASSERT_EQ(b.inputs.count("x"), 1u);
  EXPECT_EQ(b.inputs.at("x").shape, (std::vector<std::int64_t>{2, 2}));
  EXPECT_EQ(b.inputs.at("x").f32, (std::vector<float>{4, 5, 0, 1}));
  ASSERT_TRUE(b.labels.has_value());
  EXPECT_EQ(b.labels->i64, (std::vector<std::int64_t>{1, 1}));
  EXPECT_EQ(tensor_batch(w, "x", 0, 2).inputs.at("x").f32, (std::vector<float>{0, 1, 2, 3}));
  EXPECT_EQ(tensor_batch(w, "x", 5, 0).inputs.at("x").shape[0], 3);  // 0: all rows
  EXPECT_EQ(tensor_batch(w, "x", 0, 7).inputs.at("x").shape[0], 7);  // more rows than N: cycles

  const std::string long_labels =
      write_npy("labels4.npy", "{'descr': '<i8', 'fortran_order': False, 'shape': (4,), }",
                bytes_of<std::int64_t>({1, 0, 1, 1}));
  EXPECT_THAT(error_of(spec_of(rows, long_labels)), HasSubstr("need shape [3]"));
  const std::string float_labels =
      write_npy("flabels.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }",
                bytes_of<float>({1, 0, 1}));
  EXPECT_THAT(error_of(spec_of(rows, float_labels)), HasSubstr("need integer class ids"));
  const std::string empty =
      write_npy("empty.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (0, 2), }", "");
  EXPECT_THAT(error_of(spec_of(empty)), HasSubstr("at least one row"));
  const std::string garbage = temp_file("garbage.npy", "not numpy");
  EXPECT_THAT(error_of(spec_of(garbage)), HasSubstr("tensor workload (" + garbage + ")"));
}

// ---- Quality ----------------------------------------------------------------------------------

TEST(Quality, LogSoftmaxIsStable) {
  const std::vector<float> logits = {0, 1, 2, 3};
  const double lse = std::log(1 + std::exp(1.0) + std::exp(2.0) + std::exp(3.0));
  EXPECT_NEAR(log_softmax_at(logits, 2), 2 - lse, 1e-12);
  const std::vector<float> big = {1000, 1001, 1002, 1003};  // exp() alone would overflow
  EXPECT_NEAR(log_softmax_at(big, 2), 2 - lse, 1e-12);
  const std::vector<float> masked = {-INFINITY, 0, 0};
  EXPECT_NEAR(log_softmax_at(masked, 1), std::log(0.5), 1e-12);
  EXPECT_EQ(log_softmax_at(masked, 0), -INFINITY);
  EXPECT_TRUE(std::isnan(log_softmax_at(std::vector<float>{NAN, 0}, 1)));
  EXPECT_THROW(log_softmax_at(logits, 4), std::invalid_argument);
  EXPECT_THROW(log_softmax_at(std::vector<float>{}, 0), std::invalid_argument);
}

// Characters 'a'..'d' are tokens 0..3 (no BOS); next_logits returns fixed logits {0, 1, 2, 3}
// whatever the prompt, and records the prompts it saw.
class FakeTextModel final : public engine::TextModel {
 public:
  explicit FakeTextModel(int context = 64) : context_(context) {}
  std::string provider() const override { return "cpu"; }
  std::vector<engine::Token> tokenize(std::string_view text, bool, bool) const override {
    std::vector<engine::Token> out;
    for (char c : text) out.push_back(c - 'a');
    return out;
  }
  std::string detokenize(std::span<const engine::Token> tokens, bool, bool) const override {
    std::string s;
    for (auto t : tokens) s += static_cast<char>('a' + t);
    return s;
  }
  int vocab_size() const override { return 4; }
  int context_length() const override { return context_; }
  std::vector<float> next_logits(std::span<const engine::Token> prompt) override {
    seen.emplace_back(prompt.begin(), prompt.end());
    return {0, 1, 2, 3};
  }
  engine::GenerateResult generate(std::span<const engine::Token>, const engine::SamplingParams&,
                                  const engine::TokenCallback&) override {
    return {};
  }
  std::vector<std::vector<engine::Token>> seen;

 private:
  int context_;
};

TEST(Quality, ReferenceLogLikelihoodByHand) {
  FakeTextModel m;
  const double lse = std::log(1 + std::exp(1.0) + std::exp(2.0) + std::exp(3.0));
  // Prompt "ab", reference "cd": ln p(c | ab) + ln p(d | abc) = (2 - lse) + (3 - lse).
  const LogLikelihood ll = reference_loglik(m, "ab", "cd");
  EXPECT_EQ(ll.tokens, 2);
  EXPECT_NEAR(ll.sum, 5 - 2 * lse, 1e-9);
  EXPECT_NEAR(ll.mean(), (5 - 2 * lse) / 2, 1e-9);
  ASSERT_EQ(m.seen.size(), 2u);
  EXPECT_EQ(m.seen[0], (std::vector<engine::Token>{0, 1}));
  EXPECT_EQ(m.seen[1], (std::vector<engine::Token>{0, 1, 2}));

  // The cap: only the first max_tokens tokens of the reference.
  EXPECT_EQ(reference_loglik(m, "ab", "dddddd", 3).tokens, 3);
  EXPECT_NEAR(reference_loglik(m, "ab", "dddddd", 3).sum, 3 * (3 - lse), 1e-9);
  EXPECT_EQ(reference_loglik(m, "a", std::string(100, 'a')).tokens, kReferenceTokenCap);
  EXPECT_EQ(reference_loglik(m, "ab", "").tokens, 0);
  EXPECT_TRUE(std::isnan(reference_loglik(m, "ab", "").mean()));
  EXPECT_THROW(reference_loglik(m, "ab", "cd", 0), std::invalid_argument);

  // A context of 3 tokens: each token is scored after at most the 2 tokens before it.
  FakeTextModel small(3);
  EXPECT_EQ(reference_loglik(small, "abc", "dd").tokens, 2);
  ASSERT_EQ(small.seen.size(), 2u);
  EXPECT_EQ(small.seen[0], (std::vector<engine::Token>{1, 2}));
  EXPECT_EQ(small.seen[1], (std::vector<engine::Token>{2, 3}));
}

TEST(Quality, TextQualityPoolsTokens) {
  FakeTextModel m;
  Workload w;
  w.kind = WorkloadKind::kText;
  w.text = {{"1", "ab", "c", ""}, {"2", "ab", "", ""}, {"3", "a", "ddd", ""}};
  const TextQuality q = score_text(m, w);
  const double lse = std::log(1 + std::exp(1.0) + std::exp(2.0) + std::exp(3.0));
  EXPECT_EQ(q.items, 2u);  // item 2 has no reference
  EXPECT_EQ(q.tokens, 4u);
  const double mean = ((2 - lse) + 3 * (3 - lse)) / 4;
  EXPECT_NEAR(q.mean_loglik(), mean, 1e-9);
  EXPECT_NEAR(q.perplexity(), std::exp(-mean), 1e-9);
  EXPECT_TRUE(std::isnan(TextQuality{}.perplexity()));
}

TEST(Quality, ClassifierAccuracyOverBatches) {
  ClassifierQuality q;
  EXPECT_TRUE(std::isnan(q.accuracy()));
  engine::Tensor scores{{2, 3}, engine::DType::kFloat32, {0, 5, 1, 9, 0, 0}, {}};
  engine::Tensor labels{{2}, engine::DType::kInt64, {}, {1, 2}};
  q.add(scores, labels);  // row 0 right (argmax 1), row 1 wrong (argmax 0)
  engine::Tensor one{{1, 3}, engine::DType::kFloat32, {0, 0, 7}, {}};
  engine::Tensor one_label{{1}, engine::DType::kInt64, {}, {2}};
  q.add(one, one_label);
  EXPECT_EQ(q.items, 3u);
  EXPECT_EQ(q.correct, 2u);
  EXPECT_DOUBLE_EQ(q.accuracy(), 2.0 / 3.0);
  EXPECT_THROW(q.add(scores, one_label), std::invalid_argument);
}

// The zoo's pycode-tiny on the built-in completions: a finite perplexity of the magnitude of its
// held-out figure (61 per token, models/README.md), far below the 4096 of a uniform guess.
TEST(Quality, PycodeTinyPerplexityIsPlausible) {
#ifndef WATTSERVE_TEST_HAVE_LLAMA
  GTEST_SKIP() << "built without the llama engine";
#else
  if (!zoo_has("text/pycode-tiny-f32.gguf")) GTEST_SKIP() << "no pycode-tiny in the zoo";
  engine::LoadOptions o;
  o.threads = 1;
  o.f32_kv_cache = true;
  auto model = engine::load_engine("llama", WATTSERVE_TEST_PLUGIN_DIR)
                   .load((fs::path(WATTSERVE_ZOO_DIR) / "text/pycode-tiny-f32.gguf").string(), o);
  Workload w = load_workload(spec_of("pycode-completion"));
  w.text.resize(4);  // 4 x 8 next_logits() calls of ~200 tokens each
  const TextQuality q = score_text(model->text(), w, 8);
  EXPECT_EQ(q.items, 4u);
  EXPECT_GE(q.tokens, 4u * 4);
  EXPECT_LE(q.tokens, 4u * 8);
  RecordProperty("perplexity", std::to_string(q.perplexity()));
  EXPECT_TRUE(std::isfinite(q.perplexity()));
  EXPECT_LT(q.mean_loglik(), 0);
  EXPECT_GT(q.perplexity(), 1.0);
  EXPECT_LT(q.perplexity(), 400.0) << "mean log-likelihood " << q.mean_loglik();
#endif
}

}  // namespace
}  // namespace wattserve::bench
