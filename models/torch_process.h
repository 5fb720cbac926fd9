// Process-wide settings LibTorch computes best with: its thread count, and an
// allocator that keeps freed memory.
#pragma once

namespace edgenas {

// LibTorch's thread setting does not reach OpenBLAS's own pool when LibTorch is
// linked against the generic BLAS interface (Debian's case), so OpenBLAS could
// run on every core while LibTorch uses one. Sets both. Returns false if the
// BLAS in use is not OpenBLAS.
bool SetTorchThreads(int threads);

// Makes the C allocator keep freed memory in the process instead of handing
// large blocks back to the kernel. LibTorch's eager ops allocate a fresh output
// per op: with glibc's defaults a NAS-Bench-Macro network took ~870 page faults
// per forward pass, and a 0.44 ms layer timed 1.2 ms. Deployment runtimes reuse
// their buffers, so timing without the faults is the faithful choice (measure
// and validate both call this); training calls it for the same reason.
void KeepFreedMemory();

}  // namespace edgenas
