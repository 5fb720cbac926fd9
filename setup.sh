#!/usr/bin/env bash
# One script from a fresh Debian 12 machine to a working edgenas:
#   ./setup.sh          install what is missing, build (Release), run the default job
#   ./setup.sh test     install what is missing, build, run the whole test suite
# Idempotent: packages already installed are not reinstalled, builds are incremental.
set -euo pipefail
cd "$(dirname "$0")"

mode="${1:-run}"
case "$mode" in
  run | test) ;;
  *) echo "usage: ./setup.sh [run|test]" >&2; exit 2 ;;
esac

# Debian packages edgenas builds, tests and runs with. LibTorch and its
# friends are for the network-building side (export, profiling, predictor
# training); libopenblas0-pthread keeps LibTorch off the reference BLAS;
# python3-torch lets the tests check that Python's torch.load reads our files;
# Open MPI runs `edgenas dataset` over several processes or machines;
# clang and its runtime build the libFuzzer harnesses (fuzz/); Chromium
# renders report pages for their test (tests/report/).
packages=(
  build-essential cmake ninja-build pkg-config
  libyaml-cpp-dev nlohmann-json3-dev libcli11-dev libspdlog-dev libfmt-dev
  libtbb-dev libeigen3-dev libgtest-dev libgmock-dev libbenchmark-dev libzip-dev zlib1g-dev
  libtorch-dev libopenblas0-pthread libonnx-dev libprotobuf-dev protobuf-compiler
  dataset-fashion-mnist python3-torch openmpi-bin libopenmpi-dev
  clang libclang-rt-14-dev chromium
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "== installing: ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# ONNX Runtime, which exported models are checked and timed in, comes from the
# npm registry (onnxruntime-node ships its CPU binaries; the skip stops its
# install script from fetching GPU ones), and so does playwright-core, which
# drives Debian's Chromium in the report page test. Node.js from Debian if the
# machine has none.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "== installing: nodejs npm"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends nodejs npm
fi
if [ ! -f runtime/node_modules/onnxruntime-node/package.json ] ||
   [ runtime/package-lock.json -nt runtime/node_modules/.package-lock.json ]; then
  echo "== installing onnxruntime-node and playwright-core into runtime/node_modules"
  (cd runtime && ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund --loglevel=error)
fi

jobs="$(nproc)"
echo "== building (Release) in build/"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j "$jobs"

if [ "$mode" = run ]; then
  # The default job, end to end (recipes/default.yaml): the most accurate
  # Fashion-MNIST network whose int8 model runs within 0.11 ms in ONNX Runtime
  # here, trained, quantized, exported and checked; results in results/default/.
  rm -rf results/default
  job=(./build/cli/edgenas run recipes/default.yaml)
  echo "== ${job[*]}"
  exec "${job[@]}"
fi

echo "== running the test suite"
(cd build && ctest --output-on-failure -j "$jobs")

# The LibTorch-free tests again under AddressSanitizer and UBSan.
echo "== building and testing with -DEDGENAS_SANITIZE=ON in build-asan/"
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DEDGENAS_SANITIZE=ON -DEDGENAS_BUILD_BENCH=OFF \
  -DEDGENAS_WITH_TORCH=OFF >/dev/null
cmake --build build-asan -j "$jobs"
(cd build-asan && ctest --output-on-failure -j "$jobs" -L core)

# The libFuzzer harnesses (clang, with the sanitizers), each run over its seed
# corpus: a loader that crashes on a shipped file fails here. Long fuzzing runs
# are by hand (docs/reliability.md).
echo "== building the fuzzers in build-fuzz/ and running them over their seeds"
CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=Debug -DEDGENAS_FUZZ=ON -DEDGENAS_SANITIZE=ON \
  -DEDGENAS_WITH_TORCH=OFF -DEDGENAS_BUILD_TESTS=OFF -DEDGENAS_BUILD_BENCH=OFF -DEDGENAS_BUILD_TOOLS=OFF \
  -DEDGENAS_NATIVE=OFF >/dev/null
cmake --build build-fuzz -j "$jobs"
for corpus in fuzz/corpus/*/; do
  name="$(basename "$corpus")"
  ./build-fuzz/fuzz/"fuzz_$name" -runs=0 "$corpus" 2>&1 | tail -n 1
done
