// Facts about the machine for run summaries and CodeCarbon rows: OS, CPU model and count,
// installed RAM (from procfs), and GPUs (from the sensors' GPU domains).
#pragma once

#include <string>
#include <vector>

#include "energy/exporters/run_summary.h"
#include "energy/core/types.h"

namespace wattserve::cli {

energy::MachineInfo machine_info(const std::string& procfs_root,
                                 const std::vector<energy::Domain>& domains);

}  // namespace wattserve::cli
