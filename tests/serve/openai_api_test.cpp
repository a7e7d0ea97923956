// The OpenAI-compatible request parser accepts what clients send and rejects malformed, hostile
// and unsupported bodies with 400/413 naming the parameter; responses and stream chunks have
// OpenAI's shapes with usage.energy; streamed text is never cut inside a UTF-8 character.
#include "serve/openai_api.h"

#include <gtest/gtest.h>

#include "serve/chat_template.h"

namespace wattserve::serve {
namespace {

using nlohmann::json;

ApiError error_of(const std::string& body, bool chat = false, RequestLimits limits = {}) {
  try {
    parse_completion_request(body, chat, limits);
  } catch (const ApiError& e) {
    return e;
  }
  ADD_FAILURE() << "accepted: " << body;
  return ApiError(0, "", "", "");
}

TEST(OpenAiRequest, CompletionDefaultsAndFields) {
  auto r = parse_completion_request(R"({"model": "m", "prompt": "def "})", false);
  EXPECT_EQ(r.model, "m");
  EXPECT_EQ(r.prompt, "def ");
  EXPECT_EQ(r.sampling.max_tokens, 16);
  EXPECT_FLOAT_EQ(r.sampling.temperature, 1.0f);
  EXPECT_FALSE(r.stream);
  r = parse_completion_request(
      R"({"model": "m", "prompt": ["x"], "max_tokens": 7, "temperature": 0, "top_p": 0.5,
          "top_k": 3, "seed": 9, "stop": ["\n", "##"], "stream": true,
          "stream_options": {"include_usage": true}, "ignore_eos": true, "user": "u", "n": 1})",
      false);
  EXPECT_EQ(r.prompt, "x");
  EXPECT_EQ(r.sampling.max_tokens, 7);
  EXPECT_EQ(r.sampling.temperature, 0.0f);
  EXPECT_FLOAT_EQ(r.sampling.top_p, 0.5f);
  EXPECT_EQ(r.sampling.top_k, 3);
  EXPECT_EQ(r.sampling.seed, 9u);
  EXPECT_EQ(r.sampling.stop, (std::vector<std::string>{"\n", "##"}));
  EXPECT_TRUE(r.stream && r.include_usage && r.sampling.ignore_eos);
}

TEST(OpenAiRequest, ChatMessages) {
  const auto r = parse_completion_request(
      R"({"model": "m", "messages": [{"role": "system", "content": "Be brief."},
          {"role": "user", "content": [{"type": "text", "text": "Hi"}]}],
          "max_completion_tokens": 5})",
      true);
  ASSERT_EQ(r.messages.size(), 2u);
  EXPECT_EQ(r.messages[1].content, "Hi");
  EXPECT_EQ(r.sampling.max_tokens, 5);
  EXPECT_EQ(render_chat("plain", r.messages), "System: Be brief.\nUser: Hi\nAssistant:");
  EXPECT_EQ(render_chat("chatml", r.messages),
            "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n"
            "<|im_start|>assistant\n");
  EXPECT_THROW(render_chat("vicuna", r.messages), std::invalid_argument);
}

