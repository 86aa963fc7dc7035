// CPU kernel of Kgen>CdUpdate (op in cd_update/cd_update_ops.cc): one CD-k step of
// SGD on three resource variables, in place.
//
// 1. Look up and lock the variables (in order of their mutex addresses, as
//    TensorFlow's own training ops do) and validate every shape and dtype
//    before anything is written.
// 2. If a variable's buffer is shared (a read of it is still alive, or the
//    variable is in copy-on-read mode), give the variable a copy to update, so
//    that the earlier reads keep their values (what PrepareToUpdateVariable
//    does for TensorFlow's training ops).
// 3. Sample: the Gibbs CPU kernel from `chains`
//    (gibbs_sweeps/gibbs_sweeps_cpu_tensorflow.h); p(h | v) is its h0_prob
//    when `chains` is `v` itself (CD-k), else a k = 0 run on v.
// 4. Update: the CD-statistics CPU kernel with scale = learning_rate adds the
//    weight statistics into W row by row (CdProblem::accumulate), and each
//    worker updates the biases of its own columns. With momentum (N = 3
//    velocity variables, Keras' SGD without Nesterov) the statistics go into
//    the velocity instead, m = momentum * m + learning_rate * statistics,
//    and then W += m, row by row as well.
// 5. By-products (attr by_products): per row, the sums of softplus over the
//    hidden inputs the Gibbs kernel has in hand (b_hid + v W of the data, the
//    same with one visible unit flipped, b_hid + v_k W of the chains) and the
//    squared error of the first sweep's p(v | h_0), so the model's metrics
//    need no product with W and no pass over [B, H] tensors.
// Every result is independent of the thread count: each element's sums run
// in a fixed order.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "tensorflow/core/framework/op_kernel.h"
#include "tensorflow/core/framework/resource_mgr.h"
#include "tensorflow/core/framework/resource_var.h"
#include "tensorflow/core/framework/tensor.h"
#include "tensorflow/core/framework/tensor_shape.h"
#include "tensorflow/core/framework/types.h"
#include "tensorflow/core/util/work_sharder.h"

#include "cd_statistics/cd_statistics.h"
#include "cd_statistics/cd_statistics_cpu.h"
#include "gibbs_sweeps/gibbs_sweeps.h"
#include "gibbs_sweeps/gibbs_sweeps_cpu.h"
#include "gibbs_sweeps/gibbs_sweeps_cpu_tensorflow.h"

namespace kgen {

using ::tensorflow::OpKernel;
using ::tensorflow::OpKernelConstruction;
using ::tensorflow::OpKernelContext;
using ::tensorflow::Tensor;
using ::tensorflow::TensorShape;
using ::tensorflow::Var;

namespace {

absl::Status Invalid(const std::string& message) {
  return absl::InvalidArgumentError(absl::StrCat("CdUpdate: ", message));
}

constexpr const char* kVariableNames[6] = {"w", "b_vis", "b_hid", "velocity_w",
                                           "velocity_b_vis", "velocity_b_hid"};

// Locks up to six variables in order of their mutex addresses (each mutex
// once, should the same variable come twice) and unlocks them when destroyed.
class VariableLocks {
 public:
  VariableLocks(Var* const* vars, int count) {
    for (int i = 0; i < count; ++i) mutexes_.push_back(vars[i]->mu());
    std::sort(mutexes_.begin(), mutexes_.end());
    mutexes_.erase(std::unique(mutexes_.begin(), mutexes_.end()), mutexes_.end());
    for (auto* mu : mutexes_) mu->lock();
  }
  ~VariableLocks() {
    for (auto it = mutexes_.rbegin(); it != mutexes_.rend(); ++it) (*it)->unlock();
  }
  VariableLocks(const VariableLocks&) = delete;
  VariableLocks& operator=(const VariableLocks&) = delete;

