// A small CSV reader for the data tables compiled into the library (CPU TDPs, cloud regions).
// Handles a UTF-8 byte-order mark, CRLF line ends, quoted fields with embedded commas and
// doubled quotes, and blank lines. Not a general CSV library: no multi-line quoted fields.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace wattserve::energy {

using CsvRow = std::vector<std::string>;

// Splits text into rows of fields (the header, if any, is the first row). Surrounding spaces of
// unquoted fields are kept as they are; quotes are removed.
std::vector<CsvRow> parse_csv(std::string_view text);

}  // namespace wattserve::energy
