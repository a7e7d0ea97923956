// HttpServer (http_server.h) on Boost.Beast: one Session per connection, all of its I/O on its own
// strand. A session waits for a request (idle timeout), reads its head (header timeout and limits),
// lets the application answer from the head or reads the body (body timeout and limit), hands the
// request over, and writes what the Responder gives it through one write queue (write timeout).
#include "serve/http_server.h"

#include <fmt/format.h>
#include <sys/socket.h>

#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <limits>
#include <map>
#include <mutex>
#include <thread>

namespace wattserve::serve::http {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = net::ip::tcp;

namespace {

// The HTTP layer's times (header/idle/body timeouts, linger, drain) stay on steady_clock, not on
// the injected energy::Clock the workers and the meter use: they are Asio socket timers, which
// guard real sockets against real clients and cannot run in fake time. Nothing here times a job
// or feeds a measurement.
std::chrono::steady_clock::duration secs(double s) {
  return std::chrono::duration_cast<std::chrono::steady_clock::duration>(
      std::chrono::duration<double>(s));
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

std::string reason(int status) {
  const auto r = bhttp::obsolete_reason(bhttp::int_to_status(static_cast<unsigned>(status)));
  return r.empty() ? std::string("Unknown") : std::string(r);
}

// The status line and fields of a response; `length` -1: chunked, -2: up to the close.
std::string response_head(int status, const std::string& content_type, const Headers& headers,
                          bool close, long long length) {
  std::string h = fmt::format("HTTP/1.1 {} {}\r\nServer: wattserve\r\nContent-Type: {}\r\n", status,
                              reason(status), content_type);
  if (length >= 0) {
    h += fmt::format("Content-Length: {}\r\n", length);
  } else if (length == -1) {
    h += "Transfer-Encoding: chunked\r\n";
  }  // -2: delimited by the end of the connection (HTTP/1.0)
  h += close ? "Connection: close\r\n" : "Connection: keep-alive\r\n";
  for (const auto& [k, v] : headers) {
    // A field must not break the head: no CR or LF in names or values.
    if (k.find_first_of("\r\n:") != std::string::npos ||
        v.find_first_of("\r\n") != std::string::npos) {
      continue;
    }
    h += k + ": " + v + "\r\n";
  }
  return h + "\r\n";
}

constexpr std::size_t kLingerBytes = 16 << 20;  // unread body discarded before closing, at most
constexpr double kLingerSeconds = 2;

}  // namespace

std::string Request::header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (iequals(k, name)) return v;
  }
  return {};
}

class Session;
class Handle;

struct HttpServer::Impl {
  HttpOptions opt;
  Handlers handlers;
  net::io_context ioc;
  net::executor_work_guard<net::io_context::executor_type> work{ioc.get_executor()};
  // The listener and its retry timer share one strand: accepting and stop() never race.
  tcp::acceptor acceptor{net::make_strand(ioc)};
  net::steady_timer accept_retry{acceptor.get_executor()};
  net::thread_pool tasks{static_cast<std::size_t>(opt.task_threads)};

  mutable std::mutex mu;
  std::condition_variable cv;
  std::map<std::uint64_t, std::weak_ptr<Session>> sessions;  // open connections
  std::uint64_t next_id = 1;
  bool stopping = false;
  std::atomic<bool> draining{false};

