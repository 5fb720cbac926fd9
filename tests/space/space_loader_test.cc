#include "space/space_loader.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "common/error.h"
#include "test_util.h"

namespace edgenas {
namespace {

std::string LoadError(const std::string& name_or_path) {
  return testing::ErrorOf([&] { LoadSpace(name_or_path); });
}

TEST(SpaceLoader, ListsTheBuiltinSpaces) {
  EXPECT_EQ(BuiltinSpaceNames(), (std::vector<std::string>{"fbnet", "fbnet_cifar100", "mbv3_small_input", "nas_bench_macro",
                                                           "ofa_mbv3_w1.0", "ofa_mbv3_w1.2", "proxylessnas_mobile"}));
}

TEST(SpaceLoader, UnknownNameSuggestsTheClosest) {
  EXPECT_EQ(LoadError("ofa_mbv3_w12"),
            "unknown space 'ofa_mbv3_w12' (did you mean 'ofa_mbv3_w1.2'?); built-in spaces: fbnet, fbnet_cifar100, "
            "mbv3_small_input, nas_bench_macro, ofa_mbv3_w1.0, ofa_mbv3_w1.2, proxylessnas_mobile (or give the path of a space file)");
}

// Each file in tests/data/spaces has one fault and names its exact error on its first line.
TEST(SpaceLoader, BrokenSpaceFilesGiveExactErrors) {
  const std::vector<std::string> paths = testing::FilesIn(EDGENAS_TEST_DATA "/spaces");
  ASSERT_GE(paths.size(), 4u);
  for (const std::string& path : paths) {
    SCOPED_TRACE(path);
    const std::string expected = testing::ExpectedErrorOf(path);
    ASSERT_FALSE(expected.empty()) << "first line must be '# expect: <message>'";
    EXPECT_EQ(LoadError(path), expected);
  }
}

TEST(SpaceLoader, UserSpaceFileLoadsByPath) {
  // A copy of a built-in space, edited, is a space of its own.
  const std::string path = edgenas::testing::UniqueTempPath("my_space.yaml");
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
