// Facts about the machine for run records and CodeCarbon rows: OS and kernel, CPU model, logical
// CPUs and physical cores, installed RAM, the CPU frequency governor, and the GPUs with their
// driver. Everything is read below two roots (procfs and sysfs), so that tests read fake trees;
// the GPUs are those the meter measures (its GPU domains).
#pragma once

#include <string>
#include <vector>

#include "energy/core/types.h"
#include "energy/exporters/run_summary.h"

namespace wattserve::record {

using MachineInfo = energy::MachineInfo;

struct MachineRoots {
  std::string procfs = "/proc";
  std::string sysfs = "/sys";
};

// Reads, each with its fallback when the file is missing:
//   os                  <procfs>/sys/kernel/{ostype,osrelease} and the build's architecture
//                       ("Linux-6.1.0-13-amd64-x86_64");
//   kernel              <procfs>/sys/kernel/osrelease;
//   cpu_model           "model name" of <procfs>/cpuinfo (else "Processor"/"cpu model");
//   cpu_count           <sysfs>/devices/system/cpu/online, else cpuinfo's "processor" lines,
//                       else sysconf(_SC_NPROCESSORS_ONLN);
//   cpu_cores           distinct (physical_package_id, core_id) of the online CPUs' topology/,
//                       else distinct ("physical id", "core id") of cpuinfo, else cpu_count;
//   ram_total_gib       MemTotal of <procfs>/meminfo / 2^20;
//   frequency_governor  the distinct <sysfs>/devices/system/cpu/cpu*/cpufreq/scaling_governor
//                       values, sorted, joined by ","; "none" without cpufreq;
//   gpu_count/gpu_model the GPU domains ("2 x NVIDIA H100 80GB HBM3");
//   gpu_driver          for NVML domains "nvidia" and its version from <sysfs>/module/nvidia/
//                       version, else from <procfs>/driver/nvidia/version ("nvidia 550.54.15");
//                       for amdgpu domains "amdgpu" (+ <sysfs>/module/amdgpu/version when
//                       present); both joined by ", "; empty without GPU domains.
MachineInfo machine_info(const MachineRoots& roots, const std::vector<energy::Domain>& domains);

}  // namespace wattserve::record
