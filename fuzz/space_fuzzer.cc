// Space files: any file is a SearchSpace or one Error. A space that loads
// must count its networks, and sample, decode, count, print and parse networks
// without a crash, a hang or an overflow.
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <string>

#include "common/error.h"
#include "common/rng.h"
#include "space/network_stats.h"
#include "space/space_loader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string path = "/tmp/edgenas_fuzz_space_" + std::to_string(getpid()) + ".yaml";
  std::ofstream(path, std::ios::binary | std::ios::trunc).write(reinterpret_cast<const char*>(data), size);
  try {
    const edgenas::SearchSpace space = edgenas::LoadSpaceFile(path);
    space.NumDistinctNetworks();
    edgenas::Rng rng(size);
    for (int i = 0; i < 4; ++i) {
      const edgenas::Genome genome = space.Sample(rng);
      edgenas::ComputeStats(space.Decode(genome));
      if (space.Canonical(space.Parse(space.ToString(genome))) != space.Canonical(genome)) std::abort();
    }
  } catch (const edgenas::Error&) {
  }
  return 0;
}
