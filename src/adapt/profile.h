// Performance and power profiles of served model variants (docs/adapt.md "Profiles"): what
// `wattserve plan profile` fits from bench datasets and what the planner and the simulator read.
// One VariantProfile per model variant x engine x provider x threads x parallel slots (or
// batch): a decode step's time as a linear function of the sequences and prompt tokens in the
// step, a prefill time linear in prompt tokens, power while busy and idle, and quality. Plain
// data plus the few formulas that evaluate it; JSON in and out (schemas/profiles.schema.json).
#pragma once

#include <string>
#include <vector>

namespace wattserve::adapt {

inline constexpr int kProfilesSchemaVersion = 1;

// A fitted linear model's quality: R² on the fitting data, the number of points, and the mean
// absolute percentage error on held-out points (NaN when there were too few to hold any out).
struct FitQuality {
  double r2 = 0;
  int points = 0;
  double holdout_mape = 0;  // fraction: 0.05 = 5 %
  std::string data;         // where the points came from, e.g. "engines: 150 runs, 1,200 requests"
};

// Time of one decode step (seconds) of a continuous-batching engine:
//   t(b, k) = base_s + per_sequence_s * b + per_prompt_token_s * k
// b = sequences in the step (>= 1), k = prompt tokens decoded in it beyond one per sequence.
// A one-at-a-time engine (or a tensor model's batch) is the same with k = 0 and b = batch.
struct StepTimeModel {
  double base_s = 0;
  double per_sequence_s = 0;
  double per_prompt_token_s = 0;
  int max_batch_seen = 1;  // the largest b in the fitting data (beyond it is extrapolation)
  FitQuality fit;
  double seconds(double sequences, double prompt_tokens) const {
    return base_s + per_sequence_s * sequences + per_prompt_token_s * prompt_tokens;
  }
};

// Time from a request's start to its first token when it runs alone (seconds):
//   t(n) = base_s + per_token_s * n,   n = prompt tokens.
struct PrefillModel {
  double base_s = 0;
  double per_token_s = 0;
  FitQuality fit;
  double seconds(double prompt_tokens) const { return base_s + per_token_s * prompt_tokens; }
};

// Machine power (W) as a function of load: idle_w when nothing runs; while a step runs,
//   P(b) = idle_w + busy_w + per_sequence_w * b.
// On a machine whose energy is an estimate from CPU utilisation (these VMs) this is that
// estimate's model, not a measured power curve: `source` says which.
struct PowerModel {
  double idle_w = 0;
  double busy_w = 0;
  double per_sequence_w = 0;
  std::string source;  // "counter", "integrated", "estimate" (as the datasets' energy_source)
  FitQuality fit;
  double watts(double sequences) const {
    return sequences > 0 ? idle_w + busy_w + per_sequence_w * sequences : idle_w;
  }
};

struct VariantProfile {
  std::string id;        // unique: "pycode-tiny/q8_0/llama/cpu/t2/p8"
  std::string family;    // model family without size: "pycode"
  std::string model;     // zoo name: "pycode-tiny"
  std::string size;      // "tiny"
  std::string quant;     // "q8_0", "f32", ...
  std::string engine;    // "llama", "onnx", "torch"
  std::string provider;  // "cpu", "cuda"
  std::string kind;      // "text" (generation) or "tensor" (one pass per batch)
  int threads = 1;       // cores one replica uses
  int parallel = 1;      // continuous-batching slots (text) or the batch size measured (tensor)
  int context = 0;       // tokens per slot (text), 0 unknown
  StepTimeModel step;
  PrefillModel prefill;
  PowerModel power;
  // Quality of the variant, higher is better, in [0, 1] where known (accuracy, or
  // exp(mean log-likelihood per token) against the reference continuation); NaN unknown.
  double quality = 0;
  std::string quality_metric;  // "accuracy", "reference_token_likelihood", "" unknown
  // Mean energy per request measured in the datasets (J), for reference; NaN unknown.
  double measured_joules_per_request = 0;
  // Run ids held out of the fits (their error is the held-out error); `simulate --validate`
  // marks them.
  std::vector<std::string> holdout_runs;
};

struct Profiles {
  int schema_version = kProfilesSchemaVersion;
  std::string machine;                // cpu model, cores, as the records say
  int cores = 0;                      // cores of the machine the profiles were measured on
  std::string energy_source;          // weakest source among the datasets
  std::vector<std::string> datasets;  // folders fitted from
  std::vector<VariantProfile> variants;
  const VariantProfile* find(const std::string& id) const;
};

// JSON (schemas/profiles.schema.json). from_json throws std::invalid_argument naming the first
// bad field.
std::string profiles_to_json(const Profiles& p);
Profiles profiles_from_json(const std::string& text, const std::string& name);
// Reads a profiles file; std::invalid_argument "PATH: ..." when unreadable or invalid.
Profiles load_profiles(const std::string& path);

// A variant's id: "MODEL/QUANT/ENGINE/PROVIDER/tTHREADS/pPARALLEL".
std::string variant_id(const std::string& model, const std::string& quant,
                       const std::string& engine, const std::string& provider, int threads,
                       int parallel);
// The quantisation a zoo entry's name ends with ("pycode-tiny-gguf-q8_0" -> "q8_0"; f32, f16,
// bf16, qN...), else "f32" (ONNX and TorchScript files are f32).
std::string quant_of_entry(const std::string& entry_name);

// One entry of serve's --adapt-variants and bench's serve.adapt_variants, "QUANT[:THREADS]".
struct VariantSpec {
  std::string quant;
  int threads = 0;  // 0: not given (the served model's)
};
// Parses "QUANT[:THREADS]"; std::invalid_argument naming the entry when the quant is empty or the
// threads are not an integer >= 1.
VariantSpec parse_variant_spec(const std::string& entry);
// A comma-separated list of them (empty entries skipped).
std::vector<VariantSpec> parse_variant_specs(const std::string& list);

// Why a profile cannot drive the simulator or the controller for text generation ("" when it
// can): not a text variant, fewer than 1 slot, or a step, prefill or power coefficient that is
// not a finite number in range (times in [0, 3600] s, watts in [0, 1e6]).
std::string unusable_for_text(const VariantProfile& v);

// Expected time a request of `input_tokens` prompt and `output_tokens` output occupies a slot
// when `sequences` sequences share the steps: prefill + output_tokens * step(sequences, 0).
double request_service_s(const VariantProfile& v, double input_tokens, double output_tokens,
                         double sequences);

}  // namespace wattserve::adapt
