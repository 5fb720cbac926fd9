// Reads and writes PyTorch state_dicts of float32 tensors as zip-format .pt
// files (what torch.save and torch::pickle_save write) without LibTorch.
//
// Why by hand: LibTorch's torch::pickle_load would do this, but linking
// LibTorch adds about 0.45 s of start-up to every command (measured on
// `edgenas-torch --help`), which is most of a whole search's time budget. A
// state_dict of tensors needs only a small part of the pickle format: the
// opcodes torch.save and torch::pickle_save emit for a dict of tensors
// (protocol 2, plus the protocol-4 short forms). Anything else is rejected
// with a message naming the file and the opcode or object.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace edgenas {

struct FloatTensor {
  std::vector<int64_t> shape;
  std::vector<float> values;  // row-major (C order), contiguous

  int64_t NumElements() const;
};

// Tensor name -> tensor, e.g. "0.weight" -> [400, 128]. Throws Error with the
// file's path if it is not a zip-format state_dict of float32 tensors.
std::map<std::string, FloatTensor> ReadTorchStateDict(const std::string& path);

// Writes `tensors`, in this order, as the zip file torch.save writes for a
// dict of them, which torch.load(path, weights_only=True) in Python and
// torch::pickle_load in LibTorch both read. (torch::pickle_save tags the dict with
// torch.jit._pickle.restore_type_tag, which weights_only=True refuses.)
// Atomic: the file is whole or untouched.
void WriteTorchStateDict(const std::string& path, const std::vector<std::pair<std::string, FloatTensor>>& tensors);

}  // namespace edgenas
