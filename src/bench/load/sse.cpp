// Server-Sent Events parsing (WHATWG rules): see sse.h.
#include "bench/load/sse.h"

#include <fmt/format.h>

#include <stdexcept>

namespace wattserve::bench::load {

SseParser::SseParser(std::size_t max_line_bytes) : max_line_bytes_(max_line_bytes) {}

std::vector<SseEvent> SseParser::feed(std::string_view bytes) {
  std::vector<SseEvent> out;
  std::size_t i = 0;
  while (i < bytes.size()) {
    if (skip_lf_) {
      skip_lf_ = false;
      if (bytes[i] == '\n') {
        ++i;
        continue;
      }
    }
    const std::size_t end = bytes.find_first_of("\r\n", i);
    const std::size_t stop = end == std::string_view::npos ? bytes.size() : end;
    if (line_.size() + (stop - i) > max_line_bytes_) {
      throw std::runtime_error(fmt::format("SSE line longer than {} bytes", max_line_bytes_));
    }
    line_.append(bytes.substr(i, stop - i));
    if (end == std::string_view::npos) break;
    skip_lf_ = bytes[end] == '\r';
    i = end + 1;
    process_line(out);
  }
  return out;
}

void SseParser::process_line(std::vector<SseEvent>& out) {
  std::string_view line = line_;
  if (first_line_) {
    first_line_ = false;
    if (line.starts_with("\xEF\xBB\xBF")) line.remove_prefix(3);
  }
  if (line.empty()) {  // dispatch
    if (!data_.empty()) {
      data_.pop_back();  // the '\n' after the last data line
      out.push_back(SseEvent{std::move(event_), std::move(data_)});
    }
    data_.clear();
    event_.clear();
    has_fields_ = false;
  } else if (line.front() != ':') {  // not a comment
    const std::size_t colon = line.find(':');
    std::string_view field = line.substr(0, colon);
    std::string_view value;
    if (colon != std::string_view::npos) {
      value = line.substr(colon + 1);
      if (value.starts_with(' ')) value.remove_prefix(1);
    }
    if (field == "data") {
      data_.append(value);
      data_.push_back('\n');
      has_fields_ = true;
    } else if (field == "event") {
      event_.assign(value);
      has_fields_ = true;
    }  // "id", "retry" and unknown fields: ignored
  }
  line_.clear();
}

bool SseParser::incomplete() const {
  return !line_.empty() || has_fields_;
}

}  // namespace wattserve::bench::load
