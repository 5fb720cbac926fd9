#include "models/torch_threads.h"

#include <dlfcn.h>
#include <torch/torch.h>

namespace edgenas {

bool SetTorchThreads(int threads) {
  torch::set_num_threads(threads);
  using SetOpenBlasThreads = void (*)(int);
  const auto set = reinterpret_cast<SetOpenBlasThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"));
  if (set != nullptr) set(threads);
  return set != nullptr;
}

}  // namespace edgenas
