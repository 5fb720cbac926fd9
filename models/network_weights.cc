#include "models/network_weights.h"

#include "common/error.h"

namespace edgenas {

std::vector<std::pair<std::string, FloatTensor>> NetworkStateDict(Network& net) {
  std::vector<std::pair<std::string, FloatTensor>> out;
  const auto add = [&](const std::string& name, const torch::Tensor& t) {
    if (t.scalar_type() != torch::kFloat) return;
    const torch::Tensor c = t.detach().contiguous();
    FloatTensor f;
    f.shape.assign(c.sizes().begin(), c.sizes().end());
    f.values.assign(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
    out.emplace_back(name, std::move(f));
  };
  for (const auto& p : net->named_parameters()) add(p.key(), p.value());
  for (const auto& b : net->named_buffers()) add(b.key(), b.value());
  return out;
}

void LoadNetworkStateDict(Network& net, const std::map<std::string, FloatTensor>& state, const std::string& path) {
  torch::NoGradGuard no_grad;
  const auto load = [&](const std::string& name, torch::Tensor& t) {
    if (t.scalar_type() != torch::kFloat) return;
    const auto it = state.find(name);
    EDGENAS_THROW_IF_NOT_FMT(it != state.end(), "{}: no tensor '{}' for this network", path, name);
    EDGENAS_THROW_IF_NOT_FMT(std::vector<int64_t>(t.sizes().begin(), t.sizes().end()) == it->second.shape,
                             "{}: tensor '{}' has another shape than this network's", path, name);
    t.copy_(torch::from_blob(const_cast<float*>(it->second.values.data()), t.sizes(), torch::kFloat));
  };
  for (auto& p : net->named_parameters()) load(p.key(), p.value());
  for (auto& b : net->named_buffers()) load(b.key(), b.value());
}


}  // namespace edgenas
