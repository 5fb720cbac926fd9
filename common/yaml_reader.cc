#include "common/yaml_reader.h"

#include <fmt/format.h>
#include <yaml-cpp/depthguard.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <sstream>

#include "common/error.h"
#include "common/file_util.h"
#include "common/text.h"

namespace edgenas {

namespace {

std::string FormatNumber(double value) { return fmt::format("{}", value); }

}  // namespace

YamlNode::YamlNode(YAML::Node node, std::shared_ptr<const std::string> file, std::string key, YAML::Mark fallback_mark)
    : node_(std::move(node)), file_(std::move(file)), key_(std::move(key)), fallback_mark_(fallback_mark) {}

YamlNode YamlNode::LoadFile(const std::string& path) { return LoadString(ReadFile(path), path); }

YamlNode YamlNode::LoadString(const std::string& text, const std::string& source_name) {
  auto file = std::make_shared<const std::string>(source_name);
  // yaml-cpp reads past a NUL byte as an odd character; say what it is.
  if (const size_t nul = text.find('\0'); nul != std::string::npos) {
    const size_t line_start = text.rfind('\n', nul);
    const size_t column = line_start == std::string::npos ? nul : nul - line_start - 1;
    EDGENAS_THROW_FMT("{}:{}:{}: a NUL byte; a YAML file is text", source_name,
                      std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(nul), '\n') + 1, column + 1);
  }
  try {
    YAML::Node root = YAML::Load(text);
    YAML::Mark start;
    start.line = 0;
    start.column = 0;
    return YamlNode(root, file, "(top level)", start);
  } catch (const YAML::DeepRecursion& e) {
    EDGENAS_THROW_FMT("{}:{}:{}: YAML nested more than {} levels deep", source_name, e.mark.line + 1,
                      e.mark.column + 1, e.depth());
  } catch (const YAML::ParserException& e) {
    EDGENAS_THROW_FMT("{}:{}:{}: YAML syntax error: {}", source_name, e.mark.line + 1, e.mark.column + 1,
                      Printable(e.msg, 200));
  }
}

YAML::Mark YamlNode::mark() const {
  const YAML::Mark own = node_.Mark();
  return own.line >= 0 ? own : fallback_mark_;
}

int YamlNode::line() const { return mark().line + 1; }

SourceLocation YamlNode::location() const {
  const YAML::Mark m = mark();
  return SourceLocation{*file_, m.line + 1, m.column + 1};
}

void YamlNode::Fail(const std::string& message) const { location().Fail(message); }

std::string YamlNode::Describe() const {
  if (node_.IsMap()) return "a mapping";
  if (node_.IsSequence()) return "a list";
  if (node_.IsNull() || !node_.IsDefined()) return "nothing";
  return "'" + Printable(node_.Scalar(), 60) + "'";  // may be a foreign file's first line: capped, escaped
}

void YamlNode::ExpectMap() const {
  if (!node_.IsMap()) Fail(fmt::format("'{}' must be a mapping of 'key: value' lines, got {}", key_, Describe()));
}

void YamlNode::ExpectScalar(const char* what) const {
  if (!node_.IsScalar()) Fail(fmt::format("'{}' must be {}, got {}", key_, what, Describe()));
}

void YamlNode::CheckKeys(const std::vector<std::string>& known) const {
  ExpectMap();
  std::map<std::string, int> seen;  // key -> 1-based line
  for (const auto& entry : node_) {
    const std::string name = entry.first.Scalar();
    const YamlNode key_node(entry.first, file_, name, mark());
    const auto [previous, first] = seen.emplace(name, key_node.line());
    if (!first) {
      key_node.Fail(fmt::format("'{}' is given twice (first at line {})", Printable(name), previous->second));
    }
    if (std::find(known.begin(), known.end(), name) != known.end()) continue;
    const std::string suggestion = ClosestMatch(name, known);
    if (!suggestion.empty()) {
      key_node.Fail(fmt::format("'{}' is not a known key (did you mean '{}'?)", Printable(name), suggestion));
    }
    key_node.Fail(fmt::format("'{}' is not a known key (known keys: {})", Printable(name), JoinStrings(known)));
  }
}

