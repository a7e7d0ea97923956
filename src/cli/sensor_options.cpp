#include "cli/sensor_options.h"

#include <stdexcept>

namespace wattserve::cli {

CLI::Validator non_blank() {
  return CLI::Validator(
      [](std::string& value) -> std::string {
        if (value.find_first_not_of(" \t\n\r\f\v") != std::string::npos) return "";
        return "an empty value is not allowed (leave the option out for its default)";
      },
      "", "NON_BLANK");
}

void add_sensor_flags(CLI::App* app, SensorFlags& f) {
  auto& s = f.meter.sel;
  app->add_option("--sensors", f.meter.sensors,
                  "Comma-separated sensors to use instead of the automatic choice: "
                  "rapl, perf, nvml, hwmon, external, estimate")
      ->check(non_blank())
      ->group("Sensors");
  app->add_flag("--psys", s.include_psys,
                "Use RAPL psys (whole SoC platform) as the CPU-side total instead of "
                "package + dram")
      ->group("Sensors");
  app->add_option("--sysfs-root", s.sysfs_root, "Where sysfs is mounted (a fake tree in tests)")
      ->capture_default_str()
      ->check(non_blank())
      ->group("Sensors");
  app->add_option("--procfs-root", s.procfs_root, "Where procfs is mounted")
      ->capture_default_str()
      ->check(non_blank())
      ->group("Sensors");
  app->add_option("--nvml-lib", s.nvml_library, "NVML library to dlopen")
      ->capture_default_str()
      ->check(non_blank())
      ->group("Sensors");
  app->add_option("--meter-cmd", s.external.command,
                  "External power meter: a shell command printing watts, e.g. "
                  "'ipmitool dcmi power reading'")
      ->check(non_blank())
      ->group("External meter");
  app->add_option("--meter-url", s.external.url,
                  "External power meter: a plain-http URL returning watts (number or JSON)")
      ->check(non_blank())
      ->group("External meter");
  app->add_option("--meter-interval", f.meter.external_interval_ms,
                  "How often the external meter is read, in ms")
      ->capture_default_str()
      ->check(CLI::Range(10.0, 3'600'000.0))
      ->group("External meter");
  app->add_option("--meter-field", s.external.json_field,
                  "JSON field holding the watts (a.b for nested); default: watts, power, power_w")
      ->check(non_blank())
      ->group("External meter");
  app->add_option("--cpu-model", s.estimate.cpu_model,
                  "Estimator: CPU model name (default: from /proc/cpuinfo)")
      ->check(non_blank())
      ->group("Estimator");
  app->add_option("--tdp", s.estimate.tdp_w, "Estimator: TDP per socket in W (default: table)")
      ->check(CLI::Range(1.0, 2000.0))
      ->group("Estimator");
  app->add_option("--sockets", s.estimate.sockets,
                  "Estimator: CPU sockets (default: from /proc/cpuinfo)")
      ->check(CLI::Range(1, 64))
      ->group("Estimator");
}

energy::SensorSelection SensorFlags::selection() const {
  try {
    return energy::sensor_selection(meter);
  } catch (const std::invalid_argument& e) {
    throw CLI::ValidationError("--meter-cmd and --meter-url", e.what());
  }
}

}  // namespace wattserve::cli
