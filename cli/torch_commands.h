// The commands that build or train networks in LibTorch. They run in the
// edgenas-torch executable, so that edgenas's other commands never pay for
// loading LibTorch (docs/architecture.md). This table is the one list: edgenas
// hands these commands over before parsing and lists them in its --help, and
// edgenas-torch registers them under these names and descriptions.
#pragma once

#include <cstring>

namespace edgenas {

struct TorchCommand {
  const char* group;  // "profile"; or the command itself when name is ""
  const char* name;   // "measure", or "" for a command without a group ("train")
  const char* description;
};

inline constexpr TorchCommand kTorchCommands[] = {
    {"train", "", "Train one network of a space on Fashion-MNIST or your images; writes weights.pt and metrics.json (docs/training.md)"},
    {"dataset", "", "Train many networks of a space with one schedule: a measured accuracy CSV for predictors (docs/training.md)"},
    {"export", "",
     "A trained network, or a search's chosen one (results/<job>), as fp32 and int8 ONNX checked in ONNX Runtime "
     "(docs/export.md)"},
    {"run", "",
     "Run a recipe's whole job: search, then train, quantize, export and verify the chosen network as its export: "
     "section says; a re-run goes on where it stopped"},
    {"profile", "measure", "Time every distinct layer of the space(s) on this CPU and write hw_profiles/<device>/"},
    {"profile", "validate", "Time random networks end to end and compare them with a profile's prediction"},
    {"profile", "sample",
     "Write random networks of a space as ONNX files with manifest.csv, to time on a device and fit (profile fit)"},
    {"predictor", "train", "Train an MLP accuracy predictor (and its ridge baseline)"},
    {"predictor", "study",
     "Learning curve: train on N random networks, test on the rest, over several seeds; MLP vs ridge"},
};

// The command `edgenas <group> <name> ...` names, if it is one of the table's; else null.
inline const TorchCommand* FindTorchCommand(int argc, char** argv) {
  if (argc < 2) return nullptr;
  for (const TorchCommand& c : kTorchCommands) {
    if (std::strcmp(argv[1], c.group) != 0) continue;
    if (*c.name == '\0' || (argc >= 3 && std::strcmp(argv[2], c.name) == 0)) return &c;
  }
  return nullptr;
}

// The table's description of a command (for edgenas-torch's registration).
inline const char* TorchCommandDescription(const char* group, const char* name) {
  for (const TorchCommand& c : kTorchCommands) {
    if (std::strcmp(group, c.group) == 0 && std::strcmp(name, c.name) == 0) return c.description;
  }
  return nullptr;
}

}  // namespace edgenas
