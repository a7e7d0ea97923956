// An external power meter (smart PDU, `ipmitool dcmi power reading`, a wattmeter) read through a
// shell command or a plain-HTTP endpoint that returns watts. It polls on a background thread of
// its own (meters are slow) and integrates the readings into joules for one kSystem domain
// "external:<label>". Parsing and integration rules: docs/measurement.md.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "energy/core/clock.h"
#include "energy/core/sensor.h"

namespace wattserve::energy {

struct ExternalMeterOptions {
  std::string command;  // run with /bin/sh -c; prints watts (exactly one of command and url)
  std::string url;      // http://host[:port]/path returning watts (no https)
  int64_t interval_ns = 1'000'000'000;  // poll period; a command is killed after 3 x this
  std::string label = "external";       // domain id "external:<label>"
  // JSON field holding the watts ("a.b" for nested objects). Empty: a JSON body is searched
  // for "watts", "power", "power_w"; any other output gives the number after "reading:" if
  // present (ipmitool), else its first number.
  std::string json_field;
  bool start_thread = true;      // false: nothing polls but poll_once() (tests)
  std::shared_ptr<Clock> clock;  // timestamps of polls; defaults to the system clock
};

// Parses watts from a command's output or an HTTP body by the rules above; nullopt when there
// is no number (or the JSON field is missing or not a number), with the reason in *error.
std::optional<double> parse_watts(std::string_view text, const std::string& json_field,
                                  std::string* error);

class ExternalMeter final : public Sensor {
 public:
  // Validates the options and polls once; throws SensorError when the options are bad or the
  // first poll fails. Starts the polling thread when opts.start_thread.
  explicit ExternalMeter(ExternalMeterOptions opts);
  ~ExternalMeter() override;
  ExternalMeter(const ExternalMeter&) = delete;
  ExternalMeter& operator=(const ExternalMeter&) = delete;

  std::string_view name() const override { return "external"; }
  const std::vector<Domain>& domains() const override { return domains_; }
  // Joules since the first poll: trapezoids between successive good polls, plus the last
  // reading held constant from the last poll to now_ns; never decreasing. Fails (with the
  // poll's error) while the latest poll failed.
  bool read(int64_t now_ns, std::span<double> out, std::string* error) override;
  void last_power(std::span<double> out) const override;
  int64_t min_interval_ns() const override { return opts_.interval_ns; }

  // Takes one reading now (runs the command or the HTTP GET) and records it; returns false with
  // the reason when the meter could not be read. Thread-safe; the polling thread calls it.
  bool poll_once(std::string* error = nullptr);

 private:
  std::optional<double> fetch(std::string* error) const;
  void run();

  ExternalMeterOptions opts_;
  std::vector<Domain> domains_;

  mutable std::mutex mu_;      // guards the reading state below
  bool have_reading_ = false;  // a good poll since the last failure (or the start)
  int64_t last_poll_ns_ = 0;
  double last_watts_ = 0;
  double polled_joules_ = 0;  // energy up to last_poll_ns_
  double reported_ = 0;       // largest value read() returned
  std::string last_error_;

  std::mutex run_mu_;
  std::condition_variable run_cv_;
  bool stopping_ = false;
  std::thread thread_;
};

// The external meter, or nullptr with a note in *notes (may be null) when the options are bad or
// the first poll fails. Never throws.
std::unique_ptr<Sensor> make_external_meter(const ExternalMeterOptions& opts,
                                            std::vector<SensorNote>* notes);

}  // namespace wattserve::energy
