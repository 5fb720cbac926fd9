// Lookup tables: the fuzzed bytes are the latency table of a copy of the
// shipped Pixel 3 profile. The profile then loads and prices FBNet networks,
// or gives one Error naming the table, and never crashes.
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "common/error.h"
#include "common/rng.h"
#include "cost/hardware_profile.h"
#include "cost/lut_cost_model.h"
#include "space/space_loader.h"

namespace fs = std::filesystem;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string folder = [] {
    setenv("EDGENAS_HOME", EDGENAS_SOURCE_ROOT, 0);
    const std::string f = "/tmp/edgenas_fuzz_lookup_table_" + std::to_string(getpid()) + "/pixel3";
    fs::remove_all(fs::path(f).parent_path());
    fs::create_directories(fs::path(f).parent_path());
    fs::copy(std::string(EDGENAS_SOURCE_ROOT) + "/hw_profiles/pixel3", f, fs::copy_options::recursive);
    return f;
  }();
  static const edgenas::SearchSpace space = edgenas::LoadSpace("fbnet");
  std::ofstream(folder + "/tables/latency_ms.yaml", std::ios::binary | std::ios::trunc)
      .write(reinterpret_cast<const char*>(data), size);
  try {
    const edgenas::HardwareProfile profile = edgenas::LoadHardwareProfile(folder);
    edgenas::CostModelOptions options;
    options.interpolate_missing = (size % 2) == 1;
    const edgenas::LutCostModel model(space, profile, "latency", options);
    edgenas::Rng rng(size);
    for (int i = 0; i < 4; ++i) model.Cost(space.Sample(rng));
  } catch (const edgenas::Error&) {
  }
  return 0;
}