TEST(OpenAiRequest, MalformedAndHostileBodiesAre400WithTheParameter) {
  const struct {
    const char* body;
    const char* param;
  } cases[] = {
      {R"({"model": "m", "prompt": "x")", ""},  // truncated JSON
      {R"([1, 2])", ""},
      {R"({"prompt": "x"})", "model"},
      {R"({"model": 3, "prompt": "x"})", "model"},
      {R"({"model": "m"})", "prompt"},
      {R"({"model": "m", "prompt": ""})", "prompt"},
      {R"({"model": "m", "prompt": 42})", "prompt"},
      {R"({"model": "m", "prompt": "x", "max_tokens": -1})", "max_tokens"},
      {R"({"model": "m", "prompt": "x", "max_tokens": 0})", "max_tokens"},
      {R"({"model": "m", "prompt": "x", "max_tokens": 1e400})", ""},  // overflows: not JSON here
      {R"({"model": "m", "prompt": "x", "max_tokens": 99999999999999999999999})", "max_tokens"},
      {R"({"model": "m", "prompt": "x", "max_tokens": "10"})", "max_tokens"},
      {R"({"model": "m", "prompt": "x", "max_tokens": 2.5})", "max_tokens"},
      {R"({"model": "m", "prompt": "x", "temperature": -0.1})", "temperature"},
      {R"({"model": "m", "prompt": "x", "temperature": 1e308})", "temperature"},
      {R"({"model": "m", "prompt": "x", "top_p": 0})", "top_p"},
      {R"({"model": "m", "prompt": "x", "top_k": -5})", "top_k"},
      {R"({"model": "m", "prompt": "x", "seed": -1})", "seed"},
      {R"({"model": "m", "prompt": "x", "stop": ["a", "b", "c", "d", "e"]})", "stop"},
      {R"({"model": "m", "prompt": "x", "stop": [""]})", "stop"},
      {R"({"model": "m", "prompt": "x", "stream": "yes"})", "stream"},
      {R"({"model": "m", "prompt": "x", "n": 2})", "n"},
      {R"({"model": "m", "prompt": "x", "logprobs": 5})", "logprobs"},
      {R"({"model": "m", "prompt": "x", "presence_penalty": 0.5})", "presence_penalty"},
  };
  for (const auto& c : cases) {
    const auto e = error_of(c.body);
    EXPECT_EQ(e.status, 400) << c.body;
    EXPECT_EQ(e.param, c.param) << c.body;
    EXPECT_EQ(e.type, "invalid_request_error") << c.body;
  }
  for (const char* chat :
       {R"({"model": "m", "messages": []})", R"({"model": "m", "messages": [{"role": "user"}]})",
        R"({"model": "m", "messages": [{"role": "robot", "content": "x"}]})",
        R"({"model": "m", "messages": [{"role": "user", "content": 5}]})",
        R"({"model": "m", "messages": [{"role": "user", "content": [{"type": 5, "text": "x"}]}]})",
        R"({"model": "m", "messages": [{"role": 5, "content": "x"}]})"}) {
    EXPECT_EQ(error_of(chat, true).param, "messages") << chat;
  }
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  EXPECT_EQ(error_of(R"({"model": "m", "prompt": "x", "extra": )" + deep + "}").status, 400);
  RequestLimits small;
  small.max_prompt_bytes = 4;
  EXPECT_EQ(error_of(R"({"model": "m", "prompt": "12345"})", false, small).status, 413);
  small.max_tokens = 8;
  EXPECT_EQ(error_of(R"({"model": "m", "prompt": "1", "max_tokens": 9})", false, small).param,
            "max_tokens");
  const auto body = error_body(error_of(R"({"model": "m", "prompt": "x", "n": 2})"));
  EXPECT_EQ(body["error"]["param"], "n");
  EXPECT_TRUE(body["error"]["message"].is_string());
}

