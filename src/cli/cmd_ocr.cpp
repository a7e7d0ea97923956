// `wattserve ocr [--models DIR] IMAGE...` prints the text lines PP-OCRv4 reads in each image;
// `wattserve ocr [--models DIR] --eval LABELS.json` runs every labelled image and reports the
// exact-line and character accuracy and the images per second (models/ocr/README.md), as text
// or --json, and -o FILE writes the JSON report atomically. Exit codes: 0 done, 2 bad
// arguments or inputs (missing files, unreadable images, unknown provider), 1 the engine failed.
#include <fmt/format.h>

#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>

#include "cli/commands.h"
#include "cli/model_options.h"
#include "cli/text_output.h"
#include "energy/core/atomic_file.h"
#include "engine/engines.h"
#include "model/model_spec.h"
#include "ocr/evaluate.h"
#include "ocr/ocr.h"
#include "zoo/zoo.h"

namespace wattserve::cli {

namespace {

namespace fs = std::filesystem;

struct OcrFlags {
  std::string models, eval, output;
  std::vector<std::string> images;
  model::ModelSpec spec = model::default_model_spec();  // provider and threads
  int max_side = 960;
  bool json = false;
};

nlohmann::json lines_json(const std::vector<ocr::TextLine>& lines) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& l : lines) {
    nlohmann::json box = nlohmann::json::array();
    for (const auto& p : l.box) box.push_back({p.x, p.y});
    out.push_back({{"text", l.text}, {"score", l.score}, {"box", box}, {"box_score", l.box_score}});
  }
  return out;
}

std::string relative_to(const std::string& file, const std::string& labels) {
  const auto rel = fs::path(file).lexically_relative(fs::path(labels).parent_path());
  return rel.empty() ? file : rel.string();
}

nlohmann::json eval_json(const OcrFlags& f, const ocr::EvalReport& r) {
  nlohmann::json items = nlohmann::json::array();
  for (const auto& it : r.items) {
    items.push_back({{"file", relative_to(it.file, f.eval)},
                     {"expected", it.expected},
                     {"predicted", it.predicted},
                     {"exact", it.exact},
                     {"edits", it.edits},
                     {"chars", it.chars},
                     {"seconds", it.seconds}});
  }
  return {{"images", r.items.size()},
          {"exact", r.exact},
          {"exact_line_accuracy", r.exact_line_accuracy},
          {"edits", r.edits},
          {"chars", r.chars},
          {"character_accuracy", r.character_accuracy},
          {"seconds", r.seconds},
          {"items_per_s", r.items_per_s},
          {"formulas",
           {{"exact_line_accuracy",
             "images whose recognised lines, joined with single spaces, equal the label / images"},
            {"character_accuracy",
             "max(0, 1 - sum of Levenshtein distances (code points) / sum of label lengths)"},
            {"items_per_s", "images / seconds spent reading and recognising them"}}},
          {"items", items}};
}

void print_eval(const nlohmann::json& j) {
  fmt::print("wattserve ocr: {} images from {} ({} on {})\n", j["images"].get<std::size_t>(),
             j["labels"].get<std::string>(), j["engine"].get<std::string>(),
             j["provider"].get<std::string>());
  fmt::print("  exact-line accuracy  {:.4f} ({} of {} images read exactly)\n",
             j["exact_line_accuracy"].get<double>(), j["exact"].get<std::size_t>(),
             j["images"].get<std::size_t>());
  fmt::print("  character accuracy   {:.4f} (1 - {} edits / {} label characters)\n",
             j["character_accuracy"].get<double>(), j["edits"].get<std::size_t>(),
             j["chars"].get<std::size_t>());
  fmt::print("  throughput           {:.2f} images/s ({} images in {})\n",
             j["items_per_s"].get<double>(), j["images"].get<std::size_t>(),
             format_seconds(j["seconds"].get<double>()));
  for (const auto& it : j["items"]) {
    if (it["exact"].get<bool>()) continue;
    fmt::print("  {}: expected \"{}\", read \"{}\" ({} edits)\n", it["file"].get<std::string>(),
               it["expected"].get<std::string>(), it["predicted"].get<std::string>(),
               it["edits"].get<std::size_t>());
  }
}

