// The Meter samples a set of sensors on a background thread and answers "how much energy
// did this span of time use?" for any number of nested or overlapping windows opened and
// closed from any thread. Window boundaries take a sample of their own, so counter sources
// give exact window energies. Each window reports, per domain: all energy (joules), energy
// above the idle baseline (dynamic), and its weighted share of every interval it overlapped
// with other windows (attributed). Formulas: docs/measurement.md.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "energy/core/clock.h"
#include "energy/core/sensor.h"
#include "energy/core/types.h"

namespace wattserve::energy {

struct MeterOptions {
  int64_t interval_ns = 100'000'000;  // background sampling period (>= 1 ms)
  size_t timeline_capacity = 36'000;  // samples kept for timeline(); 1 h at 100 ms
  // Times samples and paces the sampling loop and measure_idle() (defaults to the system clock).
  std::shared_ptr<Clock> clock;
};

// One sample: cumulative joules per meter domain (same order as Meter::domains()).
struct Sample {
  int64_t t_ns = 0;
  int64_t wall_ns = 0;
  std::vector<double> joules;
};

// Idle power per domain (W), subtracted to get dynamic energy.
struct IdleBaseline {
  std::vector<double> watts;  // per meter domain; empty = no baseline
  double duration_s = 0;      // how long it was measured (0 when given by the user)
};

struct DomainEnergy {
  std::string id;
  DomainKind kind = DomainKind::kCpuPackage;
  Source source = Source::kEstimate;
  bool counted = true;
  double joules = 0;                     // E: all energy of the domain during the window
  double dynamic_joules = 0;             // max(0, E - P_idle * T)
  double attributed_joules = 0;          // sum over intervals of dE * w / sum(w of open windows)
  double attributed_dynamic_joules = 0;  // same split of (dE - P_idle * dt), clamped at 0
  double avg_watts = 0;                  // E / T
  double idle_watts = 0;                 // P_idle used (0 without a baseline)
};

struct WindowReport {
  std::string label;
  double weight = 1;
  int64_t begin_ns = 0, end_ns = 0;            // monotonic
  int64_t begin_wall_ns = 0, end_wall_ns = 0;  // Unix epoch
  double duration_s = 0;
  size_t intervals = 0;    // sampling intervals inside the window
  size_t read_errors = 0;  // failed sensor reads during the window (energy there is missing)
  std::vector<DomainEnergy> domains;
  // Sums over counted domains.
  double joules = 0, dynamic_joules = 0, attributed_joules = 0, attributed_dynamic_joules = 0;
  double avg_watts = 0;
  Source source = Source::kCounter;  // weakest source among counted domains
  bool has_baseline = false;
};

// The meter's books since its first sample, over counted domains: everything measured, and the
// part of it in intervals when no window was open (charged to no window; in a server: idle).
// Every joule is in exactly one closed or open window's attributed share, or unattributed.
struct MeterTotals {
  double joules = 0;
  double unattributed_joules = 0;
};

class Meter {
 public:
  using WindowId = uint64_t;
  // Called on the sampling thread after every interval [t0, t1] with the joules each domain
  // used in it. Must be quick; must not call back into the Meter.
  using IntervalListener =
      std::function<void(int64_t t0_ns, int64_t t1_ns, std::span<const double> delta_joules)>;

  explicit Meter(std::vector<std::unique_ptr<Sensor>> sensors, MeterOptions opts = {});
  ~Meter();
  Meter(const Meter&) = delete;
  Meter& operator=(const Meter&) = delete;

  const std::vector<Domain>& domains() const { return domains_; }
  const std::vector<std::unique_ptr<Sensor>>& sensors() const { return sensors_; }
  const MeterOptions& options() const { return opts_; }

  void start();       // starts the background sampling thread (idempotent)
  void stop();        // stops it and takes a final sample (idempotent)
  void sample_now();  // takes one sample synchronously (tests drive the meter this way)

  WindowId begin(std::string label = {}, double weight = 1.0);
  // Changes a window's weight for intervals from now on (e.g. tokens processed so far).
  void set_weight(WindowId id, double weight);
  // Changes several windows' weights at one sample (one call per server decode step).
  void set_weights(std::span<const std::pair<WindowId, double>> weights);
  // Closes the window; throws std::invalid_argument for an unknown or closed id.
  WindowReport end(WindowId id);
  // The window's figures so far, without closing it (takes a sample).
  WindowReport peek(WindowId id);

  void set_idle_baseline(IdleBaseline baseline);
  IdleBaseline idle_baseline() const;
  // Samples for `duration_ns` of the meter's clock with nothing else attributed and returns the
  // mean power per domain; does not install it (call set_idle_baseline).
  IdleBaseline measure_idle(int64_t duration_ns);
  // Idle baseline from a window measured while the machine was idle.
  static IdleBaseline baseline_from(const WindowReport& idle_window);

  std::vector<Sample> timeline() const;
  MeterTotals totals() const;
  // Power per domain over the last interval (W); NaN before two samples exist.
  std::vector<double> last_power() const;
  void add_listener(IntervalListener listener);
  uint64_t samples_taken() const;

 private:
  struct Window {
    std::string label;
    double weight = 1;
    int64_t begin_ns = 0, begin_wall_ns = 0;
    size_t intervals = 0, read_errors = 0;
    std::vector<double> joules, dynamic, attributed, attributed_dynamic;
  };
  void sample_locked();
  WindowReport report_locked(const Window& w, int64_t end_ns, int64_t end_wall_ns) const;
  void run();

  std::vector<std::unique_ptr<Sensor>> sensors_;
  std::vector<size_t> sensor_offset_;  // first meter-domain index of each sensor
  std::vector<Domain> domains_;
  MeterOptions opts_;

  mutable std::mutex mu_;        // guards everything below
  std::vector<double> current_;  // cumulative joules at the last sample
  std::vector<double> last_power_;
  int64_t last_ns_ = -1, last_wall_ns_ = 0;
  uint64_t samples_ = 0;
  std::deque<Sample> timeline_;
  std::map<WindowId, Window> windows_;
  WindowId next_id_ = 1;
  IdleBaseline baseline_;
  MeterTotals totals_;
  std::vector<IntervalListener> listeners_;

  std::mutex run_mu_;
  std::condition_variable run_cv_;
  bool running_ = false;
  std::thread thread_;
};

}  // namespace wattserve::energy