bool YamlNode::Has(const std::string& key) const { return Find(key).has_value(); }

std::optional<YamlNode> YamlNode::Find(const std::string& key) const {
  ExpectMap();
  for (const auto& entry : node_) {
    if (entry.first.Scalar() == key) return YamlNode(entry.second, file_, key, entry.first.Mark());
  }
  return std::nullopt;
}

YamlNode YamlNode::Get(const std::string& key) const {
  std::optional<YamlNode> found = Find(key);
  if (!found) Fail(fmt::format("missing required key '{}' in '{}'", key, key_));
  return *found;
}

std::vector<std::pair<YamlNode, YamlNode>> YamlNode::Entries() const {
  ExpectMap();
  std::vector<std::pair<YamlNode, YamlNode>> entries;
  for (const auto& entry : node_) {
    const std::string name = entry.first.Scalar();
    entries.emplace_back(YamlNode(entry.first, file_, name, mark()),
                         YamlNode(entry.second, file_, name, entry.first.Mark()));
  }
  return entries;
}

std::vector<YamlNode> YamlNode::Items() const {
  if (!node_.IsSequence()) Fail(fmt::format("'{}' must be a list, got {}", key_, Describe()));
  std::vector<YamlNode> items;
  for (size_t i = 0; i < node_.size(); ++i) {
    items.push_back(YamlNode(node_[i], file_, fmt::format("{}[{}]", key_, i), mark()));
  }
  return items;
}

std::string YamlNode::AsString() const {
  ExpectScalar("a text value");
  return node_.Scalar();
}

long long YamlNode::AsInt(long long min, long long max) const {
  ExpectScalar("an integer");
  long long value = 0;
  if (!YAML::convert<long long>::decode(node_, value)) {
    Fail(fmt::format("'{}' must be an integer, got {}", key_, Describe()));
  }
  if (value < min || value > max) {
    Fail(fmt::format("'{}' must be between {} and {}, got {}", key_, min, max, value));
  }
  return value;
}

double YamlNode::AsDouble(double min, double max) const {
  ExpectScalar("a number");
  double value = 0;
  if (!YAML::convert<double>::decode(node_, value) || !std::isfinite(value)) {
    Fail(fmt::format("'{}' must be a number, got {}", key_, Describe()));
  }
  if (value < min || value > max) {
    Fail(fmt::format("'{}' must be between {} and {}, got {}", key_, FormatNumber(min), FormatNumber(max),
                     FormatNumber(value)));
  }
  return value;
}

bool YamlNode::AsBool() const {
  ExpectScalar("true or false");
  bool value = false;
  if (!YAML::convert<bool>::decode(node_, value)) {
    Fail(fmt::format("'{}' must be true or false, got {}", key_, Describe()));
  }
  return value;
}

std::string YamlNode::AsChoice(const std::vector<std::string>& allowed) const {
  const std::string value = AsString();
  if (std::find(allowed.begin(), allowed.end(), value) != allowed.end()) return value;
  const std::string suggestion = ClosestMatch(value, allowed);
  Fail(fmt::format("'{}' must be one of {}; got '{}'{}", key_, JoinStrings(allowed), value,
                   suggestion.empty() ? "" : fmt::format(" (did you mean '{}'?)", suggestion)));
}

long long YamlNode::IntOr(const std::string& key, long long fallback, long long min, long long max) const {
  const std::optional<YamlNode> found = Find(key);
  return found ? found->AsInt(min, max) : fallback;
}

double YamlNode::DoubleOr(const std::string& key, double fallback, double min, double max) const {
  const std::optional<YamlNode> found = Find(key);
  return found ? found->AsDouble(min, max) : fallback;
}

bool YamlNode::BoolOr(const std::string& key, bool fallback) const {
  const std::optional<YamlNode> found = Find(key);
  return found ? found->AsBool() : fallback;
}

std::string YamlNode::StringOr(const std::string& key, const std::string& fallback) const {
  const std::optional<YamlNode> found = Find(key);
  return found ? found->AsString() : fallback;
}

}  // namespace edgenas
