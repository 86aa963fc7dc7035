// CPU fill of a Philox stream (scalar code). This is the kernel the TensorFlow CPU
// op and the pybind11 module both run; each caller splits [0, num_blocks) over
// its own threads, and because every element is addressed by position the
// result is the same for any split.
#ifndef KGEN_CC_PHILOX_PHILOX_CPU_H_
#define KGEN_CC_PHILOX_PHILOX_CPU_H_

#include <cstdint>

#include "philox/philox.h"

namespace kgen {

// Number of four-word Philox blocks needed for n elements.
inline int64_t philox_num_blocks(int64_t n) { return (n + 3) / 4; }

inline void philox_store(uint32_t word, uint32_t* out) { *out = word; }
inline void philox_store(uint32_t word, float* out) { *out = uint32_to_unit_float(word); }

// Writes elements [4*begin_block, min(n, 4*end_block)) of the stream `seed`
// into out[...]. T is uint32_t (raw words) or float ([0, 1) floats).
template <typename T>
void philox_fill_blocks_cpu(T* out, int64_t n, PhiloxSeed seed, int64_t begin_block,
                            int64_t end_block) {
  for (int64_t block = begin_block; block < end_block; ++block) {
    const PhiloxBlock words = philox_block(seed, static_cast<uint64_t>(block));
    const int64_t first = 4 * block;
    const int64_t count = n - first < 4 ? n - first : 4;
    for (int64_t j = 0; j < count; ++j) philox_store(words.word[j], out + first + j);
  }
}

}  // namespace kgen

#endif  // KGEN_CC_PHILOX_PHILOX_CPU_H_
