// Strict reading of user-edited YAML files (recipes, spaces, profiles).
//
// Every error names the file, line and column of the offending node and what
// was expected, on one line:
//   recipe.yaml:12:5: 'populaton_size' is not a known key (did you mean 'population_size'?)
// Only loaders include this header; nothing downstream of them sees yaml-cpp.
#pragma once

#include <yaml-cpp/yaml.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/source_location.h"

namespace edgenas {

class YamlNode {
 public:
  // Parses `path`. Throws Error on a missing file or a YAML syntax error.
  static YamlNode LoadFile(const std::string& path);
  // Parses YAML text; `source_name` stands in for the file name in errors.
  static YamlNode LoadString(const std::string& text, const std::string& source_name);

  // The key this node was read under ("population_size", "stages[2]"), used in messages.
  const std::string& key() const { return key_; }
  const std::string& file() const { return *file_; }
  int line() const;  // 1-based

  // Where the node is, kept by what is read from it for later errors.
  SourceLocation location() const;
  // Throws Error("file:line:column: message") at this node.
  [[noreturn]] void Fail(const std::string& message) const;

  bool IsMap() const { return node_.IsMap(); }
  bool IsSequence() const { return node_.IsSequence(); }
  bool IsScalar() const { return node_.IsScalar(); }

  // Mappings. Each call first checks that this node is a mapping.
  // CheckKeys rejects keys outside `known` (suggesting the closest) and keys given twice.
  void CheckKeys(const std::vector<std::string>& known) const;
  bool Has(const std::string& key) const;
  YamlNode Get(const std::string& key) const;  // required: "missing required key 'x'"
  std::optional<YamlNode> Find(const std::string& key) const;
  // Key/value pairs in file order.
  std::vector<std::pair<YamlNode, YamlNode>> Entries() const;

  // Sequences.
  std::vector<YamlNode> Items() const;

  // Scalars. Each names the key, the expected type or range and the value received.
  std::string AsString() const;
  long long AsInt(long long min, long long max) const;
  double AsDouble(double min, double max) const;
  bool AsBool() const;
  // One of `allowed`; the error lists them and suggests the closest.
  std::string AsChoice(const std::vector<std::string>& allowed) const;

  // Optional-key conveniences: the value if present, else `fallback`.
  long long IntOr(const std::string& key, long long fallback, long long min, long long max) const;
  double DoubleOr(const std::string& key, double fallback, double min, double max) const;
  bool BoolOr(const std::string& key, bool fallback) const;
  std::string StringOr(const std::string& key, const std::string& fallback) const;

 private:
  YamlNode(YAML::Node node, std::shared_ptr<const std::string> file, std::string key, YAML::Mark fallback_mark);
  void ExpectMap() const;
  void ExpectScalar(const char* what) const;
  std::string Describe() const;  // "a mapping", "a list", "'text'"
  YAML::Mark mark() const;

  YAML::Node node_;
  std::shared_ptr<const std::string> file_;
  std::string key_;
  YAML::Mark fallback_mark_;  // used when the node has no position of its own (a null value)
};

}  // namespace edgenas
