// Arch strings: the readable, stable text form of a genome (docs/spaces.md).
//  - factored spaces:      r192-k33.775.3537.535.333-e34.466.4336.333.436
//    (kernel and expand values of the blocks in use, stages separated by '.',
//    so each stage's depth is the length of its group); spaces whose stages offer
//    width, SE or activation choices add one value per stage of each:
//    r32-k35.357.33-e34.646.33-w16.32.48-s0.1.1-ar.h.h (width; SE 0 or 1;
//    activation r = relu, 6 = relu6, h = hswish, n = none);
//  - operator-list spaces: one digit per layer, the operator's position in its
//    stage's list (NAS-Bench-Macro's own 8-digit form), after "r<res>-" only
//    when the space has several resolutions.
// Factored spaces also read and write Once-for-All's JSON form.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cctype>
#include <iterator>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/text.h"
#include "space/search_space.h"

namespace edgenas {

namespace {

// Longer than any network of any space needs (Once-for-All JSON: ~250 bytes).
constexpr size_t kMaxArchStringLength = 4096;

std::string FormatValue(double value) { return fmt::format("{:g}", value); }

// One letter per activation in the arch string's `a` group.
char ActivationLetter(Activation activation) {
  switch (activation) {
    case Activation::kNone: return 'n';
    case Activation::kReLU: return 'r';
    case Activation::kReLU6: return '6';
    case Activation::kHSwish: return 'h';
  }
  return '?';
}

// The groups an arch string adds for stage choices, in order.
struct StageChoiceGroup {
  char tag;
  const char* values;  // what the group lists, for messages
  const char* choice;  // what one value is
};
constexpr StageChoiceGroup kStageChoiceGroups[] = {
    {'w', "widths", "width"}, {'s', "SE settings (0 or 1)", "SE"}, {'a', "activations (r, 6, h or n)", "activation"}};

// How a stage's choices of group `group` are written: its widths, SE bits or
// activation letters, in the order of the stage's list (the gene's values).
std::vector<std::string> StageChoiceTexts(const StageSpec& stage, size_t group) {
  std::vector<std::string> texts;
  if (group == 0) {
    for (int width : stage.widths) texts.push_back(std::to_string(width));
  } else if (group == 1) {
    for (bool se : stage.se) texts.push_back(se ? "1" : "0");
  } else {
    for (Activation activation : stage.activations) texts.emplace_back(1, ActivationLetter(activation));
  }
  return texts;
}

template <typename T>
int IndexOf(const std::vector<T>& values, T value) {
  const auto found = std::find(values.begin(), values.end(), value);
  return found == values.end() ? -1 : static_cast<int>(found - values.begin());
}

}  // namespace

std::string SearchSpace::ToString(const Genome& genome) const {
  std::string text;
  if (factored_ || spec_.resolutions.size() > 1) text = fmt::format("r{}-", Resolution(genome));
  if (!factored_) {
    for (size_t s = 0; s < spec_.stages.size(); ++s) {
      for (int gene : block_gene_[s]) text += static_cast<char>('0' + genes_[gene].allowed_operators[genome.genes[gene]]);
    }
    return text;
  }
  std::string kernels = "k", expands = "e";
  for (size_t s = 0; s < spec_.stages.size(); ++s) {
    if (s > 0) {
      kernels += '.';
      expands += '.';
    }
    const StageSpec& stage = spec_.stages[s];
    for (int b = 0; b < Depth(genome, static_cast<int>(s)); ++b) {
      const int gene = block_gene_[s][b];
      kernels += std::to_string(stage.kernels[genome.genes[gene]]);
      expands += FormatValue(stage.expand_ratios[genome.genes[gene + 1]]);
    }
  }
  text += kernels + "-" + expands;
  if (!has_stage_choices_) return text;
  for (size_t g = 0; g < std::size(kStageChoiceGroups); ++g) {
    text += std::string("-") + kStageChoiceGroups[g].tag;
    for (size_t s = 0; s < spec_.stages.size(); ++s) {
      const int gene = StageChoiceGene(g, s);
      if (s > 0) text += '.';
      text += StageChoiceTexts(spec_.stages[s], g)[gene < 0 ? 0 : genome.genes[gene]];
    }
  }
  return text;
}

int SearchSpace::StageChoiceGene(size_t group, size_t stage) const {
  return group == 0 ? width_gene_[stage] : group == 1 ? se_gene_[stage] : activation_gene_[stage];
}

int SearchSpace::ParseResolutionPrefix(const std::string& arch, std::string* body) const {
  const std::vector<std::string> parts = SplitString(arch, '-');
  const bool has_prefix = parts.size() > 1 && parts[0].size() > 1 && parts[0][0] == 'r';
  if (!has_prefix) {
    EDGENAS_THROW_IF_NOT_FMT(spec_.resolutions.size() == 1 && !factored_,
                             "arch '{}' for space '{}': missing the resolution prefix 'r<resolution>-' "
                             "(one of {})",
                             arch, spec_.name, fmt::join(spec_.resolutions, ", "));
    *body = arch;
    return 0;
  }
  const std::string digits = parts[0].substr(1);
  const bool numeric = std::all_of(digits.begin(), digits.end(), [](unsigned char c) { return std::isdigit(c); });
  const int resolution = numeric && digits.size() < 6 ? std::stoi(digits) : -1;
  const int index = IndexOf(spec_.resolutions, resolution);
  EDGENAS_THROW_IF_NOT_FMT(index >= 0, "arch '{}' for space '{}': resolution '{}' is not one of {}", arch,
                           spec_.name, digits, fmt::join(spec_.resolutions, ", "));
  *body = arch.substr(parts[0].size() + 1);
  return index;
}

Genome SearchSpace::Parse(const std::string& arch) const {
  const size_t start = arch.find_first_not_of(" \t\n");
  EDGENAS_THROW_IF_NOT_FMT(start != std::string::npos, "empty arch string for space '{}'", spec_.name);
  // Arch strings and Once-for-All JSON are short ASCII; the messages below quote them whole.
  EDGENAS_THROW_IF_NOT_FMT(arch.size() <= kMaxArchStringLength,
                           "arch string for space '{}' is {} bytes long; at most {} were expected", spec_.name,
                           arch.size(), kMaxArchStringLength);
  if (arch[start] == '{') return ParseOfaJson(arch);
  const auto odd = std::find_if(arch.begin(), arch.end(), [](unsigned char c) { return c < 0x20 || c >= 0x7f; });
  if (odd != arch.end()) {
    // Position in characters, not bytes: UTF-8 continuation bytes start no character.
    const size_t position = 1 + std::count_if(arch.begin(), odd, [](unsigned char c) { return (c & 0xC0) != 0x80; });
    EDGENAS_THROW_FMT("arch '{}' for space '{}': character {} is not printable ASCII; arch strings use letters, "
                      "digits, '.' and '-'",
                      Printable(arch, 60), spec_.name, position);
  }
  std::string body;
  const int resolution_index = ParseResolutionPrefix(arch, &body);
  Genome genome = factored_ ? ParseFactored(arch, body) : ParseOperatorDigits(arch, body);
  genome.genes[0] = static_cast<uint8_t>(resolution_index);
  return genome;
}

Genome SearchSpace::ParseOperatorDigits(const std::string& arch, const std::string& body) const {
  const size_t layers = genes_.size() - 1;
  EDGENAS_THROW_IF_NOT_FMT(body.size() == layers,
                           "arch '{}' for space '{}': expected {} digits, one operator per layer; got {}", arch,
                           spec_.name, layers, body.size());
  Genome genome{std::vector<uint8_t>(genes_.size(), 0)};
  size_t position = 0;
  for (size_t s = 0; s < spec_.stages.size(); ++s) {
    const StageSpec& stage = spec_.stages[s];
    for (int gene : block_gene_[s]) {
      const char c = body[position++];
      const int op = std::isdigit(static_cast<unsigned char>(c)) ? c - '0' : -1;
      EDGENAS_THROW_IF_NOT_FMT(op >= 0 && op < static_cast<int>(stage.operators.size()),
                               "arch '{}' for space '{}': character {} is '{}', expected a digit from 0 to {}", arch,
                               spec_.name, position, c, stage.operators.size() - 1);
      const int choice = IndexOf(genes_[gene].allowed_operators, op);
      EDGENAS_THROW_IF_NOT_FMT(choice >= 0,
                               "arch '{}' for space '{}': layer {} changes shape, so it cannot be '{}' ({})", arch,
                               spec_.name, position - 1, spec_.operators[stage.operators[op]].name, op);
      genome.genes[gene] = static_cast<uint8_t>(choice);
    }
  }
  return genome;
}

Genome SearchSpace::ParseFactored(const std::string& arch, const std::string& body) const {
  const std::vector<std::string> parts = SplitString(body, '-');
  const std::string expected =
      has_stage_choices_
          ? "expected r<resolution>-k<kernels>-e<expand ratios>-w<widths>-s<SE 0/1>-a<activations r/6/h/n>, one "
            "group per stage separated by '.', e.g. " + ToString(DeepestGenome(0))
          : "expected r<resolution>-k<kernels>-e<expand ratios>, one group of digits per stage separated by '.', "
            "e.g. r192-k33.775.3537.535.333-e34.466.4336.333.436";
  EDGENAS_THROW_IF_NOT_FMT(parts.size() == (has_stage_choices_ ? 5u : 2u) && parts[0].size() > 1 && parts[0][0] == 'k' &&
                               parts[1].size() > 1 && parts[1][0] == 'e',
                           "arch '{}' for space '{}': {}", arch, spec_.name, expected);
  const std::vector<std::string> kernel_groups = SplitString(parts[0].substr(1), '.');
  const std::vector<std::string> expand_groups = SplitString(parts[1].substr(1), '.');
  const size_t stages = spec_.stages.size();
  EDGENAS_THROW_IF_NOT_FMT(kernel_groups.size() == stages && expand_groups.size() == stages,
                           "arch '{}' for space '{}': expected {} stage groups of kernels and of expand ratios, got {} "
                           "and {}",
                           arch, spec_.name, stages, kernel_groups.size(), expand_groups.size());
  Genome genome{std::vector<uint8_t>(genes_.size(), 0)};
  for (size_t s = 0; s < stages; ++s) {
    const StageSpec& stage = spec_.stages[s];
    const std::string& kernels = kernel_groups[s];
    const std::string& expands = expand_groups[s];
    const int depth_choice = IndexOf(stage.depths, static_cast<int>(kernels.size()));
    EDGENAS_THROW_IF_NOT_FMT(depth_choice >= 0 && kernels.size() == expands.size(),
                             "arch '{}' for space '{}': stage {} has {} kernels and {} expand ratios; both must be "
                             "its depth, one of {}",
                             arch, spec_.name, s, kernels.size(), expands.size(), fmt::join(stage.depths, ", "));
    genome.genes[depth_gene_[s]] = static_cast<uint8_t>(depth_choice);
    for (size_t b = 0; b < kernels.size(); ++b) {
      const int kernel = IndexOf(stage.kernels, kernels[b] - '0');
      const int expand = IndexOf(stage.expand_ratios, static_cast<double>(expands[b] - '0'));
      EDGENAS_THROW_IF_NOT_FMT(kernel >= 0, "arch '{}' for space '{}': stage {} block {} kernel '{}' is not one of {}",
                               arch, spec_.name, s, b, kernels[b], fmt::join(stage.kernels, ", "));
      EDGENAS_THROW_IF_NOT_FMT(expand >= 0, "arch '{}' for space '{}': stage {} block {} expand '{}' is not one of {}",
                               arch, spec_.name, s, b, expands[b], fmt::join(stage.expand_ratios, ", "));
      genome.genes[block_gene_[s][b]] = static_cast<uint8_t>(kernel);
      genome.genes[block_gene_[s][b] + 1] = static_cast<uint8_t>(expand);
    }
  }
  if (has_stage_choices_) ParseStageChoices(arch, {parts[2], parts[3], parts[4]}, &genome);
  return genome;
}

// The -w, -s and -a groups: one value per stage, each one of the stage's choices.
void SearchSpace::ParseStageChoices(const std::string& arch, const std::vector<std::string>& groups,
                                    Genome* genome) const {
  const size_t stages = spec_.stages.size();
  for (size_t g = 0; g < std::size(kStageChoiceGroups); ++g) {
    const StageChoiceGroup& group = kStageChoiceGroups[g];
    const std::vector<std::string> values = groups[g].size() > 1 && groups[g][0] == group.tag
                                                ? SplitString(groups[g].substr(1), '.')
                                                : std::vector<std::string>{};
    EDGENAS_THROW_IF_NOT_FMT(values.size() == stages,
                             "arch '{}' for space '{}': expected '-{}' and {} {}, one per stage separated by '.'", arch,
                             spec_.name, group.tag, stages, group.values);
    for (size_t s = 0; s < stages; ++s) {
      const std::vector<std::string> offered = StageChoiceTexts(spec_.stages[s], g);
      const int choice = IndexOf(offered, values[s]);
      EDGENAS_THROW_IF_NOT_FMT(choice >= 0, "arch '{}' for space '{}': stage {} {} '{}' is not one of {}", arch,
                               spec_.name, s, group.choice, values[s], JoinStrings(offered, ", "));
      const int gene = StageChoiceGene(g, s);
      if (gene >= 0) genome->genes[gene] = static_cast<uint8_t>(choice);
    }
  }
}

Genome SearchSpace::ParseOfaJson(const std::string& text) const {
  EDGENAS_THROW_IF_NOT_FMT(factored_ && !has_stage_choices_, "space '{}' has no Once-for-All JSON form; use its arch string", spec_.name);
  nlohmann::json json;
  try {
    json = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {  // parse_error, or out_of_range for numbers too large
    EDGENAS_THROW_FMT("arch JSON for space '{}' is not valid JSON: {}", spec_.name, JsonErrorReason(e.what()));
  }
  const size_t stages = spec_.stages.size();
  // One entry per block slot, stage after stage (Once-for-All's spaces give every stage the same maximum depth).
  const size_t slots = block_slots_.size();
  auto list = [&](const char* key, size_t size, bool whole) {
    EDGENAS_THROW_IF_NOT_FMT(json.is_object() && json.contains(key) && json[key].is_array() && json[key].size() == size,
                             "arch JSON for space '{}': expected \"{}\" to be a list of {} numbers", spec_.name, key, size);
    std::vector<double> values;
    for (const auto& v : json[key]) {
      EDGENAS_THROW_IF_NOT_FMT(v.is_number(), "arch JSON for space '{}': \"{}\" holds a non-number {}", spec_.name,
                               key, Printable(v.dump()));
      const double value = v.get<double>();
      EDGENAS_THROW_IF_NOT_FMT(!whole || (std::isfinite(value) && value == std::floor(value) && std::abs(value) < 1e6),
                               "arch JSON for space '{}': \"{}\" holds {}, expected a whole number", spec_.name, key,
                               value);
      values.push_back(value);
    }
    return values;
  };
  for (const auto& [key, value] : json.items()) {
    EDGENAS_THROW_IF_NOT_FMT(key == "ks" || key == "e" || key == "d" || key == "r" || (key == "wid" && value.is_null()),
                             "arch JSON for space '{}': unknown key \"{}\" (expected ks, e, d, r)", spec_.name, Printable(key));
  }
  const std::vector<double> ks = list("ks", slots, true), es = list("e", slots, false), ds = list("d", stages, true);
  if (json.contains("r") && json["r"].is_number()) json["r"] = nlohmann::json::array({json["r"]});
  const std::vector<double> rs = list("r", 1, true);
  Genome genome{std::vector<uint8_t>(genes_.size(), 0)};
  const int resolution = IndexOf(spec_.resolutions, static_cast<int>(rs[0]));
  EDGENAS_THROW_IF_NOT_FMT(resolution >= 0, "arch JSON for space '{}': resolution {} is not one of {}", spec_.name,
                           rs[0], fmt::join(spec_.resolutions, ", "));
  genome.genes[0] = static_cast<uint8_t>(resolution);
  size_t slot = 0;
  for (size_t s = 0; s < stages; ++s) {
    const StageSpec& stage = spec_.stages[s];
    const int depth = IndexOf(stage.depths, static_cast<int>(ds[s]));
    EDGENAS_THROW_IF_NOT_FMT(depth >= 0, "arch JSON for space '{}': stage {} depth {} is not one of {}", spec_.name, s,
                             ds[s], fmt::join(stage.depths, ", "));
    genome.genes[depth_gene_[s]] = static_cast<uint8_t>(depth);
    for (int b = 0; b < stage.max_depth(); ++b, ++slot) {
      const int kernel = IndexOf(stage.kernels, static_cast<int>(ks[slot]));
      const int expand = IndexOf(stage.expand_ratios, es[slot]);
      EDGENAS_THROW_IF_NOT_FMT(kernel >= 0 && expand >= 0,
                               "arch JSON for space '{}': block {} has kernel {} and expand {}; expected one of {} and "
                               "one of {}",
                               spec_.name, slot, ks[slot], es[slot], fmt::join(stage.kernels, ", "),
                               fmt::join(stage.expand_ratios, ", "));
      genome.genes[block_gene_[s][b]] = static_cast<uint8_t>(kernel);
      genome.genes[block_gene_[s][b] + 1] = static_cast<uint8_t>(expand);
    }
  }
  return genome;
}

std::string SearchSpace::ToOfaJson(const Genome& genome) const {
  EDGENAS_THROW_IF_NOT_FMT(factored_ && !has_stage_choices_, "space '{}' has no Once-for-All JSON form; use its arch string", spec_.name);
  nlohmann::json ks = nlohmann::json::array(), es = nlohmann::json::array(), ds = nlohmann::json::array();
  for (size_t s = 0; s < spec_.stages.size(); ++s) {
    const StageSpec& stage = spec_.stages[s];
    ds.push_back(Depth(genome, static_cast<int>(s)));
    for (int b = 0; b < stage.max_depth(); ++b) {
      const int gene = block_gene_[s][b];
      ks.push_back(stage.kernels[genome.genes[gene]]);
      const double e = stage.expand_ratios[genome.genes[gene + 1]];
      if (e == static_cast<int>(e)) {
        es.push_back(static_cast<int>(e));
      } else {
        es.push_back(e);
      }
    }
  }
  const nlohmann::json json = {{"ks", ks}, {"e", es}, {"d", ds}, {"r", {Resolution(genome)}}};
  return json.dump();
}

}  // namespace edgenas
