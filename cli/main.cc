// edgenas: hardware-aware neural architecture search for mobile and edge devices.
//
// This executable links only the LibTorch-free core, so that commands that
// build no network start in milliseconds (docs/architecture.md).
// Exit codes: 0 success, 1 unexpected failure, 2 bad input (usage, recipe,
// space, arch string) with the reason on one line of stderr.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <exception>

#include "cli/commands.h"
#include "cli/torch_commands.h"

namespace {

// This process is replaced by edgenas-torch, next to this executable, for
// the commands of cli/torch_commands.h.
int ExecTorchExecutable(char** argv) {
  std::error_code error;
  const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", error);
  const std::string torch = (self.parent_path() / "edgenas-torch").string();
  argv[0] = const_cast<char*>(torch.c_str());
  execv(torch.c_str(), argv);
  std::fprintf(stderr, "'%s' needs %s, which this build lacks (configure with -DEDGENAS_WITH_TORCH=ON)\n", argv[1],
               torch.c_str());
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (edgenas::FindTorchCommand(argc, argv) != nullptr) return ExecTorchExecutable(argv);
  CLI::App app{"edgenas: hardware-aware neural architecture search for mobile and edge devices.\n"
               "Searches MobileNet-style spaces for accurate networks within a device's latency,\n"
               "energy and memory budget. Docs: README.md and docs/ in the source tree."};
  app.set_version_flag("--version", EDGENAS_VERSION);
  app.require_subcommand(1);
  edgenas::AddSpaceCommands(app);
  edgenas::AddRecipeCommands(app);
  edgenas::AddProfileCommands(app);
  edgenas::AddPredictorCommands(app);
  edgenas::AddSearchCommands(app);
  // Listed in --help here; run by edgenas-torch (handed over above).
  for (const edgenas::TorchCommand& c : edgenas::kTorchCommands) {
    if (*c.name == '\0') {
      app.add_subcommand(c.group, c.description);
    } else {
      app.get_subcommand(c.group)->add_subcommand(c.name, c.description);
    }
  }
  return edgenas::RunApp(app, argc, argv);
}