 private:
  std::vector<::tensorflow::mutex*> mutexes_;
};

template <typename T>
absl::Status ValidateVariables(Var* const* vars, int count, int64_t* visible, int64_t* hidden) {
  const auto dtype = ::tensorflow::DataTypeToEnum<T>::value;
  for (int i = 0; i < count; ++i) {
    const Tensor& t = *vars[i]->tensor();
    if (!vars[i]->is_initialized || !t.IsInitialized()) {
      return absl::FailedPreconditionError(
          absl::StrCat("CdUpdate: variable `", kVariableNames[i], "` is not initialized"));
    }
    if (t.dtype() != dtype) {
      return Invalid(absl::StrCat("variable `", kVariableNames[i], "` holds ",
                                  ::tensorflow::DataTypeString(t.dtype()), ", expected ",
                                  ::tensorflow::DataTypeString(dtype), " (the dtype of v)"));
    }
  }
  const Tensor& w = *vars[0]->tensor();
  const Tensor& b_vis = *vars[1]->tensor();
  const Tensor& b_hid = *vars[2]->tensor();
  if (w.dims() != 2) return Invalid(absl::StrCat("`w` must be rank 2 [V, H], got shape ", w.shape().DebugString()));
  *visible = w.dim_size(0);
  *hidden = w.dim_size(1);
  if (b_vis.dims() != 1 || b_vis.dim_size(0) != *visible) {
    return Invalid(absl::StrCat("`b_vis` must have shape [", *visible, "] to match `w` ",
                                w.shape().DebugString(), ", got shape ", b_vis.shape().DebugString()));
  }
  if (b_hid.dims() != 1 || b_hid.dim_size(0) != *hidden) {
    return Invalid(absl::StrCat("`b_hid` must have shape [", *hidden, "] to match `w` ",
                                w.shape().DebugString(), ", got shape ", b_hid.shape().DebugString()));
  }
  for (int i = 3; i < count; ++i) {  // each velocity has its parameter's shape
    const Tensor& velocity = *vars[i]->tensor();
    const Tensor& parameter = *vars[i - 3]->tensor();
    if (velocity.shape() != parameter.shape()) {
      return Invalid(absl::StrCat("`", kVariableNames[i], "` must have the shape of `",
                                  kVariableNames[i - 3], "`, ", parameter.shape().DebugString(),
                                  ", got shape ", velocity.shape().DebugString()));
    }
  }
  return absl::OkStatus();
}

// Inputs after the variables, by name (their index depends on the number of
// velocity variables).
struct CdUpdateInputs {
  const Tensor* v;
  const Tensor* chains;
  const Tensor* k;
  const Tensor* seed;
  const Tensor* learning_rate;
  const Tensor* momentum;
  const Tensor* flip;
};

absl::Status GetInputs(OpKernelContext* ctx, CdUpdateInputs* in) {
  TF_RETURN_IF_ERROR(ctx->input("v", &in->v));
  TF_RETURN_IF_ERROR(ctx->input("chains", &in->chains));
  TF_RETURN_IF_ERROR(ctx->input("k", &in->k));
  TF_RETURN_IF_ERROR(ctx->input("seed", &in->seed));
  TF_RETURN_IF_ERROR(ctx->input("learning_rate", &in->learning_rate));
  TF_RETURN_IF_ERROR(ctx->input("flip", &in->flip));
  return ctx->input("momentum", &in->momentum);
}

absl::Status ValidateInputs(const CdUpdateInputs& in, int64_t visible, int64_t hidden,
                            bool by_products) {
  const Tensor& v = *in.v;
  const Tensor& chains = *in.chains;
  const Tensor& k = *in.k;
  const Tensor& seed = *in.seed;
  const Tensor& learning_rate = *in.learning_rate;
  const Tensor& momentum = *in.momentum;
  const struct { const char* name; const Tensor& tensor; } layers[2] = {{"v", v},
                                                                         {"chains", chains}};
  for (const auto& layer : layers) {
    if (layer.tensor.dims() != 2 || layer.tensor.dim_size(1) != visible) {
      return Invalid(absl::StrCat("`", layer.name, "` must have shape [rows, ", visible,
                                  "] to match `w` of shape [", visible, ", ", hidden,
                                  "], got shape ", layer.tensor.shape().DebugString()));
    }
    if (layer.tensor.dim_size(0) == 0) {
      return Invalid(absl::StrCat("`", layer.name,
                                  "` needs at least one row (the update averages over them), got shape ",
                                  layer.tensor.shape().DebugString()));
    }
    if (layer.tensor.dim_size(0) * std::max(visible, hidden) > kGibbsMaxLayerElements) {
      return Invalid(absl::StrCat("rows * max(V, H) must be <= 2^34 (the Philox element index), got ",
                                  layer.tensor.dim_size(0), " rows of `", layer.name, "`, V=", visible,
                                  ", H=", hidden));
    }
  }
  if (k.dims() != 0) return Invalid(absl::StrCat("`k` must be a scalar, got shape ", k.shape().DebugString()));
  if (k.scalar<int32_t>()() < 0) return Invalid(absl::StrCat("`k` must be >= 0, got ", k.scalar<int32_t>()()));
  if (seed.dims() != 1 || seed.dim_size(0) != 2) {
    return Invalid(absl::StrCat("`seed` must have shape [2], got shape ", seed.shape().DebugString()));
  }
  if (learning_rate.dims() != 0) {
    return Invalid(absl::StrCat("`learning_rate` must be a scalar, got shape ",
                                learning_rate.shape().DebugString()));
  }
  if (momentum.dims() != 0) {
    return Invalid(absl::StrCat("`momentum` must be a scalar, got shape ",
                                momentum.shape().DebugString()));
  }
  const Tensor& flip = *in.flip;
  const int64_t flip_rows = by_products ? v.dim_size(0) : 0;
  if (flip.dims() != 1 || flip.dim_size(0) != flip_rows) {
    return Invalid(absl::StrCat("`flip` must have shape [", flip_rows,
                                by_products ? "] (one visible unit per row of `v`)" : "] without by_products",
                                ", got shape ", flip.shape().DebugString()));
  }
  const auto units = flip.flat<int32_t>();
  for (int64_t b = 0; b < flip_rows; ++b) {
    if (units(b) < 0 || units(b) >= visible) {
      return Invalid(absl::StrCat("`flip` must hold visible units in [0, ", visible, "), got ",
                                  units(b), " at row ", b));
    }
  }
  return absl::OkStatus();
}

// Gives `var` a buffer of its own to update when its current one is shared.
template <typename T>
absl::Status PrepareToUpdate(OpKernelContext* ctx, Var* var) {
  Tensor* tensor = var->tensor();
  if (!var->copy_on_read_mode.load() && tensor->RefCountIsOne()) return absl::OkStatus();
  Tensor copy;
  ::tensorflow::AllocatorAttributes attributes;
  attributes.set_gpu_compatible(true);
  attributes.set_nic_compatible(true);
  TF_RETURN_IF_ERROR(ctx->allocate_temp(tensor->dtype(), tensor->shape(), &copy, attributes));
  std::memcpy(copy.flat<T>().data(), tensor->flat<T>().data(), sizeof(T) * tensor->NumElements());
  *tensor = copy;
  return absl::OkStatus();
}

// A Gibbs run of `rows` chains from `start`, without the final hidden draw;
// the outputs other than `v` go to temporaries (`v` too when `v_out` is null).
template <typename T>
absl::Status Sample(OpKernelContext* ctx, const T* start, int64_t rows, int64_t visible,
                    int64_t hidden, const T* w, const T* b_vis, const T* b_hid, int64_t sweeps,
                    PhiloxSeed seed, T* v_out, Tensor (&temps)[5], GibbsProblem<T>* problem,
                    const GibbsProblem<T>& by_products = GibbsProblem<T>{}) {
  const auto dtype = ::tensorflow::DataTypeToEnum<T>::value;
  const TensorShape visible_layer({rows, visible}), hidden_layer({rows, hidden});
  const TensorShape shapes[5] = {visible_layer, hidden_layer, visible_layer, hidden_layer,
                                 hidden_layer};
  for (int i = 0; i < 5; ++i) {
    if ((i == 0 && v_out != nullptr) || i == 1) continue;  // v given; no h
    TF_RETURN_IF_ERROR(ctx->allocate_temp(dtype, shapes[i], &temps[i]));
  }
  *problem = GibbsProblem<T>{};
  problem->v_start = start;
  problem->w = w;
  problem->b_vis = b_vis;
  problem->b_hid = b_hid;
  problem->batch = rows;
  problem->visible = visible;
  problem->hidden = hidden;
  problem->sweeps = sweeps;
  problem->seed = seed;
  problem->v = v_out != nullptr ? v_out : temps[0].flat<T>().data();
  problem->h = nullptr;  // the update needs no final hidden sample
  problem->v_prob = temps[2].flat<T>().data();
  problem->h_prob = temps[3].flat<T>().data();
  problem->h0_prob = temps[4].flat<T>().data();
  problem->flip = by_products.flip;
  problem->h0_softplus = by_products.h0_softplus;
  problem->flipped_softplus = by_products.flipped_softplus;
  problem->h_softplus = by_products.h_softplus;
  problem->reconstruction_error = by_products.reconstruction_error;
  run_gibbs_cpu(ctx, *problem);
  return ctx->status();
}

// b[j] += scale * (sum_b pos[b, j] / B - sum_m neg[m, j] / M) for columns
// [begin, end) of [B, n] and [M, n] row-major layers; sums in row order.
// With a velocity m: m[j] = momentum * m[j] + scale * (...), then b[j] += m[j].
template <typename T>
void UpdateBiasColumns(const T* pos, int64_t B, const T* neg, int64_t M, int64_t n, T scale,
                       int64_t begin, int64_t end, T* b, T* velocity, T momentum) {
  if (begin >= end) return;
  std::vector<T> pos_sum(end - begin, T(0)), neg_sum(end - begin, T(0));
  for (int64_t r = 0; r < B; ++r) {
    const T* row = pos + r * n;
    for (int64_t j = begin; j < end; ++j) pos_sum[j - begin] += row[j];
  }
  for (int64_t r = 0; r < M; ++r) {
    const T* row = neg + r * n;
    for (int64_t j = begin; j < end; ++j) neg_sum[j - begin] += row[j];
  }
  for (int64_t j = begin; j < end; ++j) {
    const T step =
        scale * (pos_sum[j - begin] / static_cast<T>(B) - neg_sum[j - begin] / static_cast<T>(M));
    if (velocity == nullptr) {
      b[j] += step;
    } else {
      velocity[j] = momentum * velocity[j] + step;
      b[j] += velocity[j];
    }
  }
}

template <typename T>
class CdUpdateOp : public OpKernel {
 public:
  explicit CdUpdateOp(OpKernelConstruction* ctx) : OpKernel(ctx) {
    OP_REQUIRES_OK(ctx, ctx->GetAttr("N", &num_velocities_));
    OP_REQUIRES(ctx, num_velocities_ == 0 || num_velocities_ == 3,
                Invalid(absl::StrCat("`velocities` must be 0 or 3 variables (velocity_w, "
                                     "velocity_b_vis, velocity_b_hid), got ", num_velocities_)));
    OP_REQUIRES_OK(ctx, ctx->GetAttr("by_products", &by_products_));
  }

