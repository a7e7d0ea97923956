#include "run/npy.h"

#include <fmt/format.h>

#include <bit>
#include <cstring>
#include <fstream>
#include <regex>
#include <stdexcept>

namespace wattserve::run {

namespace {

static_assert(std::endian::native == std::endian::little, "the .npy reader assumes little-endian");

struct Header {
  std::string descr;
  bool fortran = false;
  std::vector<std::int64_t> shape;
};

Header parse_header(const std::string& text, const std::string& path) {
  Header h;
  std::smatch m;
  if (!std::regex_search(text, m, std::regex(R"('descr'\s*:\s*'([^']*)')"))) {
    throw std::runtime_error(fmt::format("{}: .npy header has no 'descr'", path));
  }
  h.descr = m[1];
  if (!std::regex_search(text, m, std::regex(R"('fortran_order'\s*:\s*(True|False))"))) {
    throw std::runtime_error(fmt::format("{}: .npy header has no 'fortran_order'", path));
  }
  h.fortran = m[1] == "True";
  if (!std::regex_search(text, m, std::regex(R"('shape'\s*:\s*\(([^)]*)\))"))) {
    throw std::runtime_error(fmt::format("{}: .npy header has no 'shape'", path));
  }
  const std::string dims = m[1];
  const std::regex number(R"(\d+)");
  for (auto it = std::sregex_iterator(dims.begin(), dims.end(), number);
       it != std::sregex_iterator(); ++it) {
    h.shape.push_back(std::stoll(it->str()));
  }
  return h;
}

template <typename From, typename To>
void convert(const std::string& bytes, std::vector<To>& out, std::size_t n) {
  out.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    From v;
    std::memcpy(&v, bytes.data() + i * sizeof(From), sizeof(From));
    out[i] = static_cast<To>(v);
  }
}

}  // namespace

engine::Tensor read_npy(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(fmt::format("cannot open {}", path));
  char magic[8];
  if (!in.read(magic, 8) || std::memcmp(magic, "\x93NUMPY", 6) != 0) {
    throw std::runtime_error(fmt::format("{} is not a .npy file (numpy.save format)", path));
  }
  std::uint32_t header_len = 0;
  if (magic[6] == 1) {
    unsigned char b[2];
    if (!in.read(reinterpret_cast<char*>(b), 2)) throw std::runtime_error(path + ": truncated");
    header_len = b[0] | (b[1] << 8);
  } else if (magic[6] == 2 || magic[6] == 3) {
    unsigned char b[4];
    if (!in.read(reinterpret_cast<char*>(b), 4)) throw std::runtime_error(path + ": truncated");
    header_len = b[0] | (b[1] << 8) | (b[2] << 16) | (std::uint32_t{b[3]} << 24);
  } else {
    throw std::runtime_error(fmt::format("{}: unsupported .npy version {}", path, int(magic[6])));
  }
  if (header_len > (1u << 20)) throw std::runtime_error(path + ": .npy header is too long");
  std::string header(header_len, '\0');
  if (!in.read(header.data(), header_len)) throw std::runtime_error(path + ": truncated header");
  const Header h = parse_header(header, path);
  if (h.fortran) {
    throw std::runtime_error(fmt::format(
        "{}: Fortran-order arrays are not supported (save np.ascontiguousarray(a))", path));
  }
  std::size_t n = 1;
  for (const auto d : h.shape) n *= static_cast<std::size_t>(d);
  const std::string& t = h.descr;
  std::size_t item = 0;
  if (t == "<f4" || t == "<i4")
    item = 4;
  else if (t == "<f8" || t == "<i8")
    item = 8;
  else if (t == "|u1" || t == "|i1")
    item = 1;
  else {
    throw std::runtime_error(fmt::format(
        "{}: dtype '{}' is not supported (float32, float64, int64, int32, uint8, int8 are)", path,
        t));
  }
  if (n > (std::size_t{1} << 34) / item) throw std::runtime_error(path + ": array is too large");
  std::string bytes(n * item, '\0');
  if (!in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()))) {
    throw std::runtime_error(
        fmt::format("{}: truncated data (shape needs {} bytes)", path, bytes.size()));
  }
  engine::Tensor out;
  out.shape = h.shape;
  if (t[1] == 'f') {
    out.dtype = engine::DType::kFloat32;
    if (t == "<f4")
      convert<float>(bytes, out.f32, n);
    else
      convert<double>(bytes, out.f32, n);
  } else {
    out.dtype = engine::DType::kInt64;
    if (t == "<i8")
      convert<std::int64_t>(bytes, out.i64, n);
    else if (t == "<i4")
      convert<std::int32_t>(bytes, out.i64, n);
    else if (t == "|u1")
      convert<std::uint8_t>(bytes, out.i64, n);
    else
      convert<std::int8_t>(bytes, out.i64, n);
  }
  return out;
}

}  // namespace wattserve::run
