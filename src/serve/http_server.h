// The HTTP/1.1 layer of `wattserve serve`: an event-driven server on Boost.Beast over Asio. A few
// I/O threads multiplex every connection, so idle, slow and streaming clients cost a socket and a
// few KiB each, never a thread. Before any handler runs it bounds what a client can make it hold:
// the request head (bytes, fields, time from its first byte) and the body (Content-Length or
// chunked, checked as it arrives, within a time). The application sees the head first and may
// answer (401, 404, ...) without the body being read. Responses are written from any thread
// through a Responder, whole or streamed in chunks. stop() closes the listener and the idle
// connections, lets the requests in flight finish, and closes what is left after the drain timeout.
// Limits and their defaults: docs/serve.md ("Connections and limits").
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace wattserve::serve::http {

struct HttpOptions {
  std::string host = "127.0.0.1";
  int port = 8080;                          // 0: any free port (bind() returns it)
  std::size_t max_body_bytes = 2 << 20;     // 413 above, any transfer encoding
  std::size_t max_header_bytes = 16 << 10;  // request line + fields; 431 above
  std::size_t max_header_fields = 100;      // 431 above
  double header_timeout_s = 10;             // the head, from its first byte (then close)
  double body_timeout_s = 30;               // the body, from the end of the head
  double idle_timeout_s = 30;               // a keep-alive connection waiting for a request
  double write_timeout_s = 30;              // a write the client does not take
  double drain_timeout_s = 30;              // stop(): how long requests in flight may finish
  std::size_t max_connections = 8192;       // more are accepted and closed at once
  int io_threads = 2;
  int task_threads = 4;  // post(): parsing, tokenising, building responses
};

using Headers = std::vector<std::pair<std::string, std::string>>;

struct Request {
  std::string method;  // "GET", "POST", ...
  std::string target;  // as sent: path and query
  std::string path;    // target up to '?'
  Headers headers;     // as sent
  bool has_body = false;
  std::string body;
  // Case-insensitive; "" when absent.
  std::string header(std::string_view name) const;
};

struct Reply {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  Headers headers;
};

// One request's answer, usable from any thread and after the handler returned. Everything is
// ignored once the connection is gone.
class Responder {
 public:
  virtual ~Responder() = default;
  // The whole response, once.
  virtual void send(Reply reply) = 0;
  // A chunked response: its head, then any number of write()s, then end().
  virtual void start_stream(int status, std::string content_type, Headers headers) = 0;
  virtual void write(std::string data) = 0;
  virtual void end() = 0;
  // False once the connection closed (client gone, timeout, drain).
  virtual bool open() const = 0;
  // Called once, on an I/O thread, if the connection closes before the response was complete.
  // Set it before handing the responder to other threads.
  virtual void on_abort(std::function<void()> fn) = 0;
};

struct Handlers {
  // On an I/O thread when the head is in, before any byte of the body is read. A reply answers
  // at once; an announced body is then not read, and the connection closes after the reply.
  std::function<std::optional<Reply>(const Request& head)> on_head;
  // On an I/O thread with the whole request. Must not block: answer through the responder now,
  // or hand the work to another thread.
  std::function<void(Request request, std::shared_ptr<Responder> responder)> on_request;
  // The body of the layer's own errors (400, 413, 431, 500).
  std::function<Reply(int status, const std::string& message)> error_reply;
};

class HttpServer {
 public:
  HttpServer(HttpOptions options, Handlers handlers);
  ~HttpServer();  // stop(); the caller must have returned from run(), and joined the tasks
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and listens; std::runtime_error when it cannot. Returns the port.
  int bind();
  // Serves on the I/O threads until stop(), then drains (requests in flight finish, at most the
  // drain timeout) and returns once every connection is closed.
  void run();
  // Thread-safe; returns at once. Idempotent.
  void stop();
  // Open connections now.
  std::size_t connections() const;
  // Runs `task` on one of the task threads (request work that must not hold an I/O thread).
  void post(std::function<void()> task);
  // Waits until every posted task has run; no task may be posted after. Call it before
  // destroying the server once nothing else can post (the served models' workers have stopped),
  // so no Responder outlives the server.
  void join_tasks();

 private:
  friend class Session;  // one connection (http_server.cpp)
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace wattserve::serve::http
