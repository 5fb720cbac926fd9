#include "runtime/onnx_runtime.h"

#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/file_util.h"

extern char** environ;

namespace edgenas {

namespace {

std::string RuntimeFolder() { return DataRoot() + "/runtime"; }

bool NodeOnPath() {
  const char* path = std::getenv("PATH");
  if (path == nullptr) return false;
  std::string folders = path;
  size_t start = 0;
  while (start <= folders.size()) {
    const size_t end = std::min(folders.find(':', start), folders.size());
    const std::string candidate = folders.substr(start, end - start) + "/node";
    if (end > start && access(candidate.c_str(), X_OK) == 0) return true;
    start = end + 1;
  }
  return false;
}

// A private folder for the request, inputs and outputs, removed after the run.
std::string ScratchPrefix() {
  const char* tmp = std::getenv("TMPDIR");
  return std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/edgenas-ort-";
}

void WriteFloats(const std::string& path, const std::vector<float>& values) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(values.data()), static_cast<std::streamsize>(values.size() * sizeof(float)));
  EDGENAS_THROW_IF_NOT_FMT(out.good(), "{}: cannot write the model's input", path);
}

std::vector<float> ReadFloats(const std::string& path, size_t count) {
  const std::string bytes = ReadFile(path);
  EDGENAS_THROW_IF_NOT_FMT(bytes.size() == count * sizeof(float), "ONNX Runtime wrote {} bytes of output, not {}",
                           bytes.size(), count * sizeof(float));
  std::vector<float> values(count);
  std::memcpy(values.data(), bytes.data(), bytes.size());
  return values;
}

// Runs `argv` with stdout and stderr inherited; returns its exit status.
int RunProcess(const std::vector<std::string>& args) {
  std::vector<char*> argv;
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = 0;
  const int spawned = posix_spawnp(&pid, argv[0], nullptr, nullptr, argv.data(), environ);
  EDGENAS_THROW_IF_NOT_FMT(spawned == 0, "cannot start {}: {}", args[0], std::strerror(spawned));
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    EDGENAS_THROW_IF_NOT_FMT(errno == EINTR, "waiting for {}: {}", args[0], std::strerror(errno));
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

}  // namespace

std::string OnnxRuntimeMissing() {
  if (!NodeOnPath()) return "Node.js ('node') is not on PATH; ./setup.sh installs it (Debian: nodejs npm)";
  if (!PathExists(RuntimeFolder() + "/node_modules/onnxruntime-node/package.json")) {
    return fmt::format("onnxruntime-node is not installed in {}/node_modules; run ./setup.sh, or there: npm ci",
                       RuntimeFolder());
  }
  return "";
}

std::string OnnxRuntimeVersion() {
  const std::string package = RuntimeFolder() + "/node_modules/onnxruntime-node/package.json";
  if (!PathExists(package)) return "onnxruntime-node, not installed";
  const nlohmann::json manifest = nlohmann::json::parse(ReadFile(package), nullptr, /*allow_exceptions=*/false);
  return "onnxruntime-node " + (manifest.is_object() ? manifest.value("version", "of unknown version") : "of unknown version");
}

std::vector<OnnxRuntimeResult> RunInOnnxRuntime(const std::vector<OnnxRuntimeJob>& jobs, int threads,
                                                const OnnxRuntimeReference* reference) {
  const std::string missing = OnnxRuntimeMissing();
  EDGENAS_THROW_IF_NOT_FMT(missing.empty(), "cannot run ONNX Runtime: {}", missing);
  EDGENAS_THROW_IF_NOT_FMT(threads >= 1, "ONNX Runtime threads = {}; must be at least 1", threads);
  const FreshFolder scratch(ScratchPrefix());
  nlohmann::json request = {{"threads", threads}, {"models", nlohmann::json::array()}};
  std::vector<size_t> output_sizes;
  for (size_t i = 0; i < jobs.size(); ++i) {
    const OnnxRuntimeJob& job = jobs[i];
    EDGENAS_THROW_IF_NOT_FMT(job.input_shape.size() == 4, "{}: an input shape [N, C, H, W] is needed",
                             job.model_path);
    size_t elements = 1;
    for (int64_t d : job.input_shape) elements *= static_cast<size_t>(d);
    nlohmann::json model = {{"path", std::filesystem::absolute(job.model_path).string()},
                            {"input_shape", job.input_shape},
                            {"batch", job.batch},
                            {"timing_runs", job.timing_runs},
                            {"warmup_runs", job.warmup_runs},
                            {"timing_min_ms", job.timing_min_ms},
                            {"timing_max_runs", job.timing_max_runs},
                            {"ranges", job.ranges},
                            {"percentile", job.percentile}};
    if (!job.input.empty()) {
      EDGENAS_THROW_IF_NOT_FMT(job.input.size() == elements, "{}: {} input values for shape [{}]", job.model_path,
                               job.input.size(), fmt::join(job.input_shape, ", "));
      const std::string input = fmt::format("{}/input{}.f32", scratch.path(), i);
      WriteFloats(input, job.input);
      model["input"] = input;
      model["output"] = fmt::format("{}/output{}.f32", scratch.path(), i);
    }
    request["models"].push_back(model);
  }
  if (reference != nullptr) {
    const OnnxRuntimeJob& r = reference->model;
    request["reference"] = {{"path", std::filesystem::absolute(r.model_path).string()},
                            {"input_shape", r.input_shape},
                            {"every", reference->every},
                            {"timing_runs", std::max(1, r.timing_runs)},
                            {"warmup_runs", r.warmup_runs},
                            {"timing_min_ms", r.timing_min_ms},
                            {"timing_max_runs", r.timing_max_runs}};
  }
  const std::string request_path = scratch.path() + "/request.json";
  const std::string response_path = scratch.path() + "/response.json";
  WriteFileAtomically(request_path, request.dump());
  const int status = RunProcess({"node", RuntimeFolder() + "/run_onnx.js", request_path, response_path});
  EDGENAS_THROW_IF_NOT_FMT(status == 0, "ONNX Runtime failed (exit status {}; its message is above)", status);

  const nlohmann::json response = nlohmann::json::parse(ReadFile(response_path));
  std::vector<OnnxRuntimeResult> results;
  for (size_t i = 0; i < jobs.size(); ++i) {
    const nlohmann::json& r = response.at(i);
    OnnxRuntimeResult result;
    result.output_shape = r.at("output_shape").get<std::vector<int64_t>>();
    if (!jobs[i].input.empty()) {
      EDGENAS_THROW_IF_NOT_FMT(result.output_shape.size() == 2, "{}: the output is not [N, classes]",
                               jobs[i].model_path);
      result.output = ReadFloats(request["models"][i]["output"].get<std::string>(),
                                 static_cast<size_t>(result.output_shape[0] * result.output_shape[1]));
    }
    result.run_ms = r.at("run_ms").get<std::vector<double>>();
    if (r.contains("reference_ms") && !r.at("reference_ms").is_null()) result.reference_ms = r.at("reference_ms").get<double>();
    if (!r.at("median_ms").is_null()) result.median_ms = r.at("median_ms").get<double>();
    for (const auto& [name, range] : r.at("ranges").items()) {
      result.ranges[name] = {range.at(0).get<double>(), range.at(1).get<double>()};
    }
    results.push_back(std::move(result));
  }
  return results;
}

}  // namespace edgenas
