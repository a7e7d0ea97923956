// Peak heap of the request parsers on large bodies (docs/serve.md, "Limits"): a 2 MiB body of
// zeros, as KServe tensor data or as an OpenAI prompt array, must not cost more than a small
// multiple of its size. The binary replaces the global operator new/delete to count live heap
// bytes (its own executable, so no other test runs under the counting allocator); the bounds are
// bytes, measured deterministically, not timings.
#include <gtest/gtest.h>
#include <malloc.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <new>
#include <string>

#include "serve/kserve_api.h"
#include "serve/openai_api.h"

namespace {

std::atomic<std::size_t> g_live{0};
std::atomic<std::size_t> g_peak{0};

void* counted_alloc(std::size_t n) {
  void* p = std::malloc(n == 0 ? 1 : n);
  if (p == nullptr) throw std::bad_alloc();
  const std::size_t size = malloc_usable_size(p);
  const std::size_t now = g_live.fetch_add(size) + size;
  std::size_t peak = g_peak.load();
  while (now > peak && !g_peak.compare_exchange_weak(peak, now)) {
  }
  return p;
}

void counted_free(void* p) noexcept {
  if (p == nullptr) return;
  g_live.fetch_sub(malloc_usable_size(p));
  std::free(p);
}

}  // namespace

void* operator new(std::size_t n) {
  return counted_alloc(n);
}
void* operator new[](std::size_t n) {
  return counted_alloc(n);
}
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  try {
    return counted_alloc(n);
  } catch (...) {
    return nullptr;
  }
}
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept {
  try {
    return counted_alloc(n);
  } catch (...) {
    return nullptr;
  }
}
void operator delete(void* p) noexcept {
  counted_free(p);
}
void operator delete[](void* p) noexcept {
  counted_free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  counted_free(p);
}
void operator delete[](void* p, std::size_t) noexcept {
  counted_free(p);
}
void operator delete(void* p, const std::nothrow_t&) noexcept {
  counted_free(p);
}
void operator delete[](void* p, const std::nothrow_t&) noexcept {
  counted_free(p);
}

