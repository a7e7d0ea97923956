// Small formatting helpers shared by the output writers: UTC timestamps and CSV fields.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace wattserve::energy {

// Unix-epoch nanoseconds as ISO 8601 UTC: "2023-11-14T22:13:20.123Z" (with_ms) or
// "2023-11-14T22:13:20Z".
std::string iso8601_utc(int64_t wall_ns, bool with_ms = true);
// RFC 3339 ("2024-05-01T12:00:00.123Z", "...+02:00"; a space for the T, as in Electricity Maps'
// CSV exports, too) as Unix-epoch ns; 0 when unreadable.
int64_t parse_rfc3339_ns(const std::string& s);

// One CSV field (RFC 4180): quoted when it holds a comma, quote, CR or LF, quotes doubled.
std::string csv_field(std::string_view s);
// Fields joined by commas, no line end.
std::string csv_row(const std::vector<std::string>& fields);
// Splits the first line of a CSV text into fields (RFC 4180 quoting; the line may end in CRLF).
std::vector<std::string> csv_parse_first_line(std::string_view text);

// A double in the shortest form that reads back exactly ("0.1", "20", "1e-05").
std::string format_double(double v);

}  // namespace wattserve::energy
