#include "energy/core/atomic_file.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <thread>

#include "test_tmpdir.h"

namespace wattserve::energy {
namespace {

using testing::slurp;
using testing::spit;
using testing::TempDir;

size_t count_entries(const std::filesystem::path& dir) {
  size_t n = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir)) ++n;
  return n;
}

mode_t file_type(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return 0;
  return st.st_mode & S_IFMT;
}

// The message of the std::runtime_error `f` throws ("" when it throws nothing).
template <typename F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "";
}

// Reads a FIFO from another thread until its writer closes it. The read end is opened here
// (non-blocking, so a writer never waits for it and a test of a writer that never comes does
// not hang) and waits at most 10 s for data.
class FifoReader {
 public:
  explicit FifoReader(const std::string& path) {
    fd_ = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd_ < 0) throw std::runtime_error("cannot open the FIFO for reading");
    ::fcntl(fd_, F_SETFL, ::fcntl(fd_, F_GETFL) & ~O_NONBLOCK);
    thread_ = std::thread([this] {
      char buf[4096];
      for (;;) {
        struct pollfd p = {fd_, POLLIN, 0};
        if (::poll(&p, 1, 10'000) <= 0) return;  // no writer came
        ssize_t n = ::read(fd_, buf, sizeof buf);
        if (n <= 0) return;  // EOF: the writer closed it
        got_.append(buf, static_cast<size_t>(n));
      }
    });
  }
  ~FifoReader() {
    if (thread_.joinable()) thread_.join();
    ::close(fd_);
  }
  std::string wait() {
    thread_.join();
    return got_;
  }

 private:
  int fd_ = -1;
  std::string got_;
  std::thread thread_;
};

// A character device node made in the test's directory (never under /dev): needs root and a
// filesystem that allows device nodes. Returns "" when that is not possible here.
std::string make_char_device(const TempDir& dir, const std::string& name, int major, int minor) {
  if (::geteuid() != 0) return "";
  struct statvfs vfs {};
  if (::statvfs(dir.path().c_str(), &vfs) == 0 && (vfs.f_flag & ST_NODEV) != 0) return "";
  const std::string path = dir.file(name);
  if (::mknod(path.c_str(), S_IFCHR | 0666, makedev(major, minor)) != 0) return "";
  return path;
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

TEST(AtomicFile, ADirectoryIsAnErrorNamingThePath) {
  TempDir dir;
  const std::string sub = dir.file("sub");
  std::filesystem::create_directory(sub);
  const std::string what = error_of([&] { write_file_atomic(sub, "x"); });
  EXPECT_NE(what.find(sub), std::string::npos) << what;
  EXPECT_NE(what.find("Is a directory"), std::string::npos) << what;
  EXPECT_EQ(file_type(sub), S_IFDIR);
  EXPECT_EQ(count_entries(dir.path()), 1u);
}

TEST(AtomicFile, AFifoIsWrittenThroughAndStaysAFifo) {
  TempDir dir;
  const std::string fifo = dir.file("fifo");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  // More than a pipe holds (64 KiB), so the write only ends while the reader drains it.
  std::string payload(256 * 1024, 'x');
  payload += "end\n";
  FifoReader reader(fifo);
  write_file_atomic(fifo, payload);
  EXPECT_EQ(reader.wait(), payload);
  EXPECT_EQ(file_type(fifo), S_IFIFO);
  EXPECT_EQ(count_entries(dir.path()), 1u);
}

TEST(AtomicFile, ASymlinkStaysALinkAndItsTargetGetsTheContents) {
  TempDir dir;
  const std::string real = dir.file("real.txt");
  spit(real, "old\n");
  ::chmod(real.c_str(), 0640);
  // link2 -> link1 -> real.txt (relative), resolved through the whole chain.
  ASSERT_EQ(::symlink("real.txt", dir.file("link1").c_str()), 0);
  ASSERT_EQ(::symlink(dir.file("link1").c_str(), dir.file("link2").c_str()), 0);
  write_file_atomic(dir.file("link2"), "new\n");
  EXPECT_EQ(file_type(dir.file("link2")), S_IFLNK);
  EXPECT_EQ(file_type(dir.file("link1")), S_IFLNK);
  EXPECT_EQ(std::filesystem::read_symlink(dir.file("link1")), "real.txt");
  EXPECT_EQ(file_type(real), S_IFREG);
  EXPECT_EQ(slurp(real), "new\n");
  EXPECT_EQ(count_entries(dir.path()), 3u);  // no temporary file left anywhere
}

TEST(AtomicFile, ADanglingSymlinkCreatesItsTarget) {
  TempDir dir;
  std::filesystem::create_directory(dir.file("sub"));
  ASSERT_EQ(::symlink("sub/new.json", dir.file("out.json").c_str()), 0);
  write_file_atomic(dir.file("out.json"), "{}\n");
  EXPECT_EQ(file_type(dir.file("out.json")), S_IFLNK);
  EXPECT_EQ(slurp(dir.file("sub/new.json")), "{}\n");
  EXPECT_EQ(count_entries(dir.file("sub")), 1u);
  // A link into a missing directory fails naming the link, and stays.
  ASSERT_EQ(::symlink("nodir/x.json", dir.file("bad.json").c_str()), 0);
  const std::string what = error_of([&] { write_file_atomic(dir.file("bad.json"), "{}"); });
  EXPECT_NE(what.find(dir.file("bad.json")), std::string::npos) << what;
  EXPECT_EQ(file_type(dir.file("bad.json")), S_IFLNK);
}

TEST(AtomicFile, ProcFdLinksAreWrittenThrough) {
  // What /dev/stdout is: /proc/self/fd/1, here a pipe's write end.
  int p[2];
  ASSERT_EQ(::pipe2(p, O_CLOEXEC), 0);
  const std::string fd_path = "/proc/self/fd/" + std::to_string(p[1]);
  write_file_atomic(fd_path, "one\n");
  // And a link to it, as /dev/stdout -> /proc/self/fd/1.
  TempDir dir;
  ASSERT_EQ(::symlink(fd_path.c_str(), dir.file("stdout").c_str()), 0);
  write_file_atomic(dir.file("stdout"), "two\n");
  ::close(p[1]);
  char buf[64];
  const ssize_t n = ::read(p[0], buf, sizeof buf);
  ::close(p[0]);
  EXPECT_EQ(std::string(buf, n > 0 ? static_cast<size_t>(n) : 0), "one\ntwo\n");
  EXPECT_EQ(file_type(dir.file("stdout")), S_IFLNK);
  EXPECT_EQ(count_entries(dir.path()), 1u);
}

TEST(AtomicFile, ARegularFileOpenedAsAnFdIsAppendedToNotReplaced) {
  // `wattserve measure --json /dev/stdout -- cmd > log`: the JSON follows cmd's output.
  TempDir dir;
  const std::string log = dir.file("log");
  const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::write(fd, "command output\n", 15), 15);
  struct stat before {};
  ASSERT_EQ(::fstat(fd, &before), 0);
  write_file_atomic("/proc/self/fd/" + std::to_string(fd), "{}\n");
  ::close(fd);
  struct stat after {};
  ASSERT_EQ(::stat(log.c_str(), &after), 0);
  EXPECT_EQ(after.st_ino, before.st_ino);
  EXPECT_EQ(slurp(log), "command output\n{}\n");
}

TEST(AtomicFile, ACharacterDeviceIsWrittenThroughAndStaysADevice) {
  TempDir dir;
  const std::string null_dev = make_char_device(dir, "null", 1, 3);
  if (null_dev.empty()) GTEST_SKIP() << "needs root and mknod in " << dir.path();
  write_file_atomic(null_dev, "discarded\n");
  struct stat st {};
  ASSERT_EQ(::lstat(null_dev.c_str(), &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));
  EXPECT_EQ(st.st_rdev, makedev(1, 3));
  EXPECT_EQ(count_entries(dir.path()), 1u);
}

TEST(AtomicFile, AFullDeviceIsAClearError) {
  TempDir dir;
  const std::string full_dev = make_char_device(dir, "full", 1, 7);  // as /dev/full
  if (full_dev.empty()) GTEST_SKIP() << "needs root and mknod in " << dir.path();
  const std::string what = error_of([&] { write_file_atomic(full_dev, "{}\n"); });
  EXPECT_NE(what.find(full_dev), std::string::npos) << what;
  EXPECT_NE(what.find("No space left on device"), std::string::npos) << what;
  EXPECT_EQ(file_type(full_dev), S_IFCHR);
  EXPECT_EQ(count_entries(dir.path()), 1u);
}

TEST(AtomicFile, ResolveOutputSaysHowAPathIsWritten) {
  TempDir dir;
  spit(dir.file("f"), "x");
  ASSERT_EQ(::symlink("f", dir.file("l").c_str()), 0);
  ASSERT_EQ(::mkfifo(dir.file("p").c_str(), 0600), 0);
  EXPECT_EQ(resolve_output(dir.file("missing")).kind, OutputKind::kMissing);
  EXPECT_EQ(resolve_output(dir.file("f")).kind, OutputKind::kRegular);
  const OutputTarget l = resolve_output(dir.file("l"));
  EXPECT_EQ(l.kind, OutputKind::kRegular);
  EXPECT_EQ(l.resolved, dir.file("f"));
  EXPECT_EQ(resolve_output(dir.file("p")).kind, OutputKind::kWriteThrough);
  EXPECT_EQ(resolve_output("/proc/self/fd/2").kind, OutputKind::kWriteThrough);
  ASSERT_EQ(::symlink("loop", dir.file("loop").c_str()), 0);
  EXPECT_NE(error_of([&] { resolve_output(dir.file("loop")); }).find("Too many levels"),
            std::string::npos);
}

TEST(AtomicFile, CheckOutputPathWritesNothing) {
  TempDir dir;
  EXPECT_NO_THROW(check_output_path(dir.file("new.json")));
  ASSERT_EQ(::mkfifo(dir.file("p").c_str(), 0600), 0);
  EXPECT_NO_THROW(check_output_path(dir.file("p")));  // does not wait for a reader
  const std::string missing = dir.file("nodir/out.json");
  std::string what = error_of([&] { check_output_path(missing); });
  EXPECT_NE(what.find(missing), std::string::npos) << what;
  EXPECT_NE(what.find("No such file or directory"), std::string::npos) << what;
  what = error_of([&] { check_output_path(dir.path().string()); });
  EXPECT_NE(what.find("Is a directory"), std::string::npos) << what;
  spit(dir.file("plain"), "x");
  what = error_of([&] { check_output_path(dir.file("plain/out.json")); });
  EXPECT_NE(what.find("Not a directory"), std::string::npos) << what;
  EXPECT_EQ(count_entries(dir.path()), 2u);  // p and plain: nothing created
  EXPECT_EQ(file_type(dir.file("p")), S_IFIFO);
}

TEST(AtomicFile, OutputFilePublishesOnlyOnCommit) {
  TempDir dir;
  const std::string path = dir.file("t.csv");
  spit(path, "old\n");
  {
    OutputFile out(path);
    out.write("a,");
    out.write("b\n");
    EXPECT_EQ(slurp(path), "old\n");
  }  // not committed: the target is untouched and the temporary file gone
  EXPECT_EQ(slurp(path), "old\n");
  EXPECT_EQ(count_entries(dir.path()), 1u);
  OutputFile out(path);
  out.write("a,b\n");
  out.commit();
  EXPECT_EQ(slurp(path), "a,b\n");
  EXPECT_EQ(count_entries(dir.path()), 1u);
  EXPECT_THROW(out.commit(), std::runtime_error);
}

TEST(AtomicFile, OutputFileCopiesIntoAFifoOnCommit) {
  TempDir dir;
  const std::string fifo = dir.file("fifo");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  std::string payload;
  for (int i = 0; i < 20'000; ++i) payload += std::to_string(i) + "\n";
  FifoReader reader(fifo);
  {
    OutputFile out(fifo);
    out.write(payload.substr(0, 1000));
    out.write(payload.substr(1000));
    out.commit();
  }
  EXPECT_EQ(reader.wait(), payload);
  EXPECT_EQ(file_type(fifo), S_IFIFO);
  EXPECT_EQ(count_entries(dir.path()), 1u);
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