  Impl(HttpOptions o, Handlers h) : opt(std::move(o)), handlers(std::move(h)) {}
  void accept();
  void remove(std::uint64_t id) {
    {
      std::lock_guard lk(mu);
      sessions.erase(id);
    }
    cv.notify_all();
  }
  std::vector<std::shared_ptr<Session>> live_sessions() {
    std::vector<std::shared_ptr<Session>> out;
    std::lock_guard lk(mu);
    for (auto& [id, w] : sessions) {
      if (auto s = w.lock()) out.push_back(std::move(s));
    }
    return out;
  }
};

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, HttpServer::Impl* server, std::uint64_t id)
      : stream_(std::move(socket)), srv_(server), opt_(server->opt), id_(id) {}

  void start() {
    net::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->wait_request(); });
  }
  // stop(): a connection between requests closes now; one with a request in progress closes
  // after its response.
  void drain() {
    net::post(stream_.get_executor(), [self = shared_from_this()] {
      if (self->state_ == State::kIdle || self->state_ == State::kHead) self->close();
    });
  }
  void force_close() {
    net::post(stream_.get_executor(), [self = shared_from_this()] { self->close(); });
  }

  // What a request's Responder (Handle) does, on the strand; calls of an earlier request on
  // the same connection (`gen` no longer current) are dropped.
  void post(std::uint64_t gen, std::function<void(Session&)> fn) {
    net::post(stream_.get_executor(), [self = shared_from_this(), gen, f = std::move(fn)] {
      if (self->state_ != State::kClosed && gen == self->gen_) f(*self);
    });
  }
  void do_start_stream(int status, const std::string& content_type, const Headers& headers) {
    if (started_) return;
    started_ = true;
    state_ = State::kWriting;
    // HTTP/1.0 has no chunked encoding: the stream ends with the connection.
    close_after_ = !keep_alive_ || http10_ || srv_->draining;
    enqueue(response_head(status, content_type, headers, close_after_, http10_ ? -2 : -1));
  }
  void do_write(std::string data) {
    if (!started_ || done_ || data.empty()) return;  // an empty chunk would end the stream
    if (head_only_) return;
    enqueue(http10_ ? std::move(data) : fmt::format("{:x}\r\n", data.size()) + data + "\r\n");
  }
  void do_end() {
    if (!started_ || done_) return;
    done_ = true;
    enqueue(http10_ || head_only_ ? std::string() : std::string("0\r\n\r\n"));
  }
  bool open(std::uint64_t gen) const { return open_.load() && gen == gen_atomic_.load(); }
  void set_abort(std::uint64_t gen, std::function<void()> fn) {
    std::unique_lock lk(abort_mu_);
    if (!open(gen)) {  // already gone: abort now
      lk.unlock();
      if (fn) fn();
      return;
    }
    on_abort_ = std::move(fn);
  }
  void do_send(Reply r) {
    if (state_ == State::kClosed || started_) return;
    started_ = done_ = true;
    state_ = State::kWriting;
    close_after_ = !keep_alive_ || srv_->draining;
    std::string out = response_head(r.status, r.content_type, r.headers, close_after_,
                                    static_cast<long long>(r.body.size()));
    if (!head_only_) out += r.body;  // a HEAD response has the fields of the body, not the body
    enqueue(std::move(out));
  }

 private:
  enum class State { kIdle, kHead, kBody, kHandling, kWriting, kLinger, kClosed };

  void wait_request() {
    if (state_ == State::kClosed) return;
    state_ = State::kIdle;
    started_ = done_ = dispatched_ = false;
    if (srv_->draining) return close();
    if (buffer_.size() > 0) return read_head();  // a pipelined request is already here
    stream_.expires_after(secs(opt_.idle_timeout_s));
    stream_.async_read_some(buffer_.prepare(4096),
                            [self = shared_from_this()](beast::error_code ec, std::size_t n) {
                              self->stream_.expires_never();
                              if (ec) return self->close();
                              if (self->state_ == State::kClosed) return;
                              self->buffer_.commit(n);
                              self->read_head();
                            });
  }

  void read_head() {
    if (state_ == State::kClosed) return;
    state_ = State::kHead;
    head_.emplace();
    head_->header_limit(static_cast<std::uint32_t>(opt_.max_header_bytes));
    // The body's length is checked after the application saw the head (a request without the
    // key gets 401 whatever its length); the body parser enforces the limit as it reads.
    head_->body_limit(std::numeric_limits<std::uint64_t>::max());
    stream_.expires_after(secs(opt_.header_timeout_s));
    bhttp::async_read_header(stream_, buffer_, *head_,
                             [self = shared_from_this()](beast::error_code ec, std::size_t) {
                               self->stream_.expires_never();
                               self->on_head(ec);
                             });
  }

  // A failed read: the layer's own error reply where the client can still read one.
  void read_failed(beast::error_code ec, const char* what) {
    if (state_ == State::kClosed) return;
    if (ec == bhttp::error::header_limit) {
      return reject(431,
                    fmt::format("the request head is larger than {} bytes", opt_.max_header_bytes));
    }
    if (ec == bhttp::error::body_limit) {
      return reject(413, fmt::format("the request body is larger than {} bytes (--max-body)",
                                     opt_.max_body_bytes));
    }
    if (ec.category() == bhttp::make_error_code(bhttp::error::bad_target).category() &&
        ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message) {
      return reject(400, fmt::format("malformed HTTP {}: {}", what, ec.message()));
    }
    close();  // end of stream, timeout (the socket is closed), reset
  }

  void on_head(beast::error_code ec) {
    if (state_ == State::kClosed) return;
    if (ec) return read_failed(ec, "request head");
    auto& h = head_->get();
    head_only_ = h.method() == bhttp::verb::head;
    http10_ = h.version() < 11;
    std::size_t fields = 0;
    for (auto it = h.begin(); it != h.end(); ++it) ++fields;
    if (fields > opt_.max_header_fields) {
      return reject(431, fmt::format("the request has {} header fields; at most {}", fields,
                                     opt_.max_header_fields));
    }
    keep_alive_ = h.keep_alive();
    req_ = Request{};
    req_.method = std::string(h.method_string());
    req_.target = std::string(h.target());
    req_.path = req_.target.substr(0, req_.target.find('?'));
    for (const auto& f : h) req_.headers.emplace_back(f.name_string(), f.value());
    req_.has_body = !head_->is_done();
    std::optional<Reply> early;
    try {
      if (srv_->handlers.on_head) early = srv_->handlers.on_head(req_);
    } catch (const std::exception& e) {
      early = srv_->handlers.error_reply(500, e.what());
    }
    if (early) {
      if (req_.has_body) keep_alive_ = false;  // its body stays unread: close after the reply
      state_ = State::kHandling;
      return do_send(std::move(*early));
    }
    if (!req_.has_body) {
      head_.reset();
      return dispatch();
    }
    if (const auto length = head_->content_length(); length && *length > opt_.max_body_bytes) {
      return reject(413, fmt::format("the request body ({} bytes) is larger than {} bytes "
                                     "(--max-body)",
                                     *length, opt_.max_body_bytes));
    }
    body_.emplace(std::move(*head_));
    head_.reset();
    body_->body_limit(opt_.max_body_bytes);
    state_ = State::kBody;
    if (!http10_ && iequals(req_.header("Expect"), "100-continue")) {
      stream_.expires_after(secs(opt_.write_timeout_s));
      continue_ = "HTTP/1.1 100 Continue\r\n\r\n";
      net::async_write(stream_, net::buffer(continue_),
                       [self = shared_from_this()](beast::error_code wec, std::size_t) {
                         self->stream_.expires_never();
                         if (wec) return self->close();
                         if (self->state_ == State::kClosed) return;
                         self->read_body();
                       });
      return;
    }
    read_body();
  }

  void read_body() {
    stream_.expires_after(secs(opt_.body_timeout_s));
    bhttp::async_read(stream_, buffer_, *body_,
                      [self = shared_from_this()](beast::error_code ec, std::size_t) {
                        self->stream_.expires_never();
                        if (self->state_ == State::kClosed) return;
                        if (ec) return self->read_failed(ec, "request body");
                        self->req_.body = std::move(self->body_->get().body());
                        self->body_.reset();
                        self->dispatch();
                      });
  }

  void dispatch();  // after Handle, below

  // While a request is handled, notice the client leaving (end of stream or reset) so that its
  // work is cancelled (on_abort) instead of running for nobody. Bytes of a pipelined request
  // are left for later.
  void watch() {
    const std::uint64_t gen = ++watch_gen_;
    watching_ = true;
    stream_.socket().async_wait(tcp::socket::wait_read, [self = shared_from_this(),
                                                         gen](beast::error_code ec) {
      if (gen != self->watch_gen_) return;  // a stale wait, cancelled after its request
      self->watching_ = false;
      if (ec || self->state_ == State::kClosed || !self->dispatched_) return;
      char c = 0;
      const auto n = ::recv(self->stream_.socket().native_handle(), &c, 1, MSG_PEEK | MSG_DONTWAIT);
      if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
        self->close();  // gone
      } else if (n < 0) {
        self->watch();  // spurious wake-up
      }
    });
  }

  void reject(int status, const std::string& message) {
    keep_alive_ = false;
    state_ = State::kHandling;
    do_send(srv_->handlers.error_reply(status, message));
  }

  void enqueue(std::string bytes) {
    outq_.push_back(std::move(bytes));
    if (!writing_) write_next();
  }

  void write_next() {
    if (state_ == State::kClosed) return;
    if (outq_.empty()) {
      if (done_) response_written();
      return;
    }
    out_.clear();
    for (auto& s : outq_) out_ += s;  // what is queued goes out in one write
    outq_.clear();
    writing_ = true;
    stream_.expires_after(secs(opt_.write_timeout_s));
    net::async_write(stream_, net::buffer(out_),
                     [self = shared_from_this()](beast::error_code ec, std::size_t) {
                       self->writing_ = false;
                       self->stream_.expires_never();
                       if (ec) return self->close();
                       self->write_next();
                     });
  }

  void response_written() {
    {
      std::lock_guard lk(abort_mu_);
      on_abort_ = nullptr;  // complete: nothing to abort (and no cycle through a job)
    }
    dispatched_ = false;
    if (watching_) {  // the response is out: stop watching (no other operation is pending)
      ++watch_gen_;
      watching_ = false;
      beast::error_code ec;
      stream_.socket().cancel(ec);
    }
    if (close_after_ || srv_->draining) return linger();
    wait_request();
  }

  // Closes our side and reads (and drops) what the client still sends for a moment, so that a
  // reply sent before its request's body was read reaches the client instead of a reset.
  void linger() {
    state_ = State::kLinger;
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    if (ec) return close();
    linger_deadline_ = std::chrono::steady_clock::now() + secs(kLingerSeconds);
    linger_read();
  }
  void linger_read() {
    if (std::chrono::steady_clock::now() >= linger_deadline_ || lingered_ > kLingerBytes) {
      return close();
    }
    buffer_.consume(buffer_.size());
    stream_.expires_after(secs(kLingerSeconds));
    stream_.async_read_some(buffer_.prepare(64 << 10),
                            [self = shared_from_this()](beast::error_code ec, std::size_t n) {
                              self->stream_.expires_never();
                              if (ec) return self->close();
                              self->lingered_ += n;
                              self->linger_read();
                            });
  }

  void close() {
    if (state_ == State::kClosed) return;
    const bool aborted = dispatched_;  // a request whose response was not all written
    state_ = State::kClosed;
    open_ = false;
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.close();
    outq_.clear();
    std::function<void()> abort;
    {
      std::lock_guard lk(abort_mu_);
      abort = std::move(on_abort_);
      on_abort_ = nullptr;
    }
    if (aborted && abort) abort();
    srv_->remove(id_);
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  HttpServer::Impl* srv_;
  const HttpOptions& opt_;
  const std::uint64_t id_;
  State state_ = State::kIdle;
  std::optional<bhttp::request_parser<bhttp::empty_body>> head_;
  std::optional<bhttp::request_parser<bhttp::string_body>> body_;
  Request req_;
  bool keep_alive_ = true, close_after_ = false;
  bool started_ = false, done_ = false, dispatched_ = false;
  std::deque<std::string> outq_;
  std::string out_, continue_;
  bool writing_ = false;
  bool head_only_ = false, http10_ = false;
  std::uint64_t gen_ = 0;  // the current request's number (on the strand)
  std::atomic<std::uint64_t> gen_atomic_{0};
  bool watching_ = false;
  std::uint64_t watch_gen_ = 0;
  std::chrono::steady_clock::time_point linger_deadline_;
  std::size_t lingered_ = 0;
  std::atomic<bool> open_{true};
  std::mutex abort_mu_;
  std::function<void()> on_abort_;
};

