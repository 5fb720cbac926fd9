#include "models/torch_process.h"

#include <dlfcn.h>
#include <malloc.h>
#include <torch/torch.h>

namespace edgenas {

bool SetTorchThreads(int threads) {
  torch::set_num_threads(threads);
  using SetOpenBlasThreads = void (*)(int);
  const auto set = reinterpret_cast<SetOpenBlasThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"));
  if (set != nullptr) set(threads);
  return set != nullptr;
}

void KeepFreedMemory() {
#ifdef __GLIBC__
  mallopt(M_MMAP_THRESHOLD, 1 << 30);  // large blocks from the heap, not fresh mmaps
  mallopt(M_TRIM_THRESHOLD, 1 << 30);  // never shrink the heap back
  mallopt(M_TOP_PAD, 64 << 20);        // and grow it in large steps
#endif
}

}  // namespace edgenas
