#include "space/space_loader.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "common/error.h"

namespace edgenas {
namespace {

std::string LoadError(const std::string& name_or_path) {
  try {
    LoadSpace(name_or_path);
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(SpaceLoader, ListsTheBuiltinSpaces) {
  EXPECT_EQ(BuiltinSpaceNames(), (std::vector<std::string>{"fbnet", "fbnet_cifar100", "nas_bench_macro",
                                                           "ofa_mbv3_w1.0", "ofa_mbv3_w1.2", "proxylessnas_mobile"}));
}

TEST(SpaceLoader, UnknownNameSuggestsTheClosest) {
  EXPECT_EQ(LoadError("ofa_mbv3_w12"),
            "unknown space 'ofa_mbv3_w12' (did you mean 'ofa_mbv3_w1.2'?); built-in spaces: fbnet, fbnet_cifar100, "
            "nas_bench_macro, ofa_mbv3_w1.0, ofa_mbv3_w1.2, proxylessnas_mobile (or give the path of a space file)");
}

// Each file in tests/data/spaces has one fault; its first line "# expect: ..."
// is the exact error, with {file} standing for its path.
TEST(SpaceLoader, BrokenSpaceFilesGiveExactErrors) {
  int checked = 0;
  for (const auto& entry : std::filesystem::directory_iterator(EDGENAS_TEST_DATA "/spaces")) {
    const std::string path = entry.path().string();
    SCOPED_TRACE(path);
    std::ifstream in(path);
    std::string first_line;
    std::getline(in, first_line);
    ASSERT_EQ(first_line.rfind("# expect: ", 0), 0u);
    std::string expected = first_line.substr(10);
    expected.replace(expected.find("{file}"), 6, path);
    EXPECT_EQ(LoadError(path), expected);
    ++checked;
  }
  EXPECT_GE(checked, 4);
}

TEST(SpaceLoader, UserSpaceFileLoadsByPath) {
  // A copy of a built-in space, edited, is a space of its own.
  const std::string path = ::testing::TempDir() + "/my_space.yaml";
  std::ofstream(path) << "name: tiny\ninput: {resolution: [32, 64]}\n"
                         "stem: [{op: conv, out: 8, kernel: 3, stride: 2, act: relu}]\n"
                         "stages:\n  - {out: 16, stride: 2, depth: [1, 2], kernel: [3, 5], expand: [2, 4]}\n"
                         "head: [{op: avgpool}, {op: linear, out: 10}]\n";
  const SearchSpace space = LoadSpace(path);
  EXPECT_EQ(space.name(), "tiny");
  EXPECT_EQ(space.NumDistinctNetworks(), 2.0 * (4 + 16));
  EXPECT_EQ(space.ToString(space.Parse("r64-k35-e42")), "r64-k35-e42");
}

}  // namespace
}  // namespace edgenas