// One request's Responder: forwards to its connection's strand, tagged with the request's
// number, so that nothing it does can touch a later request on the same connection.
class Handle final : public Responder {
 public:
  Handle(std::shared_ptr<Session> session, std::uint64_t gen)
      : session_(std::move(session)), gen_(gen) {}
  void send(Reply reply) override {
    session_->post(gen_, [r = std::move(reply)](Session& s) mutable { s.do_send(std::move(r)); });
  }
  void start_stream(int status, std::string content_type, Headers headers) override {
    session_->post(gen_, [status, ct = std::move(content_type), h = std::move(headers)](
                             Session& s) { s.do_start_stream(status, ct, h); });
  }
  void write(std::string data) override {
    if (data.empty()) return;
    session_->post(gen_, [d = std::move(data)](Session& s) mutable { s.do_write(std::move(d)); });
  }
  void end() override {
    session_->post(gen_, [](Session& s) { s.do_end(); });
  }
  bool open() const override { return session_->open(gen_); }
  void on_abort(std::function<void()> fn) override { session_->set_abort(gen_, std::move(fn)); }

 private:
  std::shared_ptr<Session> session_;
  std::uint64_t gen_;
};

void Session::dispatch() {
  if (state_ == State::kClosed) return;
  state_ = State::kHandling;
  dispatched_ = true;
  gen_atomic_ = ++gen_;  // this request's responder; an earlier one's calls are dropped
  watch();
  try {
    srv_->handlers.on_request(std::move(req_), std::make_shared<Handle>(shared_from_this(), gen_));
  } catch (const std::exception& e) {
    do_send(srv_->handlers.error_reply(500, e.what()));
  }
}

