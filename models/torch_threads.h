// The number of threads LibTorch computes with.
#pragma once

namespace edgenas {

// LibTorch's thread setting does not reach OpenBLAS's own pool when LibTorch is
// linked against the generic BLAS interface (Debian's case), so OpenBLAS could
// run on every core while LibTorch uses one. Sets both. Returns false if the
// BLAS in use is not OpenBLAS.
bool SetTorchThreads(int threads);

}  // namespace edgenas
