// Arch strings and Once-for-All JSON, parsed by every shipped space: an input
// may be refused (edgenas::Error), never crash, hang or be misread. What
// parses must print back to a string that parses to the same network.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "common/error.h"
#include "space/space_loader.h"

using edgenas::Error;
using edgenas::SearchSpace;

static const std::vector<SearchSpace>& Spaces() {
  static const std::vector<SearchSpace> spaces = [] {
    setenv("EDGENAS_HOME", EDGENAS_SOURCE_ROOT, 0);
    std::vector<SearchSpace> all;
    for (const std::string& name : edgenas::BuiltinSpaceNames()) all.push_back(edgenas::LoadSpace(name));
    return all;
  }();
  return spaces;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  for (const SearchSpace& space : Spaces()) {
    try {
      const edgenas::Genome g = space.Parse(text);
      const edgenas::Genome again = space.Parse(space.ToString(g));
      if (space.Canonical(again) != space.Canonical(g)) std::abort();
      space.Decode(g);
    } catch (const Error&) {
    }
  }
  return 0;
}
