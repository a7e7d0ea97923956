// The KServe Open Inference Protocol v2 routes of Server (server.h): server and model metadata,
// health, and infer for tensor models (batched by TensorWorker) and text models ("text_input").
#include <fmt/format.h>
#include <httplib.h>

#include "serve/kserve_api.h"
#include "serve/server.h"

namespace wattserve::serve {

namespace {

using nlohmann::json;

// KServe v2 errors are {"error": "message"}.
void send_v2_error(httplib::Response& res, const ApiError& e) {
  res.status = e.status;
  if (e.status == 503) res.set_header("Retry-After", "1");
  res.set_content(dump_json({{"error", e.what()}}), "application/json");
}

json tensor_meta(const engine::TensorInfo& t) {
  return {{"name", t.name}, {"datatype", kserve_datatype(t.dtype)}, {"shape", t.shape}};
}

}  // namespace

void Server::kserve_routes() {
  auto& h = *http_;
  const auto guarded = [this](auto body) {
    return [this, body](const httplib::Request& req, httplib::Response& res) {
      try {
        if (!options_.api_key.empty() &&
            req.get_header_value("Authorization") != "Bearer " + options_.api_key) {
          throw ApiError(401, "authentication_error", "", "missing or wrong API key");
        }
        body(req, res);
      } catch (const ApiError& e) {
        send_v2_error(res, e);
      } catch (const std::invalid_argument& e) {
        send_v2_error(res, bad_request("", e.what()));
      } catch (const std::exception& e) {
        send_v2_error(res, ApiError(500, "server_error", "", e.what()));
      }
    };
  };
  h.Get(
      "/v2", guarded([](const httplib::Request&, httplib::Response& res) {
        res.set_content(
            dump_json({{"name", "wattserve"}, {"version", "0.1.0"}, {"extensions", json::array()}}),
            "application/json");
      }));
  h.Get("/v2/health/live", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(R"({"live":true})", "application/json");
  });
  h.Get("/v2/health/ready", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(R"({"ready":true})", "application/json");
  });
  h.Get(
      R"(/v2/models/([^/]+)/ready)",
      guarded([this](const httplib::Request& req, httplib::Response& res) {
        find(req.matches[1]);
        res.set_content(dump_json({{"name", req.matches[1]}, {"ready", true}}), "application/json");
      }));
  h.Get(R"(/v2/models/([^/]+))",
        guarded([this](const httplib::Request& req, httplib::Response& res) {
          const std::string name = req.matches[1];
          Served& s = find(name);
          json meta = {{"name", name}, {"versions", json::array({"1"})}};
          if (s.tensor) {
            json in = json::array(), out = json::array();
            for (const auto& t : s.tensor->model().inputs()) in.push_back(tensor_meta(t));
            for (const auto& t : s.tensor->model().outputs()) {
              if (is_utf8_output(t.name, t.dtype, t.shape.size())) {  // sent as strings
                out.push_back(
                    {{"name", t.name.substr(0, t.name.size() - 5)},
                     {"datatype", "BYTES"},
                     {"shape", std::vector<std::int64_t>(t.shape.begin(), t.shape.end() - 1)}});
              } else {
                out.push_back(tensor_meta(t));
              }
            }
            meta["platform"] = "wattserve-tensor";
            meta["inputs"] = in;
            meta["outputs"] = out;
          } else {
            meta["platform"] = "wattserve-text";
            meta["inputs"] =
                json::array({{{"name", "text_input"}, {"datatype", "BYTES"}, {"shape", {1}}}});
            meta["outputs"] =
                json::array({{{"name", "text_output"}, {"datatype", "BYTES"}, {"shape", {1}}}});
          }
          res.set_content(dump_json(meta), "application/json");
        }));
  h.Post(R"(/v2/models/([^/]+)/infer)", [this, guarded](const httplib::Request& req,
                                                        httplib::Response& res) {
    const std::string name = req.matches[1];
    int status = 200;
    guarded([this, &name, &status](const httplib::Request& rq, httplib::Response& rs) {
      try {
        Served& s = find(name);
        if (s.tensor) {
          auto r = parse_infer_request(rq.body);
          auto job = std::make_shared<TensorJob>();
          job->id = r.id.empty()
                        ? fmt::format("infer-{}", reinterpret_cast<std::uintptr_t>(job.get()))
                        : r.id;
          job->inputs = std::move(r.inputs);
          auto result = job->result.get_future();
          if (!s.tensor->submit(job)) {
            throw ApiError(503, "overloaded", "", fmt::format("model '{}' has a full queue", name));
          }
          const TensorJobResult out = result.get();
          if (out.error) throw *out.error;
          for (const auto& w : r.outputs) {
            if (!out.outputs.count(w))
              throw bad_request("outputs", fmt::format("the model has no output '{}'", w));
          }
          json energy = energy_json(out.energy, 0);
          energy.erase("joules_per_output_token");
          energy["batch_rows"] = out.batch_rows;
          rs.set_content(dump_json(infer_response(name, r.id, out.outputs, r.outputs, energy)),
                         "application/json");
          remember(name, 200, 0, out.energy);
          return;
        }
        const auto r = parse_text_infer_request(rq.body, options_.limits);
        auto job = std::make_shared<TextJob>();
        job->id = r.id.empty()
                      ? fmt::format("infer-{}", reinterpret_cast<std::uintptr_t>(job.get()))
                      : r.id;
        job->prompt = r.prompt;
        job->sampling = r.sampling;
        job->deadline = std::chrono::steady_clock::now() +
                        std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                            std::chrono::duration<double>(options_.request_timeout_s));
        auto result = job->result.get_future();
        if (!s.worker->submit(job)) {
          throw ApiError(503, "overloaded", "", fmt::format("model '{}' has a full queue", name));
        }
        const TextJobResult out = result.get();
        if (out.error) throw *out.error;
        const int n = static_cast<int>(out.gen.tokens.size());
        json params = {{"prompt_tokens", out.prompt_tokens},
                       {"completion_tokens", n},
                       {"finish_reason", finish_reason(out.gen.reason)},
                       {"energy", energy_json(out.energy, n)}};
        rs.set_content(dump_json(text_infer_response(name, r.id, out.gen.text, params)),
                       "application/json");
        remember(name, 200, n, out.energy);
      } catch (const ApiError& e) {
        status = e.status;
        throw;
      } catch (const std::invalid_argument&) {
        status = 400;
        throw;
      }
    })(req, res);
    metrics_->count_request(models_.count(name) ? name : "unknown",
                            res.status > 0 ? res.status : status);
  });
}

}  // namespace wattserve::serve
