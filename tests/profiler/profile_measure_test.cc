// profile measure / validate on this machine, with the least timing that still
// exercises them. Checks behaviour, not speed.
#include "profiler/profile_measure.h"

#include <gtest/gtest.h>

#include "test_util.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/error.h"
#include "common/file_util.h"
#include "cost/lut_cost_model.h"
#include "space/space_loader.h"

namespace edgenas {
namespace {

namespace fs = std::filesystem;

MeasureOptions QuickMacroMeasure(const std::string& out_root) {
  MeasureOptions o;
  o.spaces = {"nas_bench_macro"};
  o.device = "host";
  o.out_root = out_root;
  o.timer.warmup_runs = 0;
  o.timer.min_runs = 1;
  o.timer.min_time_ms = 0;
  o.calibration_networks = 3;
  return o;
}

TEST(ProfileMeasure, MeasuresEveryLayerAndResumesWhereItStopped) {
  const std::string out = edgenas::testing::UniqueTempPath("measure_resume");
  fs::remove_all(out);
  int reported = 0, calibration = 0;
  MeasureProgress last;
  const MeasureSummary first = MeasureProfile(QuickMacroMeasure(out), [&](const MeasureProgress& p) {
    ++reported;
    calibration += p.key.rfind("calibration: ", 0) == 0;
    last = p;
  });
  EXPECT_EQ(first.layers_timed, 19);  // the distinct layers of NAS-Bench-Macro
  EXPECT_EQ(reported, 19 + 3);        // then the calibration networks, counted in the same total
  EXPECT_EQ(calibration, 3);
  EXPECT_EQ(last.done, 22);
  EXPECT_EQ(last.total, 22);
  const std::string table = out + "/host/tables/32_lookup_table.yaml";

  // Simulate an interrupted run: drop the last 3 entries (4 lines each) and profile.yaml.
  std::string text = ReadFile(table);
  for (int i = 0; i < 3 * 4; ++i) text.erase(text.find_last_of('\n', text.size() - 2) + 1);
  WriteFileAtomically(table, text);
  fs::remove(out + "/host/profile.yaml");
  try {
    MeasureProfile(QuickMacroMeasure(out), [](const MeasureProgress&) {});
    FAIL() << "an interrupted measurement needs --resume or --replace";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()),
              out + "/host holds an interrupted measurement (MeasureOptions::resume and ::replace are false)");
  }

  MeasureOptions resume = QuickMacroMeasure(out);
  resume.resume = true;
  const MeasureSummary second = MeasureProfile(resume, [](const MeasureProgress&) {});
  EXPECT_EQ(second.layers_timed, 3);
  EXPECT_EQ(second.layers_reused, 16);

  // The result is a profile that costs every NAS-Bench-Macro network.
  const HardwareProfile profile = LoadHardwareProfile(out + "/host");
  EXPECT_EQ(profile.key_format, LutKeyFormat::kNative);
  EXPECT_EQ(profile.threads, 1);
  EXPECT_EQ(profile.metrics.at("latency").constant_by_resolution.count(32), 1u);
  EXPECT_GE(profile.metrics.at("latency").ScaleFor(32), 1.0);
  EXPECT_EQ(profile.metrics.at("latency").scale_by_resolution.count(32), 1u);
  const SearchSpace space = LoadSpace("nas_bench_macro");
  const LutCostModel model(space, profile, "latency");
  EXPECT_GT(model.Cost(space.Parse("22222222")), model.Cost(space.Parse("00000000")));
}

TEST(ProfileMeasure, ValidateComparesEveryNetworkAndPlotsThem) {
  const std::string out = edgenas::testing::UniqueTempPath("measure_validate");
  fs::remove_all(out);
  MeasureProfile(QuickMacroMeasure(out), [](const MeasureProgress&) {});
  TimerOptions quick;
  quick.warmup_runs = 0;
  quick.min_runs = 1;
  quick.min_time_ms = 0;
  int seen = 0;
  const ValidationReport r =
      ValidateProfile(out + "/host", "nas_bench_macro", 5, 1, quick, /*interpolate_missing=*/false, [&](int done, int total) {
        EXPECT_EQ(total, 5);
        seen = done;
      });
  EXPECT_EQ(seen, 5);
  ASSERT_EQ(r.networks.size(), 5u);
  for (const auto& n : r.networks) {
    EXPECT_GT(n.predicted_ms, 0.0);
    EXPECT_GT(n.measured_ms, 0.0);
  }
  const std::string svg = ValidationSvg(r, "test");
  size_t circles = 0;
  for (size_t at = svg.find("<circle"); at != std::string::npos; at = svg.find("<circle", at + 1)) ++circles;
  EXPECT_EQ(circles, 5u);
  EXPECT_NE(svg.find("measured latency (ms)"), std::string::npos);
}

TEST(ProfileMeasure, ReportsTheBlasInUse) {
  // The build installs libopenblas0-pthread; LibTorch must be running on it.
  EXPECT_NE(BlasInUse().find("OpenBLAS"), std::string::npos) << BlasInUse();
}

}  // namespace
}  // namespace edgenas
