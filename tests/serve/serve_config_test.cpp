// `wattserve serve --config FILE`: [server] keys apply unless given as flags, each [[model]]
// starts from the flags' model settings, and mistakes name the file, line and key.
#include "serve/serve_config.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace wattserve::serve {
namespace {

class ConfigFile : public ::testing::Test {
 protected:
  std::string write(const std::string& text) {
    path_ = std::filesystem::temp_directory_path() /
            ("wattserve_serve_config." + std::to_string(getpid()) + ".toml");
    std::ofstream(path_) << text;
    return path_.string();
  }
  void TearDown() override { std::filesystem::remove(path_); }
  std::string error_of(const std::string& text) {
    ServeConfig c;
    try {
      load_serve_config(write(text), c, {}, [](std::string_view) { return false; });
    } catch (const std::invalid_argument& e) {
      return e.what();
    }
    return "no error";
  }
  std::filesystem::path path_;
};

TEST_F(ConfigFile, ReadsServerAndModels) {
  ServeConfig c;
  c.server.port = 9000;
  ModelSpec defaults;
  defaults.spec.threads = 3;
  load_serve_config(write(R"(
[server]
port = 8123
host = "127.0.0.2"
timeout = 30
max_tokens_limit = 512
interval = 500

[[model]]
model = "pycode-small"
engine = "llama"
parallel = 8
schedule = "sjf"
sjf_aging = 5
chat_template = "chatml"
slo = { ttft_s = 0.5, e2e_s = 10 }

[[model]]
model = "fmnist-cnn-tiny"
name = "digits"
max_batch = 64
max_wait_ms = 2
)"),
                    c, defaults, [](std::string_view key) { return key == "host"; });
  EXPECT_EQ(c.server.port, 8123);
  EXPECT_EQ(c.server.host, "127.0.0.1");  // given as a flag: the flag wins
  EXPECT_DOUBLE_EQ(c.server.request_timeout_s, 30);
  EXPECT_EQ(c.server.limits.max_tokens, 512);
  EXPECT_DOUBLE_EQ(c.interval_ms, 500);
  ASSERT_EQ(c.models.size(), 2u);
  const auto& m = c.models[0];
  EXPECT_EQ(m.spec.model, "pycode-small");
  EXPECT_EQ(m.spec.engine, "llama");
  EXPECT_EQ(m.spec.threads, 3);  // from the flags
  EXPECT_EQ(m.spec.parallel, 8);
  EXPECT_EQ(text_settings(m).worker.parallel, 8);
  EXPECT_EQ(m.spec.kv_cache, "f32");  // model::default_model_spec()'s
  EXPECT_EQ(m.text.worker.policy, SchedulePolicy::kSjf);
  EXPECT_DOUBLE_EQ(m.text.worker.aging_s, 5);
  EXPECT_EQ(m.text.chat_template, "chatml");
  EXPECT_DOUBLE_EQ(m.text.slo.ttft_s, 0.5);
  EXPECT_DOUBLE_EQ(m.text.slo.e2e_s, 10);
  EXPECT_DOUBLE_EQ(m.text.slo.tpot_s, 0);
  EXPECT_EQ(c.models[1].name, "digits");
  EXPECT_EQ(c.models[1].spec.parallel, 4);  // serve's default
  EXPECT_EQ(c.models[1].tensor.max_batch, 64);
  EXPECT_DOUBLE_EQ(c.models[1].tensor.max_wait_s, 0.002);
}

TEST_F(ConfigFile, MistakesNameTheLineAndKey) {
  EXPECT_NE(error_of("[server]\nprot = 1\n").find(":2:1: unknown key 'prot' in server"),
            std::string::npos)
      << error_of("[server]\nprot = 1\n");
  EXPECT_NE(error_of("[server]\nport = \"80\"\n").find(":2:8: server.port must be an integer"),
            std::string::npos);
  EXPECT_NE(error_of("[server]\nport = 70000\n").find("server.port must be in [0, 65535]"),
            std::string::npos);
  EXPECT_NE(error_of("[[model]]\nmodel = \"m\"\nschedule = \"lifo\"\n")
                .find("model.schedule must be one of fcfs, sjf, oracle, not 'lifo'"),
            std::string::npos);
  EXPECT_NE(error_of("[[model]]\nengine = \"llama\"\n").find("needs model = "), std::string::npos);
  EXPECT_NE(error_of("[model]\nmodel = \"m\"\n").find("write each as [[model]]"),
            std::string::npos);
  EXPECT_NE(error_of("[server\n").find(":1:"), std::string::npos);  // a TOML syntax error
  // Model keys are the model specification's fields, checked by model::set_field.
  EXPECT_NE(error_of("[[model]]\nmodel = \"m\"\nthreads = 2000\n")
                .find(":3:11: model.threads: expected an integer in [0, 1024], got 2000"),
            std::string::npos)
      << error_of("[[model]]\nmodel = \"m\"\nthreads = 2000\n");
  EXPECT_NE(error_of("[[model]]\nmodel = \"m\"\nkv_cache = \"q8\"\n")
                .find("model.kv_cache: expected one of f32, f16"),
            std::string::npos);
  EXPECT_NE(error_of("[[model]]\nmodel = \"m\"\nparallel = 2.5\n").find("model.parallel"),
            std::string::npos);
  EXPECT_NE(error_of("[[model]]\nmodel = \"m\"\nbatch = 8\n").find("max_batch"), std::string::npos);
  EXPECT_NE(error_of("[[model]]\nmodel = \"m\"\nslo = { ttft = 1 }\n").find("unknown key 'ttft'"),
            std::string::npos);
}

}  // namespace
}  // namespace wattserve::serve
