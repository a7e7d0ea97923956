// The figures of a load run (src/bench/load/load_metrics.h), from hand-built outcomes and meter
// tracks with hand-computed answers: EnergyTrack::at interpolation, each request's share of the
// meter's energy, the full and steady windows (requests credited by life fraction, output tokens
// by chunk arrival or life fraction), latency percentiles (numpy linear), pacing, SLO attainment
// and goodput (failed requests never meet it), per-response energy, process_fraction scaling,
// and requests.csv's table.
#include "bench/load/load_metrics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace wattserve::bench::load {
namespace {

using nlohmann::json;

constexpr int64_t kBase = 1'000'000'000;  // the clock's origin in these tests
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// kBase + ms milliseconds, in ns.
int64_t T(double ms) {
  return kBase + static_cast<int64_t>(std::llround(ms * 1e6));
}

RequestResult req(std::size_t index, double send_ms, double end_ms, int output_tokens) {
  RequestResult r;
  r.index = index;
  r.scheduled_ns = T(send_ms);
  r.send_ns = T(send_ms);
  r.end_ns = T(end_ms);
  r.output_tokens = output_tokens;
  r.planned_output_tokens = output_tokens;
  r.http_status = 200;
  r.finish_reason = "length";
  return r;
}

// Streamed: chunks at these times (ms); the first is the first token.
void chunks(RequestResult& r, const std::vector<double>& ms) {
  for (double m : ms) r.chunk_ns.push_back(T(m));
  r.first_token_ns = r.chunk_ns.front();
}

EnergyTrack track(const std::vector<double>& ms, const std::vector<double>& joules) {
  EnergyTrack e;
  for (double m : ms) e.t_ns.push_back(T(m));
  e.joules = joules;
  return e;
}

double d(const json& j) {
  return j.get<double>();
}

TEST(LoadMetrics, EnergyTrackInterpolatesAndClamps) {
  const EnergyTrack e = track({100, 200, 400}, {1, 3, 7});
  EXPECT_DOUBLE_EQ(e.at(T(50)), 1);  // before the first sample: the first value
  EXPECT_DOUBLE_EQ(e.at(T(100)), 1);
  EXPECT_DOUBLE_EQ(e.at(T(150)), 2);
  EXPECT_DOUBLE_EQ(e.at(T(200)), 3);
  EXPECT_DOUBLE_EQ(e.at(T(300)), 5);
  EXPECT_DOUBLE_EQ(e.at(T(350)), 6);
  EXPECT_DOUBLE_EQ(e.at(T(400)), 7);
  EXPECT_DOUBLE_EQ(e.at(T(999)), 7);  // after the last: the last value
  EXPECT_TRUE(std::isnan(track({100}, {1}).at(T(100))));
  EXPECT_TRUE(std::isnan(EnergyTrack{}.at(T(0))));
}

// Four requests against a meter sampled every 200 ms (cumulative J 0, 10, 30, 35, 55, 60):
//   r0 [0, 400]   streamed, 8 tokens in 4 chunks at 50, 320, 340, 360; prompt 5
//   r1 [100, 300] streamed, 2 tokens in chunks at 150, 250; prompt unknown (planned 7)
//   r2 [600, 800] not streamed, 10 tokens; prompt 3
//   r3 [200, 400] not streamed, 6 tokens; prompt 4
// Energy split, interval by interval:
//   [0, 200]    10 J: r0 200 ms, r1 100 ms            -> r0 20/3, r1 10/3
//   [200, 400]  20 J: r0 200, r1 100, r3 200 (of 500) -> r0 8, r1 4, r3 8
//   [400, 600]   5 J: nothing in flight               -> nobody
//   [600, 800]  20 J: r2                              -> r2 20
//   [800, 1000]  5 J: nothing in flight               -> nobody
// so r0 44/3, r1 22/3, r2 20, r3 8: 50 J, the full window's [0, 800] 55 J less 5 J idle.
// Steady window: first end (r1, 300) to last send (r2, 600):
//   requests r0 100/400 + r3 100/200 = 0.75; output tokens r0 3 of 4 chunks x 8/4 = 6, r3 6 x
//   0.5 = 3 (r1's chunks are before it, r2 starts at its end) = 9; prompt tokens r0 5 x 0.25 + r3
//   4 x 0.5 = 3.25; energy at(600) - at(300) = 35 - 20 = 15 J.
LoadOutcome four_requests() {
  LoadOutcome o;
  o.start_ns = T(-50);
  o.end_ns = T(800);
  RequestResult r0 = req(0, 0, 400, 8);
  chunks(r0, {50, 320, 340, 360});
  r0.prompt_tokens = 5;
  RequestResult r1 = req(1, 100, 300, 2);
  chunks(r1, {150, 250});
  r1.planned_input_tokens = 7;
  RequestResult r2 = req(2, 600, 800, 10);
  r2.prompt_tokens = 3;
  RequestResult r3 = req(3, 200, 400, 6);
  r3.prompt_tokens = 4;
  o.results = {r0, r1, r2, r3};
  return o;
}

EnergyTrack four_requests_track() {
  return track({0, 200, 400, 600, 800, 1000}, {0, 10, 30, 35, 55, 60});
}

TEST(LoadMetrics, MeterEnergyIsSplitByTimeInFlightAndIdleIntervalsGoToNobody) {
  const LoadFigures f = load_figures(four_requests(), four_requests_track(), {}, kNaN);
  ASSERT_EQ(f.meter_joules.size(), 4u);
  EXPECT_NEAR(f.meter_joules[0], 44.0 / 3, 1e-9);
  EXPECT_NEAR(f.meter_joules[1], 22.0 / 3, 1e-9);
  EXPECT_NEAR(f.meter_joules[2], 20, 1e-9);
  EXPECT_NEAR(f.meter_joules[3], 8, 1e-9);
  double sum = 0;
  for (double j : f.meter_joules) sum += j;
  EXPECT_NEAR(sum, 50, 1e-9);  // the intervals with a request in flight: 10 + 20 + 20
  EXPECT_NEAR(d(f.metrics.at("idle_joules_in_window")), 5, 1e-9);
  EXPECT_NEAR(d(f.metrics.at("joules_per_request")), 50.0 / 4, 1e-9);
}

TEST(LoadMetrics, FullWindowRunsFromTheFirstSendToTheLastEnd) {
  const LoadFigures f = load_figures(four_requests(), four_requests_track(), {}, kNaN);
  EXPECT_EQ(f.full.begin_ns, T(0));
  EXPECT_EQ(f.full.end_ns, T(800));
  EXPECT_DOUBLE_EQ(f.full.requests, 4);
  EXPECT_DOUBLE_EQ(f.full.output_tokens, 26);
  EXPECT_DOUBLE_EQ(f.full.tokens, 26 + 5 + 7 + 3 + 4);  // r1's prompt: the planned 7
  EXPECT_DOUBLE_EQ(f.full.joules, 55);
  const json& w = f.windows.at("full");
  EXPECT_NEAR(d(w.at("begin_s")), 0.05, 1e-12);  // from the run's start, 50 ms before the send
  EXPECT_NEAR(d(w.at("end_s")), 0.85, 1e-12);
  EXPECT_NEAR(d(w.at("duration_s")), 0.8, 1e-12);
  EXPECT_NEAR(d(w.at("requests_per_s")), 5, 1e-9);
  EXPECT_NEAR(d(w.at("output_tokens_per_s")), 26 / 0.8, 1e-9);
  EXPECT_NEAR(d(w.at("avg_watts")), 55 / 0.8, 1e-9);
  EXPECT_NEAR(d(w.at("joules_per_output_token")), 55.0 / 26, 1e-9);
  EXPECT_NEAR(d(w.at("joules_per_token")), 55.0 / 45, 1e-9);
  EXPECT_EQ(f.metrics.at("requests"), 4);
  EXPECT_EQ(f.metrics.at("requests_ok"), 4);
  EXPECT_EQ(f.metrics.at("requests_failed"), 0);
  EXPECT_DOUBLE_EQ(d(f.metrics.at("output_tokens")), 26);
  EXPECT_DOUBLE_EQ(d(f.metrics.at("tokens")), 45);
  EXPECT_NEAR(d(f.metrics.at("joules_per_output_token")), 55.0 / 26, 1e-9);
  EXPECT_NEAR(d(f.metrics.at("output_tokens_per_s")), 26 / 0.8, 1e-9);
}

TEST(LoadMetrics, SteadyWindowCreditsByLifeFractionAndChunkArrival) {
  const LoadFigures f = load_figures(four_requests(), four_requests_track(), {}, kNaN);
  ASSERT_TRUE(f.has_steady);
  EXPECT_EQ(f.steady.begin_ns, T(300));  // r1's end, the first
  EXPECT_EQ(f.steady.end_ns, T(600));    // r2's send, the last
  EXPECT_NEAR(f.steady.requests, 0.25 + 0.5, 1e-12);
  // r0 by its chunks (3 of 4 inside: 6 tokens, where its life fraction would give 2), r3 by its
  // life fraction (no chunks: 3 of 6).
  EXPECT_NEAR(f.steady.output_tokens, 6 + 3, 1e-12);
  EXPECT_NEAR(f.steady.tokens, 9 + 5 * 0.25 + 4 * 0.5, 1e-12);
  EXPECT_NEAR(f.steady.joules, 15, 1e-9);
  const json& w = f.windows.at("steady");
  ASSERT_TRUE(w.is_object());
  EXPECT_NEAR(d(w.at("begin_s")), 0.35, 1e-12);
  EXPECT_NEAR(d(w.at("duration_s")), 0.3, 1e-12);
  EXPECT_NEAR(d(w.at("requests_per_s")), 0.75 / 0.3, 1e-9);
  EXPECT_NEAR(d(f.metrics.at("steady_output_tokens_per_s")), 9 / 0.3, 1e-9);
  EXPECT_NEAR(d(f.metrics.at("steady_joules_per_output_token")), 15.0 / 9, 1e-9);
  EXPECT_TRUE(f.windows.at("steady_rule").is_string());
}

TEST(LoadMetrics, NoSteadyWindowWhenTheLastSendIsBeforeTheFirstEnd) {
  LoadOutcome o;
  o.start_ns = T(0);
  o.end_ns = T(150);
  o.results = {req(0, 0, 100, 4), req(1, 50, 150, 4)};
  const LoadFigures f = load_figures(o, track({0, 200}, {0, 2}), {}, kNaN);
  EXPECT_FALSE(f.has_steady);
  EXPECT_TRUE(f.windows.at("steady").is_null());
  EXPECT_FALSE(f.metrics.contains("steady_output_tokens_per_s"));
  EXPECT_DOUBLE_EQ(f.full.requests, 2);
  EXPECT_NEAR(f.full.joules, 1.5, 1e-12);  // at(150) - at(0)
}

TEST(LoadMetrics, NoMeterSamplesGiveNullEnergyFigures) {
  const LoadFigures f = load_figures(four_requests(), EnergyTrack{}, {}, kNaN);
  EXPECT_TRUE(std::isnan(f.full.joules));
  EXPECT_TRUE(f.windows.at("full").at("joules").is_null());
  EXPECT_TRUE(f.windows.at("full").at("joules_per_output_token").is_null());
  EXPECT_TRUE(f.metrics.at("joules_per_output_token").is_null());
  for (double j : f.meter_joules) EXPECT_EQ(j, 0);
  EXPECT_DOUBLE_EQ(d(f.metrics.at("output_tokens")), 26);  // the rest stands
}

// Five streamed requests one second apart, each 3 chunks: TTFT 0.1, 0.2, 0.3, 0.4, 1.0 s and
// chunk gaps (TPOT) 10..50 ms, so E2E = TTFT + 2 TPOT; lateness 0..4 ms; and a failed request
// (HTTP 503, sent 10 ms late). Responses carry their energy (2 J each, the failed one none).
LoadOutcome five_and_a_failure() {
  LoadOutcome o;
  o.start_ns = T(0);
  const double ttft[] = {100, 200, 300, 400, 1000};
  for (int i = 0; i < 5; ++i) {
    const double send = 1000.0 * i, gap = 10.0 * (i + 1);
    const double first = send + ttft[i];
    RequestResult r = req(static_cast<std::size_t>(i), send, first + 2 * gap, 3);
    chunks(r, {first, first + gap, first + 2 * gap});
    r.scheduled_ns = T(send - i);  // i ms late
    r.response_joules = 2;
    o.results.push_back(r);
  }
  RequestResult bad = req(5, 2500, 2600, 0);
  bad.scheduled_ns = T(2490);
  bad.http_status = 503;
  bad.error = "HTTP 503: busy";
  o.results.push_back(bad);
  o.end_ns = o.results[4].end_ns;  // 4000 + 1000 + 100 ms
  return o;
}

TEST(LoadMetrics, LatencyPercentilesAreNumpyLinear) {
  const LoadFigures f = load_figures(five_and_a_failure(), EnergyTrack{}, {}, kNaN);
  const json& ttft = f.timings.at("ttft");
  EXPECT_EQ(ttft.at("n"), 5);  // the failed request has none
  EXPECT_NEAR(d(ttft.at("mean")), 0.4, 1e-12);
  EXPECT_NEAR(d(ttft.at("p50")), 0.3, 1e-12);
  EXPECT_NEAR(d(ttft.at("p90")), 0.76, 1e-12);  // rank 3.6: 0.4 + 0.6 x 0.6
  EXPECT_NEAR(d(ttft.at("p99")), 0.976, 1e-12);
  EXPECT_NEAR(d(ttft.at("max")), 1.0, 1e-12);
  const json& tpot = f.timings.at("tpot");
  EXPECT_EQ(tpot.at("n"), 5);
  EXPECT_NEAR(d(tpot.at("p50")), 0.03, 1e-12);
  EXPECT_NEAR(d(tpot.at("p90")), 0.046, 1e-12);
  EXPECT_NEAR(d(tpot.at("p99")), 0.0496, 1e-12);
  const json& itl = f.timings.at("itl");
  EXPECT_EQ(itl.at("n"), 10);  // two gaps per request
  EXPECT_NEAR(d(itl.at("mean")), 0.03, 1e-12);
  EXPECT_NEAR(d(itl.at("p50")), 0.03, 1e-12);
  EXPECT_NEAR(d(itl.at("p90")), 0.05, 1e-12);  // rank 8.1 of 10,10,20,20,..,50,50 ms
  EXPECT_NEAR(d(itl.at("max")), 0.05, 1e-12);
  const json& e2e = f.timings.at("e2e");  // 0.12, 0.24, 0.36, 0.48, 1.1
  EXPECT_EQ(e2e.at("n"), 5);
  EXPECT_NEAR(d(e2e.at("mean")), 2.3 / 5, 1e-12);
  EXPECT_NEAR(d(e2e.at("p50")), 0.36, 1e-12);
  EXPECT_NEAR(d(e2e.at("p90")), 0.48 + 0.6 * 0.62, 1e-12);
  EXPECT_NEAR(d(e2e.at("max")), 1.1, 1e-12);
}

TEST(LoadMetrics, TpotNeedsAFirstTokenAndTwoTokens) {
  LoadOutcome o;
  o.start_ns = T(0);
  RequestResult one = req(0, 0, 100, 1);  // one token: no TPOT
  chunks(one, {100});
  RequestResult whole = req(1, 0, 300, 5);  // not streamed: no TTFT, no TPOT, no ITL
  o.results = {one, whole};
  o.end_ns = T(300);
  const LoadFigures f = load_figures(o, EnergyTrack{}, {}, kNaN);
  EXPECT_EQ(f.timings.at("ttft").at("n"), 1);
  EXPECT_EQ(f.timings.at("tpot").at("n"), 0);
  EXPECT_TRUE(f.timings.at("tpot").at("p50").is_null());
  EXPECT_EQ(f.timings.at("itl").at("n"), 0);
  EXPECT_EQ(f.timings.at("e2e").at("n"), 2);
  EXPECT_NEAR(d(f.timings.at("e2e").at("max")), 0.3, 1e-12);
}

TEST(LoadMetrics, PacingIsTheLatenessOfEverySendInMilliseconds) {
  const LoadFigures f = load_figures(five_and_a_failure(), EnergyTrack{}, {}, kNaN);
  // 0, 1, 2, 3, 4 ms and the failed request's 10 ms: failed requests were sent too.
  EXPECT_EQ(f.pacing.at("unit"), "ms");
  EXPECT_EQ(f.pacing.at("n"), 6);
  EXPECT_NEAR(d(f.pacing.at("mean")), 20.0 / 6, 1e-9);
  EXPECT_NEAR(d(f.pacing.at("p50")), 2.5, 1e-9);
  EXPECT_NEAR(d(f.pacing.at("max")), 10, 1e-9);
}

TEST(LoadMetrics, SloAttainmentAndGoodputCountFailedRequestsAsNotMet) {
  const LoadOutcome o = five_and_a_failure();
  const double dur = 5.1;  // first send 0 to last end 5100 ms
  {
    const LoadFigures f = load_figures(o, EnergyTrack{}, {}, kNaN);  // no SLO: success is enough
    EXPECT_EQ(f.slo_met, (std::vector<bool>{true, true, true, true, true, false}));
    EXPECT_NEAR(d(f.metrics.at("slo_attainment")), 5.0 / 6, 1e-12);
    EXPECT_NEAR(d(f.metrics.at("goodput_requests_per_s")), 5 / dur, 1e-9);
    EXPECT_NEAR(d(f.metrics.at("requests_per_s")), 5 / dur, 1e-9);
    EXPECT_EQ(f.metrics.at("requests_failed"), 1);
    EXPECT_TRUE(f.metrics.at("slo").at("ttft_s").is_null());
  }
  {
    SloSpec slo;
    slo.ttft_s = 0.35;
    const LoadFigures f = load_figures(o, EnergyTrack{}, slo, kNaN);
    EXPECT_EQ(f.slo_met, (std::vector<bool>{true, true, true, false, false, false}));
    EXPECT_NEAR(d(f.metrics.at("slo_attainment")), 0.5, 1e-12);
    EXPECT_NEAR(d(f.metrics.at("goodput_requests_per_s")), 3 / dur, 1e-9);
    EXPECT_NEAR(d(f.metrics.at("slo").at("ttft_s")), 0.35, 1e-12);
  }
  {
    SloSpec slo;
    slo.tpot_s = 0.025;
    const LoadFigures f = load_figures(o, EnergyTrack{}, slo, kNaN);
    EXPECT_EQ(f.slo_met, (std::vector<bool>{true, true, false, false, false, false}));
  }
  {
    SloSpec slo;
    slo.e2e_s = 0.4;  // e2e 0.12, 0.24, 0.36, 0.48, 1.1
    const LoadFigures f = load_figures(o, EnergyTrack{}, slo, kNaN);
    EXPECT_EQ(f.slo_met, (std::vector<bool>{true, true, true, false, false, false}));
  }
  {
    SloSpec slo;  // every objective must hold
    slo.ttft_s = 0.35;
    slo.tpot_s = 0.015;
    const LoadFigures f = load_figures(o, EnergyTrack{}, slo, kNaN);
    EXPECT_EQ(f.slo_met, (std::vector<bool>{true, false, false, false, false, false}));
    EXPECT_NEAR(d(f.metrics.at("slo_attainment")), 1.0 / 6, 1e-12);
  }
  {
    SloSpec slo;  // a TTFT objective is missed by a request without a first token
    slo.ttft_s = 10;
    LoadOutcome whole = o;
    whole.results[0].first_token_ns = 0;
    whole.results[0].chunk_ns.clear();
    const LoadFigures f = load_figures(whole, EnergyTrack{}, slo, kNaN);
    EXPECT_FALSE(f.slo_met[0]);
    EXPECT_TRUE(f.slo_met[1]);
  }
}

TEST(LoadMetrics, ResponseEnergyOnlyWhenEveryOkResponseHasIt) {
  LoadOutcome o = five_and_a_failure();
  {
    // The failed request has none, and does not count.
    const LoadFigures f = load_figures(o, EnergyTrack{}, {}, kNaN);
    EXPECT_NEAR(d(f.metrics.at("response_joules_per_request")), 2, 1e-12);
    EXPECT_NEAR(d(f.metrics.at("response_joules_per_output_token")), 10.0 / 15, 1e-12);
  }
  o.results[2].response_joules = -1;
  const LoadFigures f = load_figures(o, EnergyTrack{}, {}, kNaN);
  EXPECT_TRUE(f.metrics.at("response_joules_per_request").is_null());
  EXPECT_TRUE(f.metrics.at("response_joules_per_output_token").is_null());
}

TEST(LoadMetrics, ProcessFractionScalesTheMeterEnergy) {
  const LoadFigures none = load_figures(four_requests(), four_requests_track(), {}, kNaN);
  EXPECT_FALSE(none.metrics.contains("process_fraction"));
  EXPECT_FALSE(none.metrics.contains("process_joules_per_request"));
  const LoadFigures f = load_figures(four_requests(), four_requests_track(), {}, 0.25);
  EXPECT_DOUBLE_EQ(d(f.metrics.at("process_fraction")), 0.25);
  EXPECT_NEAR(d(f.metrics.at("process_joules_per_request")), 50 * 0.25 / 4, 1e-9);
  EXPECT_NEAR(d(f.metrics.at("process_joules_per_output_token")), 55 * 0.25 / 26, 1e-9);
  // The machine's figures are unchanged by it.
  EXPECT_NEAR(d(f.metrics.at("joules_per_request")), 50.0 / 4, 1e-9);
  EXPECT_NEAR(d(f.metrics.at("joules_per_output_token")), 55.0 / 26, 1e-9);
}

TEST(LoadMetrics, EmptyOutcome) {
  LoadOutcome o;
  o.start_ns = o.end_ns = T(0);
  const LoadFigures f = load_figures(o, EnergyTrack{}, {}, kNaN);
  EXPECT_EQ(f.metrics.at("requests"), 0);
  EXPECT_TRUE(f.metrics.at("slo_attainment").is_null());
  EXPECT_TRUE(f.metrics.at("requests_per_s").is_null());
  EXPECT_FALSE(f.has_steady);
  EXPECT_EQ(f.timings.at("e2e").at("n"), 0);
  EXPECT_TRUE(f.meter_joules.empty());
}

TEST(LoadMetrics, RequestTableHasOneRowPerRequest) {
  LoadOutcome o = five_and_a_failure();
  o.results[1].prompt_tokens = 12;
  o.results[1].planned_input_tokens = 11;
  o.results[1].response_gpu_joules = 1.5;
  o.results[1].response_cpu_joules = 0.5;
  SloSpec slo;
  slo.ttft_s = 0.35;
  const LoadFigures f = load_figures(o, track({0, 6000}, {0, 60}), slo, kNaN);
  const CsvTable t = request_table(o, f);
  const std::vector<std::string> header = {"index",
                                           "scheduled_s",
                                           "lateness_ms",
                                           "send_s",
                                           "ttft_s",
                                           "tpot_s",
                                           "e2e_s",
                                           "planned_input_tokens",
                                           "prompt_tokens",
                                           "planned_output_tokens",
                                           "output_tokens",
                                           "chunks",
                                           "response_joules",
                                           "meter_joules",
                                           "slo_met",
                                           "status",
                                           "error",
                                           "response_gpu_joules",
                                           "response_cpu_joules"};
  ASSERT_EQ(t.header, header);
  ASSERT_EQ(t.rows.size(), 6u);
  const auto cell = [&](std::size_t row, const std::string& col) {
    for (std::size_t c = 0; c < header.size(); ++c) {
      if (header[c] == col) return t.rows[row].at(c);
    }
    return std::string("no such column");
  };
  const auto number = [&](std::size_t row, const std::string& col) {
    return std::stod(cell(row, col));
  };
  // Row 1: sent at 1000 ms, scheduled 1 ms earlier; TTFT 0.2, TPOT 0.02, E2E 0.24.
  EXPECT_EQ(cell(1, "index"), "1");
  EXPECT_NEAR(number(1, "scheduled_s"), 0.999, 1e-12);
  EXPECT_NEAR(number(1, "lateness_ms"), 1, 1e-9);
  EXPECT_NEAR(number(1, "send_s"), 1, 1e-12);
  EXPECT_NEAR(number(1, "ttft_s"), 0.2, 1e-12);
  EXPECT_NEAR(number(1, "tpot_s"), 0.02, 1e-12);
  EXPECT_NEAR(number(1, "e2e_s"), 0.24, 1e-12);
  EXPECT_EQ(cell(1, "planned_input_tokens"), "11");
  EXPECT_EQ(cell(1, "prompt_tokens"), "12");
  EXPECT_EQ(cell(1, "output_tokens"), "3");
  EXPECT_EQ(cell(1, "chunks"), "3");
  EXPECT_NEAR(number(1, "response_joules"), 2, 1e-12);
  EXPECT_NEAR(number(1, "response_gpu_joules"), 1.5, 1e-12);  // the response's devices
  EXPECT_NEAR(number(1, "response_cpu_joules"), 0.5, 1e-12);
  EXPECT_EQ(cell(0, "response_gpu_joules"), "");  // a response without them
  EXPECT_NEAR(number(1, "meter_joules"), f.meter_joules[1], 1e-9);
  EXPECT_GT(number(1, "meter_joules"), 0);
  EXPECT_EQ(cell(1, "slo_met"), "true");
  EXPECT_EQ(cell(1, "status"), "200");
  EXPECT_EQ(cell(1, "error"), "");
  EXPECT_EQ(cell(4, "slo_met"), "false");  // TTFT 1 s
  // The failed request: unknown values are empty cells.
  EXPECT_EQ(cell(5, "prompt_tokens"), "");
  EXPECT_EQ(cell(5, "ttft_s"), "");
  EXPECT_EQ(cell(5, "tpot_s"), "");
  EXPECT_EQ(cell(5, "response_joules"), "");
  EXPECT_EQ(cell(5, "slo_met"), "false");
  EXPECT_EQ(cell(5, "status"), "503");
  EXPECT_EQ(cell(5, "error"), "HTTP 503: busy");
  EXPECT_NEAR(number(5, "lateness_ms"), 10, 1e-9);
  EXPECT_EQ(cell(5, "chunks"), "0");
}

}  // namespace
}  // namespace wattserve::bench::load
