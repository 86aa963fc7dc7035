// Contrastive-divergence statistics of a binary RBM: the weight part of the
// positive phase minus the negative phase,
//     grad_w = v_pos^T h_pos / B  -  v_neg^T h_neg / M        [V, H]
// with v_pos [B, V], h_pos [B, H] (data and p(h | data)) and v_neg [M, V],
// h_neg [M, H] (chain states and p(h | chain)). This is the CD estimate of
// d log-likelihood / dW (Hinton 2002); an optimizer minimising takes -grad_w.
//
// The visible factors are 0/1 states (or mostly zeros), so row i of grad_w is
// a scaled sum of the rows of h_pos and h_neg whose v_i is nonzero:
//     grad_w[i, :] = sum_{b: v_pos[b,i] != 0} v_pos[b,i] / B * h_pos[b, :]
//                  - sum_{m: v_neg[m,i] != 0} v_neg[m,i] / M * h_neg[m, :]
// summed in that order (positive rows by b, then negative rows by m) by the
// CPU kernel (cd_statistics_cpu_impl.h), the CUDA kernel (cd_statistics.cu)
// and the NumPy reference (kgen_ops/reference/cd_statistics.py).
#ifndef KGEN_CC_CD_STATISTICS_CD_STATISTICS_H_
#define KGEN_CC_CD_STATISTICS_CD_STATISTICS_H_

#include <cstdint>

namespace kgen {

template <typename T>
struct CdProblem {
  const T* v_pos;      // [B, V]
  const T* h_pos;      // [B, H]
  const T* v_neg;      // [M, V]
  const T* h_neg;      // [M, H]
  int64_t batch_pos;   // B >= 1
  int64_t batch_neg;   // M >= 1
  int64_t visible;     // V
  int64_t hidden;      // H
  T* grad_w;           // [V, H] out (in and out when `accumulate`)
  // grad_w = (accumulate ? grad_w : 0) + scale * (the statistics above), the
  // sum starting from the old value and adding the rows scaled by
  // scale * v / B and -scale * v / M: with scale = the learning rate and
  // accumulate, one SGD ascent step on W in place (kgen_ops.cd_update).
  T scale = T(1);
  bool accumulate = false;
};

}  // namespace kgen

#endif  // KGEN_CC_CD_STATISTICS_CD_STATISTICS_H_
