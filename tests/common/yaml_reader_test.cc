#include "common/yaml_reader.h"

#include <gtest/gtest.h>

#include "common/error.h"
#include "test_util.h"

namespace edgenas {
namespace {

using testing::ErrorOf;

TEST(YamlReader, TypedValuesWithRanges) {
  const YamlNode root = YamlNode::LoadString("a: 3\nb: 0.5\nc: yes\nd: text\ne: [1, 2]\n", "t.yaml");
  EXPECT_EQ(root.Get("a").AsInt(0, 10), 3);
  EXPECT_DOUBLE_EQ(root.Get("b").AsDouble(0, 1), 0.5);
  EXPECT_TRUE(root.Get("c").AsBool());
  EXPECT_EQ(root.Get("d").AsString(), "text");
  EXPECT_EQ(root.Get("e").Items().size(), 2u);
  EXPECT_EQ(root.IntOr("missing", 7, 0, 10), 7);
  EXPECT_EQ(ErrorOf([&] { root.Get("a").AsInt(5, 10); }), "t.yaml:1:4: 'a' must be between 5 and 10, got 3");
  EXPECT_EQ(ErrorOf([&] { root.Get("d").AsDouble(0, 1); }), "t.yaml:4:4: 'd' must be a number, got 'text'");
  EXPECT_EQ(ErrorOf([&] { root.Get("e").AsString(); }), "t.yaml:5:4: 'e' must be a text value, got a list");
  EXPECT_EQ(ErrorOf([&] { root.Get("e").Items()[1].AsInt(0, 1); }), "t.yaml:5:8: 'e[1]' must be between 0 and 1, got 2");
  EXPECT_EQ(ErrorOf([&] { root.Get("zzz"); }), "t.yaml:1:1: missing required key 'zzz' in '(top level)'");
}

TEST(YamlReader, KeysAreCheckedAndDuplicatesFound) {
  const YamlNode root = YamlNode::LoadString("alpha: 1\nbeta: 2\n", "k.yaml");
  EXPECT_EQ(ErrorOf([&] { root.CheckKeys({"alpha", "beta"}); }), "(no error)");
  EXPECT_EQ(ErrorOf([&] { root.CheckKeys({"alpha", "betta"}); }),
            "k.yaml:2:1: 'beta' is not a known key (did you mean 'betta'?)");
  EXPECT_EQ(ErrorOf([&] { root.CheckKeys({"alpha", "gamma_delta"}); }),
            "k.yaml:2:1: 'beta' is not a known key (known keys: alpha, gamma_delta)");
  const YamlNode twice = YamlNode::LoadString("alpha: 1\nalpha: 2\n", "d.yaml");
  EXPECT_EQ(ErrorOf([&] { twice.CheckKeys({"alpha"}); }), "d.yaml:2:1: 'alpha' is given twice (first at line 1)");
}

// What a file holds is quoted capped and escaped: a recipe naming /etc/passwd
// as its space must not print the file back.
TEST(YamlReader, QuotesForeignTextCappedAndEscaped) {
  const YamlNode root = YamlNode::LoadString(std::string(200, 'x') + "\x01", "t.yaml");
  EXPECT_EQ(testing::ErrorOf([&] { root.CheckKeys({"a"}); }),
            "t.yaml:1:1: '(top level)' must be a mapping of 'key: value' lines, got '" + std::string(60, 'x') +
                "... (141 more bytes)'");
}

TEST(YamlReader, ChoicesSuggestTheClosest) {
  const YamlNode root = YamlNode::LoadString("mode: fsat\n", "c.yaml");
  EXPECT_EQ(ErrorOf([&] { root.Get("mode").AsChoice({"fast", "slow"}); }),
            "c.yaml:1:7: 'mode' must be one of fast, slow; got 'fsat' (did you mean 'fast'?)");
}

TEST(YamlReader, SyntaxErrorsAndMissingFiles) {
  EXPECT_EQ(ErrorOf([] { YamlNode::LoadString("a: [1, 2\n", "s.yaml"); }),
            "s.yaml:2:1: YAML syntax error: end of sequence flow not found");
  EXPECT_EQ(ErrorOf([] { YamlNode::LoadFile("/no/such/file.yaml"); }), "/no/such/file.yaml: cannot open file");
}

}  // namespace
}  // namespace edgenas