  void Compute(OpKernelContext* ctx) override {
    const int count = 3 + num_velocities_;
    ::tensorflow::core::RefCountPtr<Var> refs[6];
    for (int i = 0; i < count; ++i) {
      const absl::Status status =
          ::tensorflow::LookupResource(ctx, ::tensorflow::HandleFromInput(ctx, i), &refs[i]);
      OP_REQUIRES(ctx, status.ok(),
                  absl::Status(status.code(), absl::StrCat("CdUpdate: variable `", kVariableNames[i],
                                                           "`: ", status.message())));
    }
    Var* vars[6] = {nullptr, nullptr, nullptr, nullptr, nullptr, nullptr};
    for (int i = 0; i < count; ++i) vars[i] = refs[i].get();
    VariableLocks locks(vars, count);

    int64_t V = 0, H = 0;
    CdUpdateInputs in{};
    OP_REQUIRES_OK(ctx, GetInputs(ctx, &in));
    OP_REQUIRES_OK(ctx, ValidateVariables<T>(vars, count, &V, &H));
    OP_REQUIRES_OK(ctx, ValidateInputs(in, V, H, by_products_));
    const Tensor& v = *in.v;
    const Tensor& chains = *in.chains;
    const int64_t B = v.dim_size(0), M = chains.dim_size(0);
    const int64_t sweeps = in.k->scalar<int32_t>()();
    const auto seed_values = in.seed->flat<int64_t>();
    const PhiloxSeed seed{static_cast<uint64_t>(seed_values(0)), static_cast<uint64_t>(seed_values(1))};
    const T learning_rate = in.learning_rate->scalar<T>()();
    const T momentum = in.momentum->scalar<T>()();

    // Outputs: v_k, then the per-row by-products (empty when not asked for).
    Tensor* outputs[5] = {nullptr, nullptr, nullptr, nullptr, nullptr};
    const int64_t rows_pos = by_products_ ? B : 0, rows_neg = by_products_ ? M : 0;
    const TensorShape shapes[5] = {{M, V}, {rows_pos}, {rows_pos}, {rows_neg}, {rows_pos}};
    for (int i = 0; i < 5; ++i) OP_REQUIRES_OK(ctx, ctx->allocate_output(i, shapes[i], &outputs[i]));
    // What the data's run computes (p(h | v) side) and what the chains' run does.
    GibbsProblem<T> data_products{}, chain_products{};
    if (by_products_) {
      data_products.flip = in.flip->flat<int32_t>().data();
      data_products.h0_softplus = outputs[1]->flat<T>().data();
      data_products.flipped_softplus = outputs[2]->flat<T>().data();
      data_products.reconstruction_error = outputs[4]->flat<T>().data();
      chain_products.h_softplus = outputs[3]->flat<T>().data();
    }
    for (int i = 0; i < count; ++i) OP_REQUIRES_OK(ctx, PrepareToUpdate<T>(ctx, vars[i]));
    T* w = vars[0]->tensor()->flat<T>().data();
    T* b_vis = vars[1]->tensor()->flat<T>().data();
    T* b_hid = vars[2]->tensor()->flat<T>().data();
    T* velocity_w = count == 6 ? vars[3]->tensor()->flat<T>().data() : nullptr;
    T* velocity_b_vis = count == 6 ? vars[4]->tensor()->flat<T>().data() : nullptr;
    T* velocity_b_hid = count == 6 ? vars[5]->tensor()->flat<T>().data() : nullptr;

    // CD-k (the chains are the data) takes p(h | v) and, for k >= 1, the
    // reconstruction from the chain itself; otherwise the data get a run of
    // their own: 0 sweeps, or 1 for the reconstruction, on the stream
    // seed.stream ^ 2^63 (apart from the chains' and any replica's).
    const bool chains_are_data = chains.flat<T>().data() == v.flat<T>().data() && M == B;
    const bool own_data_run = !chains_are_data || (by_products_ && sweeps == 0);
    Tensor chain_temps[5];
    GibbsProblem<T> chain;
    GibbsProblem<T> chain_run_products = chain_products;
    if (!own_data_run) {  // the chains are the data: one run computes everything
      chain_run_products.flip = data_products.flip;
      chain_run_products.h0_softplus = data_products.h0_softplus;
      chain_run_products.flipped_softplus = data_products.flipped_softplus;
      chain_run_products.reconstruction_error = data_products.reconstruction_error;
    }
    OP_REQUIRES_OK(ctx, Sample<T>(ctx, chains.flat<T>().data(), M, V, H, w, b_vis, b_hid, sweeps,
                                  seed, outputs[0]->flat<T>().data(), chain_temps, &chain,
                                  chain_run_products));
    const T* h_pos = chain.h0_prob;
    Tensor data_temps[5];
    if (own_data_run) {
      GibbsProblem<T> data;
      const PhiloxSeed data_seed{seed.key, seed.stream ^ (uint64_t{1} << 63)};
      OP_REQUIRES_OK(ctx, Sample<T>(ctx, v.flat<T>().data(), B, V, H, w, b_vis, b_hid,
                                    by_products_ ? 1 : 0, data_seed, nullptr, data_temps, &data,
                                    data_products));
      h_pos = data.h0_prob;
    }

    CdProblem<T> update{};
    update.v_pos = v.flat<T>().data();
    update.h_pos = h_pos;
    update.v_neg = chain.v;
    update.h_neg = chain.h_prob;
    update.batch_pos = B;
    update.batch_neg = M;
    update.visible = V;
    update.hidden = H;
    update.grad_w = velocity_w != nullptr ? velocity_w : w;
    update.scale = learning_rate;
    update.accumulate = true;
    // Blocks of kCdCpuColumnBlock rows of W (the statistics kernel's unit); a
    // worker also updates the biases of its share of the columns.
    const int64_t blocks = (V + kCdCpuColumnBlock - 1) / kCdCpuColumnBlock;
    const int64_t cost_per_block = kCdCpuColumnBlock * (B + M) * (1 + H / 3);
    auto* workers = ctx->device()->tensorflow_cpu_worker_threads();
    ::tensorflow::Shard(workers->num_threads, workers->workers, blocks, cost_per_block,
                        [&](int64_t begin, int64_t end) {
                          const int64_t row_begin = begin * kCdCpuColumnBlock;
                          const int64_t row_end = std::min(V, end * kCdCpuColumnBlock);
                          if (velocity_w != nullptr) {  // m = momentum * m, then += lr * stats
                            for (int64_t i = row_begin * H; i < row_end * H; ++i) velocity_w[i] *= momentum;
                          }
                          cd_rows_cpu(update, row_begin, row_end);
                          if (velocity_w != nullptr) {  // W += m
                            for (int64_t i = row_begin * H; i < row_end * H; ++i) w[i] += velocity_w[i];
                          }
                          UpdateBiasColumns(update.v_pos, B, update.v_neg, M, V, learning_rate,
                                            row_begin, row_end, b_vis, velocity_b_vis, momentum);
                          UpdateBiasColumns(h_pos, B, update.h_neg, M, H, learning_rate,
                                            H * begin / blocks, H * end / blocks, b_hid,
                                            velocity_b_hid, momentum);
                        });
  }

 private:
  int num_velocities_ = 0;
  bool by_products_ = false;
};

}  // namespace

#define KGEN_REGISTER_CD_UPDATE_CPU(T)                                                       \
  REGISTER_KERNEL_BUILDER(                                                                  \
      Name("Kgen>CdUpdate").Device(::tensorflow::DEVICE_CPU).TypeConstraint<T>("T"),        \
      CdUpdateOp<T>)
KGEN_REGISTER_CD_UPDATE_CPU(float);
KGEN_REGISTER_CD_UPDATE_CPU(double);
#undef KGEN_REGISTER_CD_UPDATE_CPU

}  // namespace kgen