namespace wattserve::serve {
namespace {

constexpr std::size_t kBody = 2u << 20;  // the server's default --max-body

// The most heap bytes live at once while `f` runs, above what was live before.
template <typename F>
std::size_t peak_heap(F&& f) {
  const std::size_t base = g_live.load();
  g_peak.store(base);
  f();
  return g_peak.load() - base;
}

// `head` + "[0,0,...,0]" + `tail`, about kBody bytes in all; `count` gets the number of zeros.
std::string zeros_body(const std::string& head, const std::string& tail, std::size_t& count) {
  count = (kBody - head.size() - tail.size() - 1) / 2;
  std::string body = head + "[";
  body.reserve(kBody);
  for (std::size_t i = 0; i < count; ++i) body += i ? ",0" : "0";
  return body + "]" + tail;
}

// `body` with its shape's placeholder count 1000000 replaced by the `n` zeros it holds (the
// placeholder's 7 digits pad for the shorter count, so the body keeps its size).
std::string with_count(const std::string& body, std::size_t n) {
  return std::string(body).replace(body.find("1000000"), 7, std::to_string(n));
}

// Prints the measurement (so that a change of the parsers shows in the log) and returns it.
std::size_t report(const char* what, std::size_t peak, const std::string& body) {
  std::printf("%s: body %zu bytes, peak heap %zu bytes (%.2fx)\n", what, body.size(), peak,
              static_cast<double>(peak) / static_cast<double>(body.size()));
  return peak;
}

TEST(ApiParseMemory, KserveFp32DataOfZeros) {
  std::size_t n = 0;
  // The count in the shape is at most 7 digits; the body is padded to it by the zeros.
  const std::string body =
      zeros_body(R"({"inputs":[{"name":"x","shape":[1000000],"datatype":"FP32","data":)", "}]}", n);
  const std::string fixed = with_count(body, n);
  ASSERT_EQ(fixed.size(), body.size());
  std::size_t got = 0;
  const auto peak = peak_heap([&] {
    const auto r = parse_infer_request(fixed);
    got = r.inputs.at("x").f32.size();
  });
  EXPECT_EQ(got, n);
  // The tensor itself is 4 bytes per zero (2 bytes of body): 2x; a DOM is 16 bytes per value.
  EXPECT_LT(report("kserve FP32", peak, fixed), 3 * fixed.size());
}

TEST(ApiParseMemory, KserveInt64DataOfZerosBeforeItsShape) {
  std::size_t n = 0;
  // "data" before "shape" and "datatype": the parser cannot know the tensor's type and size
  // when it reads the numbers.
  const std::string body = zeros_body(R"({"inputs":[{"name":"x","data":)",
                                      R"(,"shape":[1000000],"datatype":"INT64"}]})", n);
  const std::string fixed = with_count(body, n);
  std::size_t got = 0;
  const auto peak = peak_heap([&] {
    const auto r = parse_infer_request(fixed);
    got = r.inputs.at("x").i64.size();
  });
  EXPECT_EQ(got, n);
  // The tensor itself is 8 bytes per zero: 4x.
  EXPECT_LT(report("kserve INT64, data first", peak, fixed), 5 * fixed.size());
}

TEST(ApiParseMemory, KserveDataLongerThanItsShapeIsRejectedCheaply) {
  std::size_t n = 0;
  const std::string body =
      zeros_body(R"({"inputs":[{"name":"x","shape":[3],"datatype":"FP32","data":)", "}]}", n);
  int status = 0;
  const auto peak = peak_heap([&] {
    try {
      parse_infer_request(body);
    } catch (const ApiError& e) {
      status = e.status;
    }
  });
  EXPECT_EQ(status, 400);
  EXPECT_LT(report("kserve data over its shape", peak, body), body.size() / 4);
}

TEST(ApiParseMemory, KserveTextInputOfZerosIsRejectedCheaply) {
  std::size_t n = 0;
  const std::string body = zeros_body(
      R"({"inputs":[{"name":"text_input","datatype":"BYTES","shape":[1],"data":)", "}]}", n);
  int status = 0;
  const auto peak = peak_heap([&] {
    try {
      parse_text_infer_request(body, {});
    } catch (const ApiError& e) {
      status = e.status;
    }
  });
  EXPECT_EQ(status, 400);
  EXPECT_LT(report("kserve text_input of zeros", peak, body), body.size() / 4);
}

TEST(ApiParseMemory, OpenAiApiPromptOfZerosIsRejectedCheaply) {
  for (const bool chat : {false, true}) {
    std::size_t n = 0;
    const std::string body =
        zeros_body(chat ? R"({"model":"m","messages":[{"role":"user","content":)"
                        : R"({"model":"m","prompt":)",
                   chat ? "}]}" : "}", n);
    int status = 0;
    const auto peak = peak_heap([&] {
      try {
        parse_completion_request(body, chat);
      } catch (const ApiError& e) {
        status = e.status;
      }
    });
    EXPECT_EQ(status, 400);
    EXPECT_LT(report(chat ? "openai chat content of zeros" : "openai prompt of zeros", peak, body),
              body.size() / 4);
  }
}

TEST(ApiParseMemory, OpenAiApiUnknownFieldOfZerosIsRejectedCheaply) {
  std::size_t n = 0;
  const std::string body = zeros_body(R"({"model":"m","prompt":"x","extra":)", "}", n);
  int status = 0;
  const auto peak = peak_heap([&] {
    try {
      parse_completion_request(body, false);
    } catch (const ApiError& e) {
      status = e.status;
    }
  });
  EXPECT_EQ(status, 400);
  EXPECT_LT(report("openai unknown field of zeros", peak, body), body.size() / 4);
}

TEST(ApiParseMemory, OpenAiApiLargePromptIsKeptOnce) {
  const std::string prompt(kBody - 64, 'a');
  const std::string body = R"({"model":"m","prompt":")" + prompt + R"("})";
  RequestLimits limits;
  limits.max_prompt_bytes = kBody;
  std::size_t got = 0;
  const auto peak =
      peak_heap([&] { got = parse_completion_request(body, false, limits).prompt.size(); });
  EXPECT_EQ(got, prompt.size());
  // The prompt itself (moved, never copied: 1x) and nlohmann's lexer, which holds a string token
  // twice while it reads it (the value and the raw text for its error messages), each growing by
  // doubling: 3.8x measured; the old parser's DOM copy made no difference there.
  EXPECT_LT(report("openai 2 MiB prompt string", peak, body), 5 * body.size());
}

}  // namespace
}  // namespace wattserve::serve