// Defect 12: OpenAI options wattserve does not do were ignored (a client asking for tools or a
// JSON response_format got plain text as if it had worked); they are 400 naming the parameter.
TEST(OpenAiRequest, UnsupportedOptionsAre400NamingTheParameter) {
  const struct {
    bool chat;
    const char* fields;  // added to a valid body
    const char* param;
  } cases[] = {
      {false, R"("best_of": 2)", "best_of"},
      {false, R"("suffix": "\n}")", "suffix"},
      {false, R"("logit_bias": {"50256": -100})", "logit_bias"},
      {false, R"("logprobs": 0)", "logprobs"},
      {false, R"("echo": true)", "echo"},
      {false, R"("n": 3)", "n"},
      {true, R"("tools": [{"type": "function", "function": {"name": "f"}}])", "tools"},
      {true, R"("tool_choice": "auto")", "tool_choice"},
      {true, R"("tool_choice": {"type": "function", "function": {"name": "f"}})", "tool_choice"},
      {true, R"("functions": [{"name": "f"}])", "functions"},
      {true, R"("function_call": "auto")", "function_call"},
      {true, R"("parallel_tool_calls": false)", "parallel_tool_calls"},
      {true, R"("response_format": {"type": "json_object"})", "response_format"},
      {true,
       R"("response_format": {"type": "json_schema", "json_schema": {"name": "x", "schema": {}}})",
       "response_format"},
      {true, R"("logit_bias": {"1": 5})", "logit_bias"},
      {true, R"("logprobs": true)", "logprobs"},
      {true, R"("top_logprobs": 2)", "top_logprobs"},
      {true, R"("n": 2)", "n"},
      {true, R"("audio": {"voice": "alloy", "format": "wav"})", "audio"},
      {true, R"("modalities": ["text", "audio"])", "modalities"},
      {true, R"("prediction": {"type": "content", "content": "x"})", "prediction"},
      {true, R"("store": true)", "store"},
      {true, R"("service_tier": "flex")", "service_tier"},
      {true, R"("stream_options": {"include_usage": true, "chunk_size": 1})", "stream_options"},
      {true, R"("metadata": {"k": 1})", "metadata"},
      {false, R"("user": 5)", "user"},
      // Unknown fields, and another endpoint's fields, are rejected too, by name.
      {false, R"("foo": 1)", "foo"},
      {true, R"("foo": null)", "foo"},
      {true, R"("reasoning_effort": "low")", "reasoning_effort"},
      {false, R"("messages": [{"role": "user", "content": "x"}])", "messages"},
      {false, R"("max_completion_tokens": 5)", "max_completion_tokens"},
      {false, R"("tools": [])", "tools"},
      {true, R"("prompt": "x")", "prompt"},
      {true, R"("best_of": 1)", "best_of"},
  };
  for (const auto& c : cases) {
    const std::string body =
        std::string(c.chat ? R"({"model": "m", "messages": [{"role": "user", "content": "x"}], )"
                           : R"({"model": "m", "prompt": "x", )") +
        c.fields + "}";
    const auto e = error_of(body, c.chat);
    EXPECT_EQ(e.status, 400) << body;
    EXPECT_EQ(e.param, c.param) << body;
    EXPECT_NE(std::string(e.what()).find(c.param), std::string::npos) << e.what();
  }
}

// What the official clients send, and the options' values that ask for nothing more, pass.
TEST(OpenAiRequest, AcceptedFieldsWithTheirHarmlessValues) {
  // openai-node 4.104 (tests/cli/openai_client.cjs) sends the create() arguments as they are.
  auto r = parse_completion_request(
      R"({"model": "pycode-tiny", "prompt": "import os\n\n\ndef ", "max_tokens": 8,
          "temperature": 0, "ignore_eos": true})",
      false);
  EXPECT_EQ(r.sampling.max_tokens, 8);
  r = parse_completion_request(
      R"({"model": "pycode-tiny", "messages": [{"role": "user", "content": "Write a function."}],
          "max_tokens": 8, "temperature": 0, "stream": true,
          "stream_options": {"include_usage": true}})",
      true);
  EXPECT_TRUE(r.stream && r.include_usage);
  r = parse_completion_request(
      R"({"model": "m", "prompt": "x", "best_of": 1, "suffix": "", "logit_bias": {},
          "echo": false, "logprobs": null, "n": 1, "user": "u", "presence_penalty": 0,
          "frequency_penalty": 0, "stream": false, "stream_options": null, "seed": 1,
          "stop": null, "top_p": 1, "top_k": 0})",
      false);
  EXPECT_EQ(r.prompt, "x");
  r = parse_completion_request(
      R"({"model": "m", "messages": [{"role": "user", "content": "x", "name": "ann"}],
          "max_completion_tokens": 4, "tools": null, "functions": [], "tool_choice": "none",
          "function_call": null, "parallel_tool_calls": null,
          "response_format": {"type": "text"}, "logit_bias": {}, "logprobs": false,
          "top_logprobs": 0, "n": 1, "modalities": ["text"], "audio": null, "prediction": null,
          "store": false, "metadata": {"k": "v"}, "user": "u", "service_tier": "auto",
          "stream": true, "stream_options": {"include_usage": false, "include_obfuscation": true},
          "echo": false})",
      true);
  EXPECT_EQ(r.sampling.max_tokens, 4);
  EXPECT_FALSE(r.include_usage);
  EXPECT_EQ(r.messages.at(0).content, "x");
}