void HttpServer::Impl::accept() {
  acceptor.async_accept(net::make_strand(ioc), [this](beast::error_code ec, tcp::socket socket) {
    if (!acceptor.is_open()) return;
    if (ec) {
      // Out of descriptors or memory: try again shortly instead of spinning.
      accept_retry.expires_after(std::chrono::milliseconds(50));
      accept_retry.async_wait([this](beast::error_code tec) {
        if (!tec) accept();
      });
      return;
    }
    std::shared_ptr<Session> session;
    {
      std::lock_guard lk(mu);
      if (!draining && sessions.size() < opt.max_connections) {
        beast::error_code oec;
        socket.set_option(tcp::no_delay(true), oec);  // streamed tokens are small writes
        const std::uint64_t id = next_id++;
        session = std::make_shared<Session>(std::move(socket), this, id);
        sessions.emplace(id, session);
      }
    }
    if (session) {
      session->start();
    } else {
      beast::error_code cec;
      socket.close(cec);
    }
    accept();
  });
}

HttpServer::HttpServer(HttpOptions options, Handlers handlers)
    : impl_(std::make_shared<Impl>(std::move(options), std::move(handlers))) {
  if (!impl_->handlers.on_request || !impl_->handlers.error_reply) {
    throw std::invalid_argument("HttpServer needs on_request and error_reply handlers");
  }
  if (impl_->opt.io_threads < 1 || impl_->opt.task_threads < 1) {
    throw std::invalid_argument("HttpServer needs at least one I/O thread and one task thread");
  }
}

