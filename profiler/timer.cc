#include "profiler/timer.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <chrono>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "common/error.h"
#include "common/statistics.h"

namespace edgenas {

namespace {

// The largest CPU cache in bytes, from sysfs (sysconf's figure can be off:
// 320 MiB for a 32 MiB L3 on a cloud VM), or 0 if unknown.
long LargestCacheBytes() {
  long largest = 0;
  for (int index = 0; index < 8; ++index) {
    std::ifstream in("/sys/devices/system/cpu/cpu0/cache/index" + std::to_string(index) + "/size");
    long size = 0;
    char unit = 0;
    if (!(in >> size)) continue;
    if (in >> unit) size *= unit == 'K' ? 1024L : unit == 'M' ? 1024L * 1024 : 1;
    largest = std::max(largest, size);
  }
  return largest;
}

// Writes and reads a buffer larger than the last-level cache.
void FlushCaches() {
  static std::vector<char> buffer = [] {
    const long largest = LargestCacheBytes();
    return std::vector<char>(std::max<long>(2 * largest, 64L << 20), 1);
  }();
  volatile char sink = 0;
  for (size_t i = 0; i < buffer.size(); i += 64) {
    buffer[i] = static_cast<char>(buffer[i] + 1);
    sink = sink + buffer[i];
  }
}

}  // namespace

bool TimerOptions::IsValid(std::string* error) const {
  const auto fail = [&](const char* field, double value, const char* rule) {
    *error = fmt::format("TimerOptions::{} = {}. Violated constraint: {}", field, value, rule);
    return false;
  };
  if (warmup_runs < 0) return fail("warmup_runs", warmup_runs, "warmup_runs >= 0");
  if (min_runs < 1) return fail("min_runs", min_runs, "min_runs >= 1");
  if (!(min_time_ms >= 0)) return fail("min_time_ms", min_time_ms, "min_time_ms >= 0");
  if (max_runs < min_runs) return fail("max_runs", max_runs, "max_runs >= min_runs");
  if (!(cooldown_ms >= 0)) return fail("cooldown_ms", cooldown_ms, "cooldown_ms >= 0");
  return true;
}

TimingResult TimeRuns(const std::function<void()>& work, const TimerOptions& options) {
  using Clock = std::chrono::steady_clock;
  std::string error;
  EDGENAS_THROW_IF_NOT_FMT(options.IsValid(&error), "{}", error);
  for (int i = 0; i < options.warmup_runs; ++i) work();
  std::vector<double> times_ms;
  double total_ms = 0;
  while (static_cast<int>(times_ms.size()) < options.max_runs &&
         (static_cast<int>(times_ms.size()) < options.min_runs || total_ms < options.min_time_ms)) {
    if (options.flush_cache) FlushCaches();
    const auto start = Clock::now();
    work();
    const double ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    times_ms.push_back(ms);
    total_ms += ms;
    if (options.cooldown_ms > 0) std::this_thread::sleep_for(std::chrono::duration<double, std::milli>(options.cooldown_ms));
  }
  TimingResult result;
  result.runs = static_cast<int>(times_ms.size());
  result.median_ms = Median(times_ms);
  result.min_ms = *std::min_element(times_ms.begin(), times_ms.end());
  std::vector<double> deviations;
  for (double t : times_ms) deviations.push_back(std::abs(t - result.median_ms));
  result.mad_ms = Median(deviations);
  return result;
}


}  // namespace edgenas