// The benchmark extension: an exact output length under the max_tokens cap, kept apart from the
// sampling (whose max_tokens stays the cap the scheduler's predictor sees).
TEST(OpenAiRequest, BenchOutputTokensIsAnExactLengthUnderTheCap) {
  auto r = parse_completion_request(
      R"({"model": "m", "prompt": "x", "max_tokens": 40, "bench_output_tokens": 7})", false);
  EXPECT_EQ(r.bench_output_tokens, 7);
  EXPECT_EQ(r.sampling.max_tokens, 40);
  EXPECT_FALSE(r.sampling.ignore_eos);
  EXPECT_FALSE(parse_completion_request(R"({"model": "m", "prompt": "x"})", false)
                   .bench_output_tokens.has_value());
  EXPECT_FALSE(parse_completion_request(
                   R"({"model": "m", "prompt": "x", "bench_output_tokens": null})", false)
                   .bench_output_tokens.has_value());
  r = parse_completion_request(
      R"({"model": "m", "messages": [{"role": "user", "content": "x"}],
          "max_completion_tokens": 10, "bench_output_tokens": 10})",
      true);
  EXPECT_EQ(r.bench_output_tokens, 10);
  EXPECT_EQ(r.sampling.max_tokens, 10);
  for (const char* bad : {"0", "-1", "\"5\"", "2.5", "true", "99999999999999999999", "4097"}) {
    const auto e = error_of(std::string(R"({"model": "m", "prompt": "x", "max_tokens": 40, )") +
                            R"("bench_output_tokens": )" + bad + "}");
    EXPECT_EQ(e.status, 400) << bad;
    EXPECT_EQ(e.param, "bench_output_tokens") << bad;
  }
  // Over the cap: the request's max_tokens, or its default (16 for completions, 256 for chat).
  auto e = error_of(R"({"model": "m", "prompt": "x", "max_tokens": 8, "bench_output_tokens": 9})");
  EXPECT_EQ(e.param, "bench_output_tokens");
  EXPECT_NE(std::string(e.what()).find("max_tokens (8)"), std::string::npos) << e.what();
  EXPECT_EQ(error_of(R"({"model": "m", "prompt": "x", "bench_output_tokens": 17})").param,
            "bench_output_tokens");
  e = error_of(R"({"model": "m", "messages": [{"role": "user", "content": "x"}],
                   "max_completion_tokens": 4, "bench_output_tokens": 5})",
               true);
  EXPECT_EQ(e.param, "bench_output_tokens");
  EXPECT_NE(std::string(e.what()).find("max_completion_tokens (4)"), std::string::npos) << e.what();
  EXPECT_EQ(parse_completion_request(
                R"({"model": "m", "messages": [{"role": "user", "content": "x"}],
                    "bench_output_tokens": 256})",
                true)
                .bench_output_tokens,
            256);
}