int run_ocr(const OcrFlags& f) {
  const std::string models =
      f.models.empty() ? (fs::path(zoo::default_zoo_dir()) / "ocr").string() : f.models;
  if (f.eval.empty() == f.images.empty()) {
    eprint("wattserve ocr: give IMAGE... or --eval LABELS.json (not both)\n");
    return 2;
  }
  // Inputs are checked before the models load, so a typo fails fast.
  std::vector<ocr::LabeledImage> labelled;
  std::vector<cv::Mat> decoded;
  try {
    if (!f.output.empty()) {
      const fs::path dir = fs::absolute(f.output).parent_path();
      std::error_code ec;
      if (!fs::is_directory(dir, ec)) {
        throw std::invalid_argument(
            fmt::format("-o {}: no such folder {}", f.output, dir.string()));
      }
    }
    if (!f.eval.empty()) {
      labelled = ocr::read_labels(f.eval);
      for (const auto& l : labelled) {
        std::error_code ec;
        if (!fs::is_regular_file(l.file, ec)) {
          throw std::invalid_argument(
              fmt::format("{}: no such image file (listed in {})", l.file, f.eval));
        }
      }
    } else {
      for (const auto& img : f.images) decoded.push_back(ocr::read_image(img));
    }
  } catch (const std::exception& e) {
    eprint("wattserve ocr: {}\n", e.what());
    return 2;
  }

  ocr::OcrOptions o;
  o.provider = f.spec.provider;
  o.threads = f.spec.threads;
  o.det_max_side = f.max_side;
  std::unique_ptr<ocr::OcrPipeline> pipeline;
  try {
    pipeline = std::make_unique<ocr::OcrPipeline>(engine::load_engine("onnx"), models, o);
  } catch (const engine::EngineError& e) {
    eprint("wattserve ocr: {}\n", e.what());
    return model::is_user_error(e) ? 2 : 1;
  } catch (const std::invalid_argument& e) {
    eprint("wattserve ocr: {}\n", e.what());
    return 2;
  }

  nlohmann::json j;
  try {
    if (!f.eval.empty()) {
      j = eval_json(f, ocr::evaluate(*pipeline, labelled));
      j["labels"] = f.eval;
    } else {
      j["results"] = nlohmann::json::array();
      for (std::size_t i = 0; i < decoded.size(); ++i) {
        const auto lines = pipeline->recognize(decoded[i]);
        j["results"].push_back({{"file", f.images[i]},
                                {"text", ocr::joined_text(lines)},
                                {"lines", lines_json(lines)}});
      }
    }
  } catch (const std::invalid_argument& e) {
    eprint("wattserve ocr: {}\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    eprint("wattserve ocr: {}\n", e.what());
    return 1;
  }
  j["models"] = models;
  j["engine"] = "onnx";
  j["provider"] = pipeline->provider();
  j["det_max_side"] = f.max_side;

  if (!f.output.empty()) {
    try {
      energy::write_file_atomic(f.output, j.dump(2) + "\n");
    } catch (const std::exception& e) {
      eprint("wattserve ocr: {}\n", e.what());
      return 1;
    }
  }
  if (f.json) {
    fmt::print("{}\n", j.dump(2));
  } else if (!f.eval.empty()) {
    print_eval(j);
  } else {
    for (const auto& r : j["results"]) {
      if (j["results"].size() > 1) fmt::print("== {}\n", r["file"].get<std::string>());
      for (const auto& l : r["lines"]) fmt::print("{}\n", l["text"].get<std::string>());
    }
  }
  return 0;
}

}  // namespace

Command add_ocr(CLI::App& app) {
  auto f = std::make_shared<OcrFlags>();
  auto* sub = app.add_subcommand(
      "ocr",
      "Read the text in images with the PP-OCRv4 detector and recogniser (ONNX, on the onnx "
      "engine), or measure their accuracy on labelled images.\n"
      "  wattserve ocr scan.png               the lines of text, top to bottom\n"
      "  wattserve ocr --eval zoo/ocr/images/labels.json --json\n"
      "Exit codes: 0 done, 2 bad arguments or inputs, 1 the engine failed.");
  sub->add_option("images", f->images, "Image files (PNG, JPEG, ...) to read");
  sub->add_option("--models", f->models,
                  "Folder with the PP-OCRv4 files (models/ocr/fetch.sh DIR; default: ZOO/ocr)");
  sub->add_option("--eval", f->eval,
                  "Labels JSON (models/ocr/render.py): run every image and report the accuracy");
  add_field_flag(sub, "--provider", f->spec.provider, "provider",
                 "Execution provider of the onnx engine (`wattserve engines` lists them)");
  add_field_flag(sub, "--threads", f->spec.threads, "threads",
                 "CPU threads per model (0: all hardware threads)");
  sub->add_option("--max-side", f->max_side,
                  "The detector's input has its longer side at most this")
      ->capture_default_str()
      ->check(CLI::Range(32, 8192));
  sub->add_flag("--json", f->json, "Print one JSON object on stdout instead of text");
  sub->add_option("-o,--output", f->output, "Also write the JSON report to this file (atomically)");
  return {sub, [f] { return run_ocr(*f); }};
}

}  // namespace wattserve::cli
