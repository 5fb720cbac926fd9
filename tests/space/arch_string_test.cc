#include <gtest/gtest.h>

#include "common/error.h"
#include "space/space_loader.h"
#include "test_util.h"

namespace edgenas {
namespace {

std::string ParseError(const SearchSpace& space, const std::string& arch) {
  return testing::ErrorOf([&] { space.Parse(arch); });
}

TEST(ArchString, RoundTripsInEverySpace) {
  for (const std::string& name : BuiltinSpaceNames()) {
    SCOPED_TRACE(name);
    const SearchSpace space = LoadSpace(name);
    Rng rng(11);
    for (int i = 0; i < 200; ++i) {
      const Genome g = space.Canonical(space.Sample(rng));
      const std::string text = space.ToString(g);
      ASSERT_EQ(space.Parse(text), g) << text;
      if (space.factored()) {
        ASSERT_EQ(space.Parse(space.ToOfaJson(g)), g);
      }
    }
  }
}

TEST(ArchString, KnownForms) {
  const SearchSpace macro = LoadSpace("nas_bench_macro");
  EXPECT_EQ(macro.ToString(macro.Parse("22212220")), "22212220");

  const SearchSpace ofa = LoadSpace("ofa_mbv3_w1.2");
  const std::string tutorial = testing::OfaJson({3, 3, 7, 7, 5, 3, 5, 3, 7, 5, 3, 5, 3, 3, 3, 3, 3, 3, 5, 3},
                                                {3, 4, 4, 6, 6, 4, 3, 3, 6, 3, 3, 3, 4, 3, 6, 4, 6, 6, 6, 6},
                                                {2, 3, 4, 3, 3}, 192);
  const Genome g = ofa.Parse(tutorial);
  EXPECT_EQ(ofa.ToString(g), "r192-k33.535.7535.333.335-e34.643.6333.436.666");
  // Unused slots are kept as read, so the OFA JSON form round-trips unchanged.
  EXPECT_EQ(ofa.ToOfaJson(g),
            "{\"d\":[2,3,4,3,3],\"e\":[3,4,4,6,6,4,3,3,6,3,3,3,4,3,6,4,6,6,6,6],"
            "\"ks\":[3,3,7,7,5,3,5,3,7,5,3,5,3,3,3,3,3,3,5,3],\"r\":[192]}");
  // OFA's samples carry "wid": null and may give r as a number.
  EXPECT_EQ(ofa.Parse("{\"wid\": null, \"ks\": " + std::string("[3,3,7,7,5,3,5,3,7,5,3,5,3,3,3,3,3,3,5,3]") +
                      ", \"e\": [3,4,4,6,6,4,3,3,6,3,3,3,4,3,6,4,6,6,6,6], \"d\": [2,3,4,3,3], \"r\": 192}"),
            g);

  const SearchSpace fbnet = LoadSpace("fbnet");
  EXPECT_EQ(fbnet.ToString(fbnet.Parse("0123456780123456780123")), "0123456780123456780123");
}

TEST(ArchString, ErrorsSayWhatWasExpected) {
  const SearchSpace macro = LoadSpace("nas_bench_macro");
  EXPECT_EQ(ParseError(macro, "2221222"),
            "arch '2221222' for space 'nas_bench_macro': expected 8 digits, one operator per layer; got 7");
  EXPECT_EQ(ParseError(macro, "22212223"),
            "arch '22212223' for space 'nas_bench_macro': character 8 is '3', expected a digit from 0 to 2");

  const SearchSpace proxyless = LoadSpace("proxylessnas_mobile");
  EXPECT_EQ(ParseError(proxyless, "600000000000000000000"),
            "arch '600000000000000000000' for space 'proxylessnas_mobile': layer 0 changes shape, so it cannot be "
            "'zero' (6)");

  const SearchSpace ofa = LoadSpace("ofa_mbv3_w1.0");
  EXPECT_EQ(ParseError(ofa, "k33.33.33.33.33-e33.33.33.33.33"),
            "arch 'k33.33.33.33.33-e33.33.33.33.33' for space 'ofa_mbv3_w1.0': missing the resolution prefix "
            "'r<resolution>-' (one of 128, 132, 136, 140, 144, 148, 152, 156, 160, 164, 168, 172, 176, 180, 184, 188, "
            "192, 196, 200, 204, 208, 212, 216, 220, 224)");
  EXPECT_EQ(ParseError(ofa, "r150-k33.33.33.33.33-e33.33.33.33.33").substr(0, 83),
            "arch 'r150-k33.33.33.33.33-e33.33.33.33.33' for space 'ofa_mbv3_w1.0': resolution '");
  EXPECT_EQ(ParseError(ofa, "r160-k33.33.33.33.3-e33.33.33.33.33"),
            "arch 'r160-k33.33.33.33.3-e33.33.33.33.33' for space 'ofa_mbv3_w1.0': stage 4 has 1 kernels and 2 expand "
            "ratios; both must be its depth, one of 2, 3, 4");
  EXPECT_EQ(ParseError(ofa, "r160-k33.33.33.33.39-e33.33.33.33.33"),
            "arch 'r160-k33.33.33.33.39-e33.33.33.33.33' for space 'ofa_mbv3_w1.0': stage 4 block 1 kernel '9' is not "
            "one of 3, 5, 7");
  EXPECT_EQ(ParseError(ofa, "{\"ks\": [3], \"e\": [3], \"d\": [2], \"r\": [160]}"),
            "arch JSON for space 'ofa_mbv3_w1.0': expected \"ks\" to be a list of 20 numbers");
  EXPECT_EQ(ParseError(macro, "{\"ks\": []}"),
            "space 'nas_bench_macro' has no Once-for-All JSON form; use its arch string");
}

}  // namespace
}  // namespace edgenas
