#include "profiler/timer.h"

#include <gtest/gtest.h>

namespace edgenas {
namespace {

// Behaviour only: how often the work runs, never how long it takes.
TEST(Timer, RunsWarmupThenAtLeastTheMinimumCount) {
  int calls = 0;
  TimerOptions options;
  options.warmup_runs = 3;
  options.min_runs = 7;
  options.min_time_ms = 0;
  const TimingResult r = TimeRuns([&] { ++calls; }, options);
  EXPECT_EQ(r.runs, 7);
  EXPECT_EQ(calls, 3 + 7);
  EXPECT_GE(r.median_ms, 0.0);
  EXPECT_GE(r.mad_ms, 0.0);
  EXPECT_GE(r.min_ms, 0.0);
  EXPECT_LE(r.min_ms, r.median_ms);
}

TEST(Timer, NeverExceedsTheMaximumCount) {
  int calls = 0;
  TimerOptions options;
  options.warmup_runs = 0;
  options.min_runs = 1;
  options.min_time_ms = 1e9;  // unreachable: the cap must stop it
  options.max_runs = 4;
  options.flush_cache = true;
  EXPECT_EQ(TimeRuns([&] { ++calls; }, options).runs, 4);
  EXPECT_EQ(calls, 4);
}

}  // namespace
}  // namespace edgenas
