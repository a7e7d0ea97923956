#include "energy/core/process_attribution.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <vector>

#include "test_tmpdir.h"

namespace wattserve::energy {
namespace {

using testing::spit;
using testing::TempDir;

std::string stat_line(int pid, const std::string& comm, int ppid, int ut, int st, int cut,
                      int cst) {
  // pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt
  // utime stime cutime cstime priority nice threads itrealvalue starttime vsize rss
  return std::to_string(pid) + " (" + comm + ") S " + std::to_string(ppid) +
         " 100 100 0 -1 4194304 10 0 0 0 " + std::to_string(ut) + " " + std::to_string(st) + " " +
         std::to_string(cut) + " " + std::to_string(cst) + " 20 0 1 0 12345 1000 100\n";
}

// A fake procfs: root 100 with children 101 and 102, grandchild 103 (under 101), and an
// unrelated process 200.
class FakeProc {
 public:
  explicit FakeProc(const TempDir& dir) : root_(dir.file("proc")) {}
  const std::string& root() const { return root_; }
  void proc(int pid, const std::string& comm, int ppid, int ut, int st, int cut = 0, int cst = 0) {
    spit(root_ + "/" + std::to_string(pid) + "/stat", stat_line(pid, comm, ppid, ut, st, cut, cst));
  }
  void remove(int pid) { std::filesystem::remove_all(root_ + "/" + std::to_string(pid)); }
  // Aggregate cpu line whose busy time (everything but idle and iowait) is `busy` ticks.
  void busy(int busy) {
    spit(root_ + "/stat", "cpu  " + std::to_string(busy - 30) +
                              " 10 20 99999 777 0 0 0 5 0\ncpu0 1 2 3 4 5 6 7 8 9 10\nintr 1\n");
  }

