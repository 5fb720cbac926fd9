// Whole-process time of `edgenas arch describe` (target: under 50 ms), from
// fork to exit, so that dynamic loading and static initialisation count.
//   ./build/bench/cli_startup_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <vector>

extern char** environ;

namespace {

void RunOnce(std::vector<const char*> argv) {
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  pid_t pid = 0;
  if (posix_spawn(&pid, argv[0], &actions, nullptr, const_cast<char* const*>(argv.data()), environ) != 0) {
    posix_spawn_file_actions_destroy(&actions);
    return;
  }
  int status = 0;
  waitpid(pid, &status, 0);
  posix_spawn_file_actions_destroy(&actions);
}

void BM_ArchDescribeProcess(benchmark::State& state) {
  for (auto _ : state) {
    RunOnce({EDGENAS_BINARY, "arch", "describe", "--space", "ofa_mbv3_w1.2",
             "r192-k33.535.7535.333.335-e34.643.6333.436.666"});
  }
}
BENCHMARK(BM_ArchDescribeProcess)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_SpacesProcess(benchmark::State& state) {
  for (auto _ : state) RunOnce({EDGENAS_BINARY, "spaces"});
}
BENCHMARK(BM_SpacesProcess)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
