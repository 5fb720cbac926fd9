#include <csignal>
#include <cstdio>
#include <exception>
#include <filesystem>

#include "cli/commands.h"
#include "common/error.h"
#include "common/text.h"

namespace edgenas {

namespace {

volatile std::sig_atomic_t received_signal = 0;

void OnStopSignal(int signal) {
  if (received_signal != 0) {  // the second one: end now, as without a handler
    ::signal(signal, SIG_DFL);
    ::raise(signal);
    return;
  }
  received_signal = signal;
}

}  // namespace

StopOnSignals::StopOnSignals() {
  received_signal = 0;
  struct sigaction action {};
  action.sa_handler = OnStopSignal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, &old_int_);
  sigaction(SIGTERM, &action, &old_term_);
}

StopOnSignals::~StopOnSignals() {
  sigaction(SIGINT, &old_int_, nullptr);
  sigaction(SIGTERM, &old_term_, nullptr);
}

int StopOnSignals::received() { return received_signal; }

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
