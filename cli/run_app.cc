#include <cstdio>
#include <exception>

#include "cli/commands.h"
#include "common/error.h"

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
  } catch (const std::exception& e) {
    std::fprintf(stderr, "edgenas: unexpected error: %s\n", e.what());
    return 1;
  }
  return 0;
}

}  // namespace edgenas
