// Hardware profiles: the fuzzed bytes are a profile.yaml beside the shipped
// Pixel 3 tables. A profile loads or is one Error; one that loads makes a
// cost model for each space it names, or one Error, and never a crash.
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
    const std::string f = "/tmp/edgenas_fuzz_profile_" + std::to_string(getpid()) + "/pixel3";
    fs::remove_all(fs::path(f).parent_path());
    fs::create_directories(f);
    fs::copy(std::string(EDGENAS_SOURCE_ROOT) + "/hw_profiles/pixel3/tables", f + "/tables");
    return f;
  }();
  std::ofstream(folder + "/profile.yaml", std::ios::binary | std::ios::trunc)
      .write(reinterpret_cast<const char*>(data), size);
  try {
    const edgenas::HardwareProfile profile = edgenas::LoadHardwareProfile(folder);
    for (const std::string& space_name : profile.spaces) {
      const edgenas::SearchSpace space = edgenas::LoadSpace(space_name);
      for (const auto& [metric, table] : profile.metrics) {
        try {
          const edgenas::LutCostModel model(space, profile, metric);
          edgenas::Rng rng(size);
          for (int i = 0; i < 4; ++i) model.Cost(space.Sample(rng));
        } catch (const edgenas::Error&) {
        }
      }
    }
  } catch (const edgenas::Error&) {
  }
  return 0;
}
