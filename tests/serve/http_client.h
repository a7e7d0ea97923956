// A small blocking HTTP/1.1 client over POSIX sockets for the server tests: raw bytes in, the
// status, fields and (de-chunked) body out, with a bound on how long it waits so that a server
// that hangs fails the test instead of stalling it.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

namespace wattserve::serve::testing {

inline int connect_to(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::runtime_error("socket");
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    throw std::runtime_error("connect");
  }
  return fd;
}

// False when the peer closed or reset the connection.
inline bool send_all(int fd, const std::string& data) {
  std::size_t sent = 0;
  while (sent < data.size()) {
    const auto n = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += static_cast<std::size_t>(n);
  }
  return true;
}

struct Response {
  int status = 0;  // 0: no response (closed, reset or timed out)
  std::string head, body;
  bool timed_out = false;
  std::string header(const std::string& name) const {
    const auto at = head.find("\r\n" + name + ": ");
    if (at == std::string::npos) return {};
    const auto from = at + name.size() + 4;
    return head.substr(from, head.find("\r\n", from) - from);
  }
};

// Reads one response (Content-Length, chunked, or up to the close) from `fd`, starting with the
// bytes already in `in` and leaving there what follows the response (pipelining); waits at most
// `limit`. The response to a HEAD request has no body, whatever its fields say.
inline Response read_response(int fd, std::string& in, std::chrono::milliseconds limit,
                              bool to_head = false) {
  Response r;
  const auto deadline = std::chrono::steady_clock::now() + limit;
  const auto more = [&]() {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      r.timed_out = true;
      return false;
    }
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) {
      r.timed_out = true;
      return false;
    }
    char buf[16384];
    const auto n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return false;
    in.append(buf, static_cast<std::size_t>(n));
    return true;
  };
  std::size_t head_end;
  for (;;) {
    while ((head_end = in.find("\r\n\r\n")) == std::string::npos) {
      if (!more()) return r;
    }
    if (in.rfind("HTTP/1.1 100", 0) != 0) break;
    in.erase(0, head_end + 4);  // 100 Continue: the real response follows
  }
  r.head = in.substr(0, head_end + 2);
  std::size_t pos = head_end + 4;
  const std::string length = r.header("Content-Length");
  if (to_head) {
  } else if (!length.empty()) {
    const std::size_t n = std::stoul(length);
    while (in.size() < pos + n) {
      if (!more()) return r;
    }
    r.body = in.substr(pos, n);
    pos += n;
  } else if (r.header("Transfer-Encoding") == "chunked") {
    for (;;) {
      std::size_t eol;
      while ((eol = in.find("\r\n", pos)) == std::string::npos) {
        if (!more()) return r;
      }
      const std::size_t size = std::stoul(in.substr(pos, eol - pos), nullptr, 16);
      while (in.size() < eol + 2 + size + 2) {
        if (!more()) return r;
      }
      pos = eol + 2 + size + 2;
      if (size == 0) break;
      r.body += in.substr(eol + 2, size);
    }
  } else {
    while (more()) {
    }
    r.body = in.substr(pos);
    pos = in.size();
  }
  in.erase(0, pos);
  r.status = std::stoi(r.head.substr(9, 3));
  return r;
}

inline Response read_response(int fd, std::chrono::milliseconds limit = std::chrono::seconds(20)) {
  std::string in;
  return read_response(fd, in, limit);
}

// One request on a new connection: method, path, extra header lines ("K: V\r\n"...), body.
inline Response request(int port, const std::string& method, const std::string& path,
                        const std::string& body = "", const std::string& headers = "") {
  const int fd = connect_to(port);
  std::string req = method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + headers;
  if (!body.empty() || method == "POST") {
    req +=
        "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  }
  req += "Connection: close\r\n\r\n" + body;
  Response r;
  if (send_all(fd, req)) r = read_response(fd);
  ::close(fd);
  return r;
}

// The JSON payloads of an SSE body's "data: ..." events.
inline std::vector<std::string> sse_data(const std::string& body) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while ((pos = body.find("data: ", pos)) != std::string::npos) {
    const auto end = body.find("\n\n", pos);
    out.push_back(body.substr(pos + 6, end - pos - 6));
    if (end == std::string::npos) break;
    pos = end + 2;
  }
  return out;
}

}  // namespace wattserve::serve::testing
