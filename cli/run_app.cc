#include <cstdio>
#include <exception>
#include <filesystem>

#include "cli/commands.h"
#include "common/error.h"
#include "common/text.h"

namespace edgenas {

int RunApp(CLI::App& app, int argc, char** argv) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  } catch (const Interrupted& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 130;  // the shell's code for a process ended by SIGINT
  } catch (const Error& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 2;
  } catch (const std::filesystem::filesystem_error& e) {
    // A folder that cannot be made or a file that cannot be moved: the
    // environment the user gave, not a bug. "results/j: Permission denied".
    std::fprintf(stderr, "%s: %s\n", Printable(e.path1().string(), 200).c_str(), e.code().message().c_str());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "edgenas: unexpected error: %s\n", e.what());
    return 1;
  }
  return 0;
}

}  // namespace edgenas
