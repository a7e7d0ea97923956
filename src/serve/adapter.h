// `serve --adapt` (docs/adapt.md "Online adaptation"): a thread that, every period on the
// server's clock, reads what the served text model's variants did in the last window (requests
// offered, finished, within the SLO, queued), asks the controller (adapt/controller.h) which
// variant and parallel-slot cap should take the next requests, switches the server to it
// (Server::set_active_variant: a hot swap between variants already loaded; requests in flight
// finish where they are), and optionally feeds the frequency governor, whose actuator is dry-run
// unless opened with allow_actuate. Every decision is logged with its reason and shown in
// /metrics:
//   wattserve_adapt_decisions_total{model,changed}         counter
//   wattserve_adapt_active{model,option}                   gauge, 1 for the option in use
//   wattserve_adapt_planned_rate_per_second{model}         gauge, the rate the controller planned
//   for wattserve_adapt_window_slo_attainment_ratio{model}     gauge, the last window's
//   wattserve_adapt_last_decision_info{model,option,reason} gauge, 1 (the last decision only)
//   wattserve_frequency_cap_khz{actuator,applied}          gauge, the governor's cap
#pragma once

#include <condition_variable>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "adapt/actuator.h"
#include "adapt/controller.h"
#include "adapt/governor.h"
#include "energy/core/clock.h"
#include "serve/text_worker.h"

namespace prometheus {
class Registry;
}

namespace wattserve::serve {

class Server;

struct AdapterOptions {
  double period_s = 2;
  adapt::ControllerOptions controller;
  std::shared_ptr<energy::Clock> clock;  // null: the system clock
  // Where decision lines go (one per period); empty: standard error.
  std::function<void(const std::string&)> log;
};

// What the workers did since `last` (updated): the controller's observation, and the shape of
// the window's ok requests (mean prompt and output tokens; p99 output ~ mean + 2.33 sd) when at
// least 20 finished. Used by the Adapter and by the simulator's adaptive policy alike.
struct WindowReading {
  adapt::Observation observation;
  bool has_shape = false;
  adapt::RequestShape shape;
};
WindowReading read_window(const std::vector<TextWorker*>& workers,
                          std::vector<TextWorkerCounts>& last, double window_s);

// One option of the controller on one loaded variant (an index into Server::text_variants).
struct AdapterOption {
  adapt::AdaptOption option;
  size_t variant = 0;
};

class Adapter {
 public:
  // Throws std::invalid_argument when `options` is empty or names a variant the model lacks.
  // `actuator` (may be null: no governor) must outlive the adapter.
  Adapter(Server& server, std::string model, std::vector<AdapterOption> options, AdapterOptions ao,
          std::shared_ptr<prometheus::Registry> registry,
          adapt::FrequencyActuator* actuator = nullptr);
  ~Adapter();  // stop()
  Adapter(const Adapter&) = delete;
  Adapter& operator=(const Adapter&) = delete;

  void start();
  void stop();
  // One control period, for tests and the loop: reads the window, decides, acts, logs.
  adapt::ControllerDecision tick(double window_s);
  size_t active_option() const;

 private:
  struct Metrics;
  void run();
  void activate(size_t option);

  Server& server_;
  std::string model_;
  std::vector<AdapterOption> options_;
  AdapterOptions ao_;
  adapt::Controller controller_;
  adapt::FrequencyActuator* actuator_;
  std::unique_ptr<adapt::FrequencyGovernor> governor_;
  std::unique_ptr<Metrics> metrics_;
  std::vector<TextWorker*> workers_;
  std::vector<TextWorkerCounts> last_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  size_t active_ = 0;
  std::thread thread_;
};

}  // namespace wattserve::serve
