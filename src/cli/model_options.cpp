#include "cli/model_options.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <nlohmann/json.hpp>
#include <stdexcept>

namespace wattserve::cli {

namespace {

const model::FieldInfo& field_info(std::string_view name, bool& sampling) {
  for (const auto& f : model::model_spec_fields()) {
    if (f.name == name) {
      sampling = false;
      return f;
    }
  }
  for (const auto& f : model::sampling_fields()) {
    if (f.name == name) {
      sampling = true;
      return f;
    }
  }
  throw std::logic_error(fmt::format("add_field_flag: no field {}", name));
}

// The value as set_field checks it: the field's choices and range, with its message (less the
// field's name, which CLI11 replaces by the flag's).
CLI::Validator field_check(const model::FieldInfo& f, bool sampling) {
  std::string desc;
  if (!f.choices.empty()) {
    desc = fmt::format("{{{}}}", fmt::join(f.choices, ","));
  } else if (f.min && f.max) {
    desc = fmt::format("in {}{}, {}]", f.min_exclusive ? "(" : "[", *f.min, *f.max);
  }
  return CLI::Validator(
      [name = f.name, type = f.type, sampling](std::string& v) -> std::string {
        nlohmann::json j;
        if (type == "string") {
          j = v;
        } else {
          j = nlohmann::json::parse(v, nullptr, /*allow_exceptions=*/false);
          if (!j.is_number()) j = v;  // set_field names what it expected
        }
        try {
          if (sampling) {
            engine::SamplingParams p;
            model::set_field(p, name, j);
          } else {
            model::ModelSpec s;
            model::set_field(s, name, j);
          }
        } catch (const std::invalid_argument& e) {
          std::string msg = e.what();
          const std::string prefix = name + ": ";
          return msg.rfind(prefix, 0) == 0 ? msg.substr(prefix.size()) : msg;
        }
        return "";
      },
      desc, "FIELD");
}

template <class T>
CLI::Option* bind(CLI::App* app, const std::string& flags, T& value, std::string_view field,
                  const std::string& help) {
  bool sampling = false;
  const auto& f = field_info(field, sampling);
  auto* o =
      app->add_option(flags, value, help.empty() ? f.help : help)->check(field_check(f, sampling));
  const bool empty_default = f.default_value.is_string() && f.default_value.empty();
  if (!empty_default) o->capture_default_str();
  return o;
}

}  // namespace

CLI::Option* add_field_flag(CLI::App* app, const std::string& flags, std::string& value,
                            std::string_view field, const std::string& help) {
  return bind(app, flags, value, field, help);
}

CLI::Option* add_field_flag(CLI::App* app, const std::string& flags, int& value,
                            std::string_view field, const std::string& help) {
  return bind(app, flags, value, field, help);
}

CLI::Option* add_field_flag(CLI::App* app, const std::string& flags, float& value,
                            std::string_view field, const std::string& help) {
  return bind(app, flags, value, field, help);
}

}  // namespace wattserve::cli
