// Server-Sent Events parsing (WHATWG HTML, "Parsing an event stream") for the load generator's
// streaming HTTP client: bytes arrive in arbitrary chunks and come out as whole events.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace wattserve::bench::load {

// One dispatched event.
struct SseEvent {
  std::string event;  // the "event:" field; "" = the default type, "message"
  std::string data;   // the "data:" lines joined by '\n'
  bool operator==(const SseEvent&) const = default;
};

// An incremental event-stream parser. Bytes are kept as bytes (no UTF-8 decoding), so a chunk
// boundary may fall anywhere: inside a line, between '\r' and '\n', inside a UTF-8 character.
// Rules (WHATWG): lines end with "\n", "\r\n" or "\r"; a leading UTF-8 BOM is dropped; a blank
// line dispatches the pending event (only when it has data; the event type resets either way);
// lines starting with ':' are comments; "field: value" (one space after ':' dropped; a line with
// no ':' is a field with an empty value); "data" appends value + '\n' (the last '\n' is removed
// at dispatch), "event" sets the type; "id", "retry" and unknown fields are ignored.
class SseParser {
 public:
  explicit SseParser(std::size_t max_line_bytes = 1 << 20);

  // Appends bytes and returns the events they complete, in order. A line longer than
  // max_line_bytes throws std::runtime_error("SSE line longer than N bytes"); the parser is then
  // unusable.
  std::vector<SseEvent> feed(std::string_view bytes);

  // At the end of the stream: true when bytes of an unfinished event are pending (a partial
  // line, or fields not yet dispatched by a blank line): the stream was cut.
  bool incomplete() const;

 private:
  void process_line(std::vector<SseEvent>& out);

  std::size_t max_line_bytes_;
  std::string line_;         // the current, unfinished line
  std::string data_;         // the pending event's data, each line followed by '\n'
  std::string event_;        // the pending event's type
  bool has_fields_ = false;  // a data/event line was seen since the last dispatch
  bool skip_lf_ = false;     // the last byte was a '\r' ending a line: a '\n' next belongs to it
  bool first_line_ = true;   // the BOM check is still due
};

}  // namespace wattserve::bench::load
