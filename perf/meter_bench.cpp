// The meter's own cost on this machine: CPU time per sample with the sensors discovered here,
// per window (begin + end), per process-tree scan, and the CPU share of the sampling thread at
// 10 Hz. Run: build/perf/wattserve_perf (figures in README.md, "Overhead").
#include <benchmark/benchmark.h>
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "energy/core/meter.h"
#include "energy/core/process_attribution.h"
#include "energy/sensors/discovery.h"

namespace {

using wattserve::energy::Meter;

std::unique_ptr<Meter> make_meter(int64_t interval_ns = 100'000'000) {
  wattserve::energy::SensorSelection sel;
  auto found = wattserve::energy::discover_sensors(sel);
  wattserve::energy::MeterOptions o;
  o.interval_ns = interval_ns;
  return std::make_unique<Meter>(std::move(found.sensors), o);
}

double process_cpu_seconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  auto s = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) * 1e-6;
  };
  return s(ru.ru_utime) + s(ru.ru_stime);
}

// One sample of every sensor discovered on this machine (what the sampling thread does).
void BM_Sample(benchmark::State& state) {
  auto meter = make_meter();
  state.SetLabel(meter->sensors().front()->name().data());
  for (auto _ : state) meter->sample_now();
}
BENCHMARK(BM_Sample);

// A window: begin + end, each taking a sample (what every measured request pays).
void BM_WindowBeginEnd(benchmark::State& state) {
  auto meter = make_meter();
  for (auto _ : state) {
    auto id = meter->begin();
    benchmark::DoNotOptimize(meter->end(id));
  }
}
BENCHMARK(BM_WindowBeginEnd);

// Per-process attribution: one scan of /proc for this process's tree.
void BM_ProcessTreeScan(benchmark::State& state) {
  auto meter = make_meter();
  wattserve::energy::ProcessAttribution pa("/proc", static_cast<int>(getpid()), meter->domains());
  for (auto _ : state) benchmark::DoNotOptimize(pa.scan_tree_cpu_seconds());
}
BENCHMARK(BM_ProcessTreeScan);

// The sampling thread at 10 Hz for 5 s: CPU seconds used per wall second (cpu_share).
void BM_ThreadAt10Hz(benchmark::State& state) {
  for (auto _ : state) {
    auto meter = make_meter(100'000'000);
    const double cpu0 = process_cpu_seconds();
    const auto t0 = std::chrono::steady_clock::now();
    meter->start();
    std::this_thread::sleep_for(std::chrono::seconds(5));
    meter->stop();
    const double wall =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const double cpu = process_cpu_seconds() - cpu0;
    state.counters["cpu_share"] = cpu / wall;
    state.counters["cpu_us_per_sample"] = cpu / static_cast<double>(meter->samples_taken()) * 1e6;
  }
}
BENCHMARK(BM_ThreadAt10Hz)->Iterations(1)->Unit(benchmark::kSecond);

}  // namespace
