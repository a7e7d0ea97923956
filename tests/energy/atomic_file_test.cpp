#include "energy/atomic_file.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <stdexcept>

#include "test_tmpdir.h"

namespace wattserve::energy {
namespace {

using testing::slurp;
using testing::TempDir;

size_t count_entries(const std::filesystem::path& dir) {
  size_t n = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir)) ++n;
  return n;
}

TEST(AtomicFile, WritesAndReplacesLeavingNoTemporaryFiles) {
  TempDir dir;
  const std::string path = dir.file("out.txt");
  write_file_atomic(path, "first\n");
  EXPECT_EQ(slurp(path), "first\n");
  write_file_atomic(path, "second");
  EXPECT_EQ(slurp(path), "second");
  write_file_atomic(path, "");
  EXPECT_EQ(slurp(path), "");
  EXPECT_EQ(count_entries(dir.path()), 1u);
}

TEST(AtomicFile, FailureNamesThePathAndTheSystemError) {
  TempDir dir;
  const std::string path = dir.file("no-such-dir/out.txt");
  try {
    write_file_atomic(path, "x");
    FAIL() << "expected an exception";
  } catch (const std::runtime_error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find(path), std::string::npos) << what;
    EXPECT_NE(what.find("No such file or directory"), std::string::npos) << what;
  }
  EXPECT_EQ(count_entries(dir.path()), 0u);
}

TEST(AtomicFile, ReadIfExists) {
  TempDir dir;
  std::string text = "junk";
  EXPECT_FALSE(read_file_if_exists(dir.file("missing"), &text));
  EXPECT_EQ(text, "");
  write_file_atomic(dir.file("f"), "a,b\n1,2\n");
  EXPECT_TRUE(read_file_if_exists(dir.file("f"), &text));
  EXPECT_EQ(text, "a,b\n1,2\n");
}

}  // namespace
}  // namespace wattserve::energy