 private:
  std::string root_;
};

std::vector<Domain> domains() {
  return {
      {"rapl:package-0", DomainKind::kCpuPackage, Source::kCounter, "pkg", true},
      {"rapl:dram-0", DomainKind::kDram, Source::kCounter, "dram", true},
      {"nvml:gpu-0", DomainKind::kGpu, Source::kCounter, "gpu", true},
      {"rapl:core-0", DomainKind::kCpuCore, Source::kCounter, "core", false},
  };
}

TEST(ProcessStat, CommWithSpacesAndParentheses) {
  ProcStat st;
  ASSERT_TRUE(parse_proc_stat(stat_line(42, "my (odd) app) x", 7, 11, 22, 33, 44), &st));
  EXPECT_EQ(st.pid, 42);
  EXPECT_EQ(st.comm, "my (odd) app) x");
  EXPECT_EQ(st.state, 'S');
  EXPECT_EQ(st.ppid, 7);
  EXPECT_EQ(st.utime, 11u);
  EXPECT_EQ(st.stime, 22u);
  EXPECT_EQ(st.cutime, 33);
  EXPECT_EQ(st.cstime, 44);
  EXPECT_FALSE(parse_proc_stat("42 (short) S 1 2 3", &st));
  EXPECT_FALSE(parse_proc_stat("garbage", &st));
}

TEST(ProcessStat, SystemBusyExcludesIdleIowaitAndGuest) {
  uint64_t busy = 0;
  ASSERT_TRUE(parse_system_busy_ticks("cpu  1 2 3 1000 500 4 5 6 70 80\ncpu0 9 9 9 9\n", &busy));
  EXPECT_EQ(busy, 21u);
  EXPECT_FALSE(parse_system_busy_ticks("intr 1 2\n", &busy));
}

TEST(ProcessAttribution, TreeSharesByCpuTimeWithVanishingChildAndExitedRoot) {
  TempDir dir;
  FakeProc p(dir);
  p.busy(150);
  p.proc(100, "my (weird) app", 1, 10, 5);
  p.proc(101, "worker 1", 100, 20, 0);
  p.proc(102, "worker) 2", 100, 7, 3);
  p.proc(103, "grand child", 101, 4, 1);
  p.proc(200, "unrelated", 1, 500, 0);
  std::filesystem::create_directories(p.root() + "/300");  // vanished: no stat file
  std::filesystem::create_directories(p.root() + "/self");

  ProcessAttribution a(p.root(), 100, domains(), /*clock_ticks=*/1);
  EXPECT_EQ(a.scan_tree_cpu_seconds(), 50.0);  // 15 + 20 + 10 + 5

  // [0, 1 s]: the tree runs 25 ticks (root +10, 101 +10, 103 +5) of 100 busy: share 0.25.
  p.busy(250);
  p.proc(100, "my (weird) app", 1, 20, 5);
  p.proc(101, "worker 1", 100, 30, 0);
  p.proc(103, "grand child", 101, 9, 1);
  p.proc(200, "unrelated", 1, 575, 0);
  const double e1[] = {100, 20, 200, 40};
  a.on_interval(0, 1'000'000'000, e1);

  // [1, 2 s]: 102 ran 2 more ticks, exited and was reaped: its 12 ticks move into the root's
  // cutime. The root runs 5 more. Tree +7 of 28 busy: 0.25.
  p.busy(278);
  p.remove(102);
  p.proc(100, "my (weird) app", 1, 25, 5, 12, 0);
  const double e2[] = {40, 8, 100, 16};
  a.on_interval(1'000'000'000, 2'000'000'000, e2);
  EXPECT_EQ(a.scan_tree_cpu_seconds(), 82.0);

  // [2, 3 s]: the whole tree exits and wattserve reaps the root; getrusage says 100 ticks in
  // all: the last 18 of 72 busy are the tree's.
  p.busy(350);
  p.remove(100);
  p.remove(101);
  p.remove(103);
  EXPECT_EQ(a.scan_tree_cpu_seconds(), std::nullopt);
  a.set_final_tree_cpu_seconds(100);
  const double e3[] = {80, 0, 0, 0};
  a.on_interval(2'000'000'000, 3'000'000'000, e3);

  // [3, 4 s]: nothing of the tree runs any more.
  p.busy(450);
  const double e4[] = {50, 0, 0, 0};
  a.on_interval(3'000'000'000, 4'000'000'000, e4);

  const ProcessReport r = a.report();
  EXPECT_EQ(r.root_pid, 100);
  EXPECT_EQ(r.intervals, 4u);
  ASSERT_EQ(r.domains.size(), 4u);
  EXPECT_EQ(r.domains[0].id, "rapl:package-0");
  EXPECT_TRUE(r.domains[0].attributed);
  EXPECT_DOUBLE_EQ(r.domains[0].joules, 25 + 10 + 20 + 0);
  EXPECT_DOUBLE_EQ(r.domains[0].domain_joules, 270);
  EXPECT_DOUBLE_EQ(r.domains[1].joules, 5 + 2);
  EXPECT_DOUBLE_EQ(r.domains[1].domain_joules, 28);
  EXPECT_FALSE(r.domains[2].attributed);  // GPU: share not applicable
  EXPECT_EQ(r.domains[2].joules, 0);
  EXPECT_DOUBLE_EQ(r.domains[2].domain_joules, 300);
  EXPECT_TRUE(r.domains[3].attributed);  // core: attributed, but not counted in totals
  EXPECT_DOUBLE_EQ(r.domains[3].joules, 10 + 4);
  EXPECT_DOUBLE_EQ(r.joules, 62);
  EXPECT_DOUBLE_EQ(r.domain_joules, 298);
  EXPECT_DOUBLE_EQ(r.mean_share, 0.1875);    // (0.25 * 3 + 0) / 4
  EXPECT_DOUBLE_EQ(r.tree_cpu_seconds, 50);  // 25 + 7 + 18 + 0
  EXPECT_DOUBLE_EQ(r.system_busy_seconds, 300);
}

TEST(ProcessAttribution, ShareIsClampedToOne) {
  TempDir dir;
  FakeProc p(dir);
  p.busy(100);
  p.proc(100, "root", 1, 0, 0);
  ProcessAttribution a(p.root(), 100, domains(), 1);
  p.busy(110);
  p.proc(100, "root", 1, 30, 0);  // 30 tree ticks, 10 busy: share 1, not 3
  const double e[] = {10, 10, 10, 10};
  a.on_interval(0, 500'000'000, e);
  EXPECT_DOUBLE_EQ(a.report().domains[0].joules, 10);
  EXPECT_DOUBLE_EQ(a.report().mean_share, 1);
}

TEST(ProcessAttribution, WithNothingCountedThePackageAndDramMakeTheTotal) {
  // An external meter holds the total: RAPL domains are shown but not counted.
  auto doms = domains();
  for (Domain& d : doms) d.counted = false;
  doms.push_back({"external:pdu", DomainKind::kSystem, Source::kPower, "pdu", true});
  TempDir dir;
  FakeProc p(dir);
  p.busy(100);
  p.proc(100, "root", 1, 0, 0);
  ProcessAttribution a(p.root(), 100, doms, 1);
  p.busy(140);
  p.proc(100, "root", 1, 10, 0);  // share 10 / 40 = 0.25
  const double e[] = {40, 8, 100, 20, 300};
  a.on_interval(0, 1'000'000'000, e);
  const auto r = a.report();
  EXPECT_DOUBLE_EQ(r.joules, 0.25 * (40 + 8));  // not core (inside the package), not GPU
  EXPECT_FALSE(r.domains[4].attributed);
}

TEST(ProcessAttribution, ClockTicksConvertToSeconds) {
  TempDir dir;
  FakeProc p(dir);
  p.busy(100);
  p.proc(100, "root", 1, 150, 50);
  ProcessAttribution a(p.root(), 100, domains(), 100);
  EXPECT_DOUBLE_EQ(*a.scan_tree_cpu_seconds(), 2.0);
  EXPECT_DOUBLE_EQ(*a.read_system_busy_seconds(), 1.0);
}

TEST(ProcessAttribution, ReadsTheRealProc) {
  ProcessAttribution a("/proc", static_cast<int>(::getpid()), domains());
  ASSERT_TRUE(a.scan_tree_cpu_seconds().has_value());
  EXPECT_GE(*a.scan_tree_cpu_seconds(), 0);
  ASSERT_TRUE(a.read_system_busy_seconds().has_value());
  EXPECT_GT(*a.read_system_busy_seconds(), 0);
  const double e[] = {1, 1, 1, 1};
  a.on_interval(0, 1'000'000, e);
  EXPECT_LE(a.report().mean_share, 1);
}

}  // namespace
}  // namespace wattserve::energy