// Values the parser does not keep in memory (defect 10) still get their own errors.
TEST(OpenAiRequest, OversizedValuesAre400WithTheParameter) {
  const struct {
    bool chat;
    const char* body;
    const char* param;
  } cases[] = {
      {false, R"({"model": "m", "prompt": ["a", "b"]})", "prompt"},
      {false, R"({"model": "m", "prompt": [[1, 2]]})", "prompt"},
      {false, R"({"model": "m", "prompt": [1, 2, 3]})", "prompt"},
      {false, R"({"model": ["m", "n"], "prompt": "x"})", "model"},
      {false, R"({"model": "m", "prompt": "x", "stop": [[""], "a"]})", "stop"},
      {true, R"({"model": "m", "messages": [5, 6]})", "messages"},
      {true, R"({"model": "m", "messages": [{"role": "user", "content": [1, 2]}]})", "messages"},
      {true, R"({"model": "m", "messages": [{"role": ["user", "x"], "content": "x"}]})",
       "messages"},
      {true, R"({"model": "m", "messages": [{"role": "user", "content": "x"}], "stream_options":
          {"include_usage": true, "a": 1, "b": 2, "c": 3, "d": 4, "e": 5, "f": 6, "g": 7}})",
       "stream_options"},
  };
  for (const auto& c : cases) {
    const auto e = error_of(c.body, c.chat);
    EXPECT_EQ(e.status, 400) << c.body;
    EXPECT_EQ(e.param, c.param) << c.body;
  }
}

CompletionResult result() {
  CompletionResult r;
  r.id = "cmpl-1";
  r.created = 1700000000;
  r.model = "m";
  r.text = "hello";
  r.finish_reason = "length";
  r.prompt_tokens = 3;
  r.completion_tokens = 4;
  r.energy.joules = 2.0;
  r.energy.window_joules = 2.5;
  r.energy.duration_s = 0.5;
  r.energy.grams_co2e = 0.25;
  r.energy.source = "estimate";
  return r;
}

TEST(OpenAiResponse, UsageCarriesEnergy) {
  const auto j = completion_response(result(), true);
  EXPECT_EQ(j["object"], "chat.completion");
  EXPECT_EQ(j["choices"][0]["message"]["content"], "hello");
  EXPECT_EQ(j["usage"]["total_tokens"], 7);
  const auto& e = j["usage"]["energy"];
  EXPECT_DOUBLE_EQ(e["joules"].get<double>(), 2.0);
  EXPECT_DOUBLE_EQ(e["joules_per_output_token"].get<double>(), 0.5);
  EXPECT_DOUBLE_EQ(e["average_watts"].get<double>(), 4.0);
  EXPECT_TRUE(e["dynamic_joules"].is_null());  // no idle baseline
  EXPECT_EQ(e["source"], "estimate");
  EXPECT_EQ(completion_response(result(), false)["choices"][0]["text"], "hello");
}

std::vector<json> events(const std::string& sse) {
  std::vector<json> out;
  std::size_t pos = 0;
  while ((pos = sse.find("data: ", pos)) != std::string::npos) {
    const auto end = sse.find("\n\n", pos);
    const auto payload = sse.substr(pos + 6, end - pos - 6);
    out.push_back(payload == "[DONE]" ? json("[DONE]") : json::parse(payload));
    pos = end;
  }
  return out;
}

TEST(OpenAiStream, ChunksAndTheFinalUsage) {
  auto e = events(stream_chunk(result(), true, "he", true));
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0]["object"], "chat.completion.chunk");
  EXPECT_EQ(e[0]["choices"][0]["delta"]["role"], "assistant");
  EXPECT_EQ(e[0]["choices"][0]["delta"]["content"], "he");
  e = events(stream_end(result(), true, true));
  ASSERT_EQ(e.size(), 3u);
  EXPECT_EQ(e[0]["choices"][0]["finish_reason"], "length");
  EXPECT_TRUE(e[1]["choices"].empty());
  EXPECT_DOUBLE_EQ(e[1]["usage"]["energy"]["joules"].get<double>(), 2.0);
  EXPECT_EQ(e[2], "[DONE]");
  // A lone byte token (not UTF-8) is replaced, never thrown.
  e = events(stream_chunk(result(), false, "\x80", false));
  EXPECT_EQ(e[0]["choices"][0]["text"], "\xEF\xBF\xBD");
  e = events(stream_end(result(), false, false));  // without include_usage: on the last chunk
  ASSERT_EQ(e.size(), 2u);
  EXPECT_EQ(e[0]["usage"]["completion_tokens"], 4);
}

