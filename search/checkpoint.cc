#include "search/checkpoint.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <filesystem>

#include "common/error.h"
#include "common/file_util.h"
#include "common/text.h"

namespace edgenas {

namespace fs = std::filesystem;

namespace {

constexpr int kCheckpointFormat = 2;

std::string GenesToHex(const Genome& g) {
  std::string out;
  for (uint8_t gene : g.genes) out += fmt::format("{:02x}", gene);
  return out;
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

Genome HexToGenome(const std::string& hex, const SearchSpace& space, const std::string& path) {
  Genome g;
  bool hex_ok = hex.size() % 2 == 0;
  for (size_t i = 0; hex_ok && i + 1 < hex.size(); i += 2) {
    const int high = HexDigit(hex[i]), low = HexDigit(hex[i + 1]);
    hex_ok = high >= 0 && low >= 0;
    g.genes.push_back(static_cast<uint8_t>(high * 16 + low));
  }
  EDGENAS_THROW_IF_NOT_FMT(hex_ok, "{}: damaged checkpoint: a genome is not lower-case hex pairs", path);
  std::string why;
  EDGENAS_THROW_IF_NOT_FMT(space.IsValid(g, &why), "{}: holds a genome that does not fit space '{}': {}", path,
                           space.name(), why);
  return g;
}

nlohmann::json HistoryToJson(const HistoryRow& r) {
  return {{"generation", r.generation}, {"evaluations", r.evaluations}, {"best", r.best},
          {"mean", r.mean},             {"hypervolume", r.hypervolume}, {"front_size", r.front_size}};
}

HistoryRow HistoryFromJson(const nlohmann::json& j) {
  HistoryRow r;
  r.generation = j.at("generation").get<int>();
  r.evaluations = j.at("evaluations").get<int64_t>();
  // NaN (no feasible network yet) is written as null.
  r.best = j.at("best").is_null() ? std::nan("") : j.at("best").get<double>();
  r.mean = j.at("mean").is_null() ? std::nan("") : j.at("mean").get<double>();
  r.hypervolume = j.at("hypervolume").get<double>();
  r.front_size = j.at("front_size").get<int>();
  return r;
}

// <folder>/checkpoint.json, parsed; says why if there is nothing to resume.
nlohmann::json ReadJson(const std::string& folder) {
  const std::string path = (fs::path(folder) / "checkpoint.json").string();
  if (!PathExists(path)) {
    EDGENAS_THROW_IF_NOT_FMT(!PathExists(fs::path(folder) / "summary.json"),
                             "{}: the job has finished (summary.json is there); nothing to resume", folder);
    EDGENAS_THROW_FMT("{}: no checkpoint.json to resume from", folder);
  }
  try {
    nlohmann::json j = nlohmann::json::parse(ReadFile(path));
    EDGENAS_THROW_IF_NOT_FMT(j.is_object() && j.value("format", 0) == kCheckpointFormat,
                             "{}: unknown checkpoint format (this edgenas writes format {})", path, kCheckpointFormat);
    return j;
  } catch (const nlohmann::json::exception& e) {
    EDGENAS_THROW_FMT("{}: damaged checkpoint: {}", path, JsonErrorReason(e.what()));
  }
}

}  // namespace

Checkpointer::Checkpointer(std::string folder, std::string recipe_path, std::string recipe_fingerprint)
    : folder_(std::move(folder)), recipe_path_(std::move(recipe_path)), recipe_fingerprint_(std::move(recipe_fingerprint)) {}

std::string Checkpointer::path() const { return (fs::path(folder_) / "checkpoint.json").string(); }

bool Checkpointer::Exists() const { return PathExists(path()); }

void Checkpointer::Write(const SearchState& s) const {
  nlohmann::json j;
  j["format"] = kCheckpointFormat;
  j["recipe"] = fs::absolute(recipe_path_).string();
  j["recipe_fingerprint"] = recipe_fingerprint_;
  j["generation"] = s.generation;
  j["rng"] = s.rng.SaveState();
  j["evaluations"] = s.evaluations;
  j["seconds"] = s.previous_seconds;
  j["best"] = s.best ? GenesToHex(s.best->genome) : "";
  j["objective_low"] = s.objective_low;
  j["objective_high"] = s.objective_high;
  j["population"] = nlohmann::json::array();
  for (const Candidate& c : s.population) j["population"].push_back(GenesToHex(c.genome));
  j["history"] = nlohmann::json::array();
  for (const HistoryRow& r : s.history) j["history"].push_back(HistoryToJson(r));
  WriteFileAtomically(path(), j.dump() + "\n");
}

SearchState Checkpointer::Read(const SearchSpace& space) const {
  const nlohmann::json j = ReadJson(folder_);
  const std::string file = path();
  SearchState s;
  try {
    EDGENAS_THROW_IF_NOT_FMT(j.at("recipe_fingerprint").get<std::string>() == recipe_fingerprint_,
                             "{}: the recipe {} changed since the job started; start a new job instead", file,
                             recipe_path_);
    s.generation = j.at("generation").get<int>();
    s.rng.LoadState(j.at("rng").get<std::string>());
    s.evaluations = j.at("evaluations").get<int64_t>();
    s.previous_seconds = j.at("seconds").get<double>();
    const std::string best = j.at("best").get<std::string>();
    if (!best.empty()) s.best = Candidate{HexToGenome(best, space, file)};
    s.objective_low = j.at("objective_low").get<std::vector<double>>();
    s.objective_high = j.at("objective_high").get<std::vector<double>>();
    for (const auto& g : j.at("population")) s.population.push_back(Candidate{HexToGenome(g.get<std::string>(), space, file)});
    for (const auto& r : j.at("history")) s.history.push_back(HistoryFromJson(r));
  } catch (const nlohmann::json::exception& e) {
    EDGENAS_THROW_FMT("{}: damaged checkpoint: {}", file, JsonErrorReason(e.what()));
  }
  return s;
}

void Checkpointer::Remove() const {
  std::error_code ignored;  // already gone is fine
  fs::remove(path(), ignored);
}

std::string Checkpointer::RecipeOf(const std::string& folder) {
  try {
    return ReadJson(folder).at("recipe").get<std::string>();
  } catch (const nlohmann::json::exception& e) {
    EDGENAS_THROW_FMT("{}/checkpoint.json: damaged checkpoint: {}", folder, JsonErrorReason(e.what()));
  }
}

}  // namespace edgenas
