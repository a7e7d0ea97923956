// The KServe Open Inference Protocol v2 routes of Server (server.h): server and model metadata,
// model readiness, and infer for tensor models (batched by TensorWorker) and text models
// ("text_input"). Errors are KServe's {"error": "message"}. Health (/v2/health/*) is answered on
// the I/O thread by Server::handle.
#include <fmt/format.h>

#include "serve/kserve_api.h"
#include "serve/server.h"

namespace wattserve::serve {

namespace {

using nlohmann::json;

http::Reply v2_reply(int status, const json& body) {
  http::Reply r;
  r.status = status;
  r.body = dump_json(body);
  if (status == 503) r.headers.emplace_back("Retry-After", "1");
  return r;
}

http::Reply v2_error(const ApiError& e) {
  return v2_reply(e.status, {{"error", e.what()}});
}

json tensor_meta(const engine::TensorInfo& t) {
  return {{"name", t.name}, {"datatype", kserve_datatype(t.dtype)}, {"shape", t.shape}};
}

}  // namespace

void Server::kserve(const http::Request& req, const ResponderPtr& out) {
  try {
    if (req.path == "/v2") {
      return out->send(v2_reply(
          200, {{"name", "wattserve"}, {"version", "0.1.0"}, {"extensions", json::array()}}));
    }
    // /v2/models/{name}[/ready|/infer]
    std::string rest = req.path.substr(std::string("/v2/models/").size());
    std::string action;
    if (const auto slash = rest.find('/'); slash != std::string::npos) {
      action = rest.substr(slash + 1);
      rest.resize(slash);
    }
    const std::string& name = rest;
    if (action == "infer") return kserve_infer(name, req.body, out);
    Served& s = find(name);
    if (action == "ready") return out->send(v2_reply(200, {{"name", name}, {"ready", true}}));
    if (!action.empty()) {
      throw ApiError(404, "not_found_error", "", fmt::format("no route GET {}", req.path));
    }
    json meta = {{"name", name}, {"versions", json::array({"1"})}};
    if (s.tensor) {
      json in = json::array(), outs = json::array();
      for (const auto& t : s.tensor->model().inputs()) in.push_back(tensor_meta(t));
      for (const auto& t : s.tensor->model().outputs()) {
        if (is_utf8_output(t.name, t.dtype, t.shape.size())) {  // sent as strings
          outs.push_back(
              {{"name", public_output_name(t)},
               {"datatype", "BYTES"},
               {"shape", std::vector<std::int64_t>(t.shape.begin(), t.shape.end() - 1)}});
        } else {
          outs.push_back(tensor_meta(t));
        }
      }
      meta["platform"] = "wattserve-tensor";
      meta["inputs"] = in;
      meta["outputs"] = outs;
    } else {
      meta["platform"] = "wattserve-text";
      meta["inputs"] =
          json::array({{{"name", "text_input"}, {"datatype", "BYTES"}, {"shape", {1}}}});
      meta["outputs"] =
          json::array({{{"name", "text_output"}, {"datatype", "BYTES"}, {"shape", {1}}}});
    }
    out->send(v2_reply(200, meta));
  } catch (const ApiError& e) {
    out->send(v2_error(e));
  } catch (const std::invalid_argument& e) {
    out->send(v2_error(bad_request("", e.what())));
  }
}

void Server::kserve_infer(const std::string& name, const std::string& body,
                          const ResponderPtr& out) {
  const std::string label = models_.count(name) ? name : "unknown";
  try {
    Served& s = find(name);
    if (s.tensor) {
      auto r = parse_infer_request(body);
      // Unknown output names are refused here, before any inference runs.
      r.outputs = resolve_requested_outputs(s.tensor->model().outputs(), r.outputs);
      auto job = std::make_shared<TensorJob>();
      job->id = r.id.empty() ? fmt::format("infer-{}", reinterpret_cast<std::uintptr_t>(job.get()))
                             : r.id;
      job->inputs = std::move(r.inputs);
      auto result = std::make_shared<std::future<TensorJobResult>>(job->result.get_future());
      job->on_done = [this, result, name, id = r.id, wanted = r.outputs, out] {
        finish_later(out, name, true, [this, result, name, id, wanted, out] {
          const TensorJobResult res = result->get();
          if (res.error) {
            account(name, res.error->status, 0, res.energy);
            return out->send(v2_error(*res.error));
          }
          try {
            json energy = energy_json(res.energy, 0);
            energy.erase("joules_per_output_token");
            energy["batch_rows"] = res.batch_rows;
            auto reply = v2_reply(200, infer_response(name, id, res.outputs, wanted, energy));
            account(name, out->open() ? 200 : 499, 0, res.energy);
            out->send(std::move(reply));
          } catch (const ApiError& e) {
            account(name, e.status, 0, res.energy);
            out->send(v2_error(e));
          }
        });
      };
      if (!s.tensor->submit(job)) throw overloaded(name);
      return;
    }
    const auto r = parse_text_infer_request(body, options_.limits);
    auto job = std::make_shared<TextJob>();
    job->id =
        r.id.empty() ? fmt::format("infer-{}", reinterpret_cast<std::uintptr_t>(job.get())) : r.id;
    job->prompt = r.prompt;
    job->sampling = r.sampling;
    job->exact_output_tokens = r.bench_output_tokens;
    job->deadline_ns = deadline_after(s.worker()->clock(), options_.request_timeout_s);
    auto result = std::make_shared<std::future<TextJobResult>>(job->result.get_future());
    std::weak_ptr<TextJob> weak = job;
    out->on_abort([weak] {
      if (auto j = weak.lock()) j->cancelled = true;
    });
    job->on_done = [this, result, name, id = r.id, out] {
      finish_later(out, name, true, [this, result, name, id, out] {
        const TextJobResult res = result->get();
        const int n = static_cast<int>(res.gen.tokens.size());
        if (res.error) {
          account(name, res.error->status, n, res.energy);
          return out->send(v2_error(*res.error));
        }
        json params = {{"prompt_tokens", res.prompt_tokens},
                       {"completion_tokens", n},
                       {"finish_reason", finish_reason(res.gen.reason)},
                       {"energy", energy_json(res.energy, n)}};
        account(name, out->open() ? 200 : 499, n, res.energy);
        out->send(v2_reply(200, text_infer_response(name, id, res.gen.text, params)));
      });
    };
    if (!s.worker()->submit(job)) throw overloaded(name);
  } catch (const ApiError& e) {
    account(label, e.status, 0, {});
    out->send(v2_error(e));
  } catch (const std::invalid_argument& e) {
    account(label, 400, 0, {});
    out->send(v2_error(bad_request("", e.what())));
  } catch (const std::exception& e) {
    account(label, 500, 0, {});
    out->send(v2_error(ApiError(500, "server_error", "", e.what())));
  }
}

}  // namespace wattserve::serve