TEST(Utf8Prefix, HoldsBackAnUnfinishedCharacter) {
  EXPECT_EQ(complete_utf8_prefix("abc"), 3u);
  EXPECT_EQ(complete_utf8_prefix("a\xC3"), 1u);              // first byte of é
  EXPECT_EQ(complete_utf8_prefix("a\xC3\xA9"), 3u);          // é
  EXPECT_EQ(complete_utf8_prefix("\xE2\x9C"), 0u);           // 2 of 3 bytes of ✓
  EXPECT_EQ(complete_utf8_prefix("x\xF0\x9F\x98\x80"), 5u);  // an emoji
  EXPECT_EQ(complete_utf8_prefix("\x80\x80"), 2u);           // not UTF-8: passed through
  EXPECT_EQ(complete_utf8_prefix(""), 0u);
}

// On a GPU machine the GPU's counter and the CPU's estimate are reported side by side, each with
// its own source, instead of one total carrying the weaker source.
TEST(RequestEnergy, SplitsJoulesByDeviceEachWithItsSource) {
  using energy::DomainKind;
  using energy::Source;
  energy::WindowReport w;
  auto domain = [](const char* id, DomainKind kind, Source source, double attributed,
                   bool counted = true) {
    energy::DomainEnergy d;
    d.id = id;
    d.kind = kind;
    d.source = source;
    d.counted = counted;
    d.attributed_joules = attributed;
    return d;
  };
  w.domains = {domain("estimate:cpu", DomainKind::kCpuPackage, Source::kEstimate, 3.0),
               domain("rapl:core-0", DomainKind::kCpuCore, Source::kCounter, 9.0, false),
               domain("nvml:gpu-0", DomainKind::kGpu, Source::kCounter, 10.0),
               domain("estimate:ram", DomainKind::kDram, Source::kEstimate, 0.5),
               domain("nvml:gpu-1", DomainKind::kGpu, Source::kPower, 2.0)};
  w.attributed_joules = 15.5;
  w.source = Source::kEstimate;
  const RequestEnergy e = request_energy(w, energy::CarbonIntensity{}, 1.0);
  ASSERT_EQ(e.devices.size(), 2u);
  EXPECT_EQ(e.devices[0].device, "gpu");
  EXPECT_DOUBLE_EQ(e.devices[0].joules, 12.0);
  EXPECT_EQ(e.devices[0].source, "power");  // the weaker of the two GPUs' sources
  EXPECT_EQ(e.devices[1].device, "cpu");
  EXPECT_DOUBLE_EQ(e.devices[1].joules, 3.5);  // package + RAM; the core is inside the package
  EXPECT_EQ(e.devices[1].source, "estimate");
  const json j = energy_json(e, 5);
  EXPECT_EQ(j["source"], "estimate");
  EXPECT_DOUBLE_EQ(j["devices"]["gpu"]["joules"].get<double>(), 12.0);
  EXPECT_EQ(j["devices"]["cpu"]["source"], "estimate");
  EXPECT_FALSE(j["devices"].contains("system"));

  w.domains = {domain("estimate:cpu", DomainKind::kCpuPackage, Source::kEstimate, 1.0)};
  EXPECT_EQ(energy_json(request_energy(w, energy::CarbonIntensity{}, 1.0), 1)["devices"],
            json({{"cpu", {{"joules", 1.0}, {"source", "estimate"}}}}));
}

}  // namespace
}  // namespace wattserve::serve
