#include "common/text.h"

#include <gtest/gtest.h>

#include "common/rng.h"

namespace edgenas {
namespace {

TEST(Text, EditDistanceAndSuggestions) {
  EXPECT_EQ(EditDistance("populaton_size", "population_size"), 1);
  EXPECT_EQ(EditDistance("", "abc"), 3);
  EXPECT_EQ(EditDistance("kitten", "sitting"), 3);
  EXPECT_EQ(ClosestMatch("sead", {"seed", "space", "search"}), "seed");
  EXPECT_EQ(ClosestMatch("completely_different", {"seed", "space"}), "");
}

TEST(Text, Formatting) {
  EXPECT_EQ(WithThousands(0), "0");
  EXPECT_EQ(WithThousands(999), "999");
  EXPECT_EQ(WithThousands(1000), "1,000");
  EXPECT_EQ(WithThousands(63240528), "63,240,528");
  EXPECT_EQ(WithThousands(-1234567), "-1,234,567");
  EXPECT_EQ(JoinStrings({"a", "b", "c"}), "a, b, c");
  EXPECT_EQ(SplitString("a.b..c", '.'), (std::vector<std::string>{"a", "b", "", "c"}));
}

TEST(Rng, IsDeterministicAndUniformEnough) {
  Rng a(42), b(42);
  for (int i = 0; i < 100; ++i) ASSERT_EQ(a.UniformInt(1000), b.UniformInt(1000));
  // The standard fixes std::mt19937_64's sequence: seeded with 5489 (its default),
  // its first output is 14514284786278117030. That draw is accepted by the
  // rejection step, so UniformInt(2^31) must be it modulo 2^31.
  Rng standard(5489);
  EXPECT_EQ(standard.UniformInt(1u << 31), 14514284786278117030ull % (1u << 31));
  Rng c(1);
  int counts[3] = {0, 0, 0};
  for (int i = 0; i < 30000; ++i) ++counts[c.UniformInt(3)];
  for (int count : counts) EXPECT_NEAR(count, 10000, 400);
  for (int i = 0; i < 1000; ++i) {
    const double x = c.UniformReal();
    ASSERT_GE(x, 0.0);
    ASSERT_LT(x, 1.0);
  }
}

}  // namespace
}  // namespace edgenas