HttpServer::~HttpServer() {
  stop();
}

int HttpServer::bind() {
  auto& a = impl_->acceptor;
  beast::error_code ec;
  tcp::resolver resolver(impl_->ioc);
  const auto results =
      resolver.resolve(impl_->opt.host, std::to_string(impl_->opt.port),
                       tcp::resolver::passive | tcp::resolver::numeric_service, ec);
  if (ec || results.empty()) {
    throw std::runtime_error(
        fmt::format("cannot resolve '{}': {}", impl_->opt.host, ec ? ec.message() : "no address"));
  }
  const tcp::endpoint ep = results.begin()->endpoint();
  const auto fail = [&](const char* what) {
    throw std::runtime_error(fmt::format("cannot listen on {}:{} ({}: {})", impl_->opt.host,
                                         impl_->opt.port, what, ec.message()));
  };
  if (a.open(ep.protocol(), ec)) fail("socket");
  if (a.set_option(net::socket_base::reuse_address(true), ec)) fail("SO_REUSEADDR");
  if (a.bind(ep, ec)) fail("bind");
  if (a.listen(net::socket_base::max_listen_connections, ec)) fail("listen");
  return a.local_endpoint().port();
}

void HttpServer::run() {
  Impl& s = *impl_;
  net::post(s.acceptor.get_executor(), [&s] { s.accept(); });
  std::vector<std::thread> threads;
  for (int i = 0; i < s.opt.io_threads; ++i) threads.emplace_back([&s] { s.ioc.run(); });
  {
    std::unique_lock lk(s.mu);
    s.cv.wait(lk, [&] { return s.stopping; });
    // Drain: the requests in flight finish, at most drain_timeout_s.
    s.cv.wait_for(lk, secs(s.opt.drain_timeout_s), [&] { return s.sessions.empty(); });
  }
  for (auto& session : s.live_sessions()) session->force_close();
  {
    std::unique_lock lk(s.mu);
    s.cv.wait_for(lk, std::chrono::seconds(5), [&] { return s.sessions.empty(); });
  }
  s.work.reset();
  s.ioc.stop();
  for (auto& t : threads) t.join();
}

void HttpServer::stop() {
  Impl& s = *impl_;
  {
    std::lock_guard lk(s.mu);
    if (s.stopping) return;
    s.stopping = true;
    s.draining = true;
  }
  s.cv.notify_all();
  net::post(s.acceptor.get_executor(), [&s] {
    beast::error_code ec;
    s.acceptor.close(ec);
    s.accept_retry.cancel();
    for (auto& session : s.live_sessions()) session->drain();
  });
}

void HttpServer::post(std::function<void()> task) {
  net::post(impl_->tasks, std::move(task));
}

void HttpServer::join_tasks() {
  impl_->tasks.join();
}

std::size_t HttpServer::connections() const {
  std::lock_guard lk(impl_->mu);
  return impl_->sessions.size();
}

}  // namespace wattserve::serve::http
