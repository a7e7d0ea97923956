// The load generator: sends planned requests to a server either in a closed loop (N streams,
// each sending its next request when its last one ended) or open loop on a schedule (constant,
// Poisson, gamma arrivals or a trace's timestamps), and records what happened to each request,
// including how late it was sent against its schedule (pacing). Open loop: a pool of sender
// threads, each taking the next unsent request and sleeping until its time (the last stretch
// spun, so wake-up latency stays under the timer slack), so a request waits only when every
// sender is busy with an earlier one. Times come from the injected clock.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

#include "bench/load/client.h"
#include "energy/core/clock.h"

namespace wattserve::bench::load {

struct LoadGenOptions {
  // > 0: closed loop with this many streams; each request's schedule is the moment its stream
  // became free. 0: open loop on the requests' own schedule (offsets from the start).
  int streams = 0;
  // Open loop: sender threads, i.e. requests in flight at most (more wait and are sent late).
  int max_in_flight = 256;
  // Open loop: wake up this long before a request's time and spin the rest (0: sleep only).
  int64_t spin_ns = 200'000;
  // Sender threads ask for real-time scheduling (SCHED_FIFO, priority 1) where the process may
  // (root or CAP_SYS_NICE), so a server busy on every core does not delay the sends; they also
  // set a 1 us timer slack. Off: ordinary threads. docs/bench-serving.md "Pacing".
  bool realtime = true;
};

struct LoadOutcome {
  std::vector<RequestResult> results;  // by request index
  int64_t start_ns = 0;                // the schedule's origin
  int64_t end_ns = 0;                  // the last response ended
  bool realtime = false;               // every sender thread got SCHED_FIFO
};

// Runs `requests` (scheduled_ns: offset from the start for open loop; ignored for closed loop)
// through one Client per sender. `on_done` (may be empty) is called from sender threads after
// each request; `stop` (may be null) ends the run early: requests not yet sent are left out.
LoadOutcome run_load(const ClientOptions& client, const LoadGenOptions& opts,
                     const std::vector<LoadRequest>& requests, energy::Clock& clock,
                     const std::function<void(const RequestResult&)>& on_done = {},
                     const std::atomic<bool>* stop = nullptr);

}  // namespace wattserve::bench::load
