// CodeCarbon-compatible emissions.csv: one row per measured run, with CodeCarbon's column
// names, order and units (kWh, W, kg, seconds), so tools built for CodeCarbon's output read
// wattserve's. Column mapping and what wattserve puts in Python-specific columns:
// docs/measurement.md.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "energy/exporters/run_summary.h"

namespace wattserve::energy {

// CodeCarbon 3.x emissions.csv header (38 columns), the layout of new files.
const std::vector<std::string>& codecarbon_columns();
// CodeCarbon 2.x header (32 columns: no water/utilisation columns, no wue). Files with this
// header are appended to in their own layout.
const std::vector<std::string>& codecarbon_v2_columns();

// Every column of codecarbon_columns() with its value for this run, in that order.
std::vector<std::pair<std::string, std::string>> codecarbon_fields(const RunSummary& s);
// The CSV line (no line end) for this run in the given column layout; columns must be known.
std::string codecarbon_row(const RunSummary& s, const std::vector<std::string>& columns);

// Appends this run to `path`. Safe against concurrent appends from other threads and
// processes: the check and the write happen under an exclusive flock() on "<path>.lock" (a
// sidecar file, created if missing and left in place). A missing file is created atomically
// (temporary file + rename) with the 3.x header and the row; an existing one gets just the new
// row appended (O_APPEND, one write(), fsync), keeping its mode and owner; an empty one gets the
// 3.x header first. An existing file must carry the 3.x or the 2.x header; anything else throws
// std::runtime_error and the file is left untouched. A FIFO, device or /dev/stdout (see
// write_file_atomic) gets the header and the row written through, with no lock file.
void append_codecarbon_csv(const std::string& path, const RunSummary& s);

// Checks, writing nothing, what append_codecarbon_csv(path, ...) will check: the path can be
// written (check_output_path) and an existing file carries a header it appends to. Throws
// std::runtime_error naming the path (the same message for a foreign header). For checks made
// before a run, so a command is not run for results that cannot be kept.
void check_codecarbon_csv(const std::string& path);

}  // namespace wattserve::energy
