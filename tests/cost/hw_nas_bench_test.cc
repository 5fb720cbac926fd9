// The HW-NAS-Bench profiles: imported from the published dump, costing FBNet.
#include <gtest/gtest.h>

#include <filesystem>

#include "cost/lut_cost_model.h"
#include "cost/profile_import.h"
#include "space/space_loader.h"
#include "test_util.h"

namespace edgenas {
namespace {

// HW-NAS-Bench's example notebook: all-k3_e1 under the CIFAR-100 config.
TEST(HwNasBench, ReproducesTheOfficialExample) {
  const SearchSpace space = LoadSpace("fbnet_cifar100");
  const Genome all_k3_e1 = space.Parse(std::string(22, '0'));
  const struct {
    const char* device;
    const char* metric;
    double value;  // as printed: 2 decimals
  } cases[] = {
      {"jetson_tx2", "latency", 15.80}, {"jetson_tx2", "energy", 86.98}, {"raspberry_pi4", "latency", 17.62},
      {"pixel3", "latency", 7.79},      {"eyeriss", "latency", 3.94},    {"eyeriss", "energy", 3.24},
      {"fpga", "latency", 10.74},       {"fpga", "energy", 75.18},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(std::string(c.device) + " " + c.metric);
    const LutCostModel model(space, LoadBuiltinProfile(c.device), c.metric);
    EXPECT_NEAR(model.Cost(all_k3_e1), c.value, 0.005);
  }
}

// Every key of both FBNet configs is in every table, and a network of skips
// costs exactly what the README says: 0 on the FPGA (all its skip and fixed
// entries are 0).
TEST(HwNasBench, CoversBothConfigsAndKeepsTheQuirks) {
  for (const char* space_name : {"fbnet", "fbnet_cifar100"}) {
    const SearchSpace space = LoadSpace(space_name);
    for (const std::string device : {"jetson_tx2", "raspberry_pi4", "pixel3", "eyeriss", "fpga"}) {
      const HardwareProfile profile = LoadBuiltinProfile(device);
      for (const auto& [metric, table] : profile.metrics) {
        SCOPED_TRACE(std::string(space_name) + " " + device + " " + metric);
        const LutCostModel model(space, profile, metric);  // throws on any missing key
        if (device == "fpga") {
          EXPECT_EQ(model.Cost(space.Parse(std::string(22, '8'))), 0.0);
        }
      }
    }
  }
}

TEST(HwNasBench, ImportRoundTripsEveryValue) {
  const std::string out = edgenas::testing::UniqueTempPath("hw_profiles_import");
  std::filesystem::remove_all(out);
  const std::vector<std::string> devices = ImportHwNasBench(EDGENAS_TEST_DATA "/hw_nas_bench_fbnet_lut.json", out, false);
  EXPECT_EQ(devices, (std::vector<std::string>{"jetson_tx2", "raspberry_pi4", "pixel3", "eyeriss", "fpga"}));
  for (const std::string& device : devices) {
    const HardwareProfile imported = LoadHardwareProfile(out + "/" + device);
    const HardwareProfile shipped = LoadBuiltinProfile(device);
    ASSERT_EQ(imported.metrics.size(), shipped.metrics.size()) << device;
    for (const auto& [metric, table] : shipped.metrics) {
      EXPECT_EQ(imported.metrics.at(metric).by_resolution, table.by_resolution) << device << " " << metric;
      EXPECT_EQ(table.by_resolution.at(0).size(), 225u);
    }
  }
  // A second import refuses to overwrite unless asked.
  EXPECT_EQ(testing::ErrorOf([&] { ImportHwNasBench(EDGENAS_TEST_DATA "/hw_nas_bench_fbnet_lut.json", out, false); }),
            out + "/jetson_tx2 already holds a profile");
  EXPECT_NO_THROW(ImportHwNasBench(EDGENAS_TEST_DATA "/hw_nas_bench_fbnet_lut.json", out, true));
}

}  // namespace
}  // namespace edgenas
