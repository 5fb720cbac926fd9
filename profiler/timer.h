// Timing a piece of work the way ncnn's benchncnn and TVM's runner do: warm-up
// runs, then timed runs until both a minimum count and a minimum total time are
// reached; the median and the median absolute deviation describe the result.
// LibTorch-free: the work is a closure.
#pragma once

#include <functional>
#include <string>

namespace edgenas {

struct TimerOptions {
  int warmup_runs = 5;          // untimed runs first (caches, lazy allocation), >= 0
  int min_runs = 10;            // timed runs at least, >= 1
  double min_time_ms = 100.0;   // and at least this much timed work, in ms
  int max_runs = 5000;          // never more timed runs than this
  double cooldown_ms = 0.0;     // pause between timed runs, in ms (thermally limited devices)
  // Evict the CPU caches before each timed run (outside the timing), as TVM's
  // enable_cpu_cache_flush: a layer inside a network finds its weights cold, a
  // layer timed alone in a loop would find them hot.
  bool flush_cache = false;

  // Names the first field that breaks a rule, with its value.
  bool IsValid(std::string* error) const;
};

struct TimingResult {
  double median_ms = 0;
  double mad_ms = 0;  // median absolute deviation from the median: a robust spread
  double min_ms = 0;  // the fastest run
  int runs = 0;
};

TimingResult TimeRuns(const std::function<void()>& work, const TimerOptions& options);

}  // namespace edgenas
