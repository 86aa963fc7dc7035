// Philox-4x32-10: the counter-based random number generator of Salmon et al.,
// "Parallel random numbers: as easy as 1, 2, 3" (SC 2011), the same bijection
// as Random123's philox4x32_R(10, ...) and TensorFlow's PhiloxRandom.
//
// A 128-bit counter and a 64-bit key go through 10 rounds; each round does two
// 32x32->64 multiplications and XORs the key in, and the key is bumped by the
// Weyl constants between rounds. The result is four 32-bit words.
//
// kgen addresses the stream by position, never by state: element i of the
// stream for seed (s0, s1) is word (i mod 4) of
//     philox4x32_10(counter = {lo(i/4), hi(i/4), lo(s1), hi(s1)},
//                   key     = {lo(s0), hi(s0)}),
// which is exactly TensorFlow's
//     StatelessRandomUniformFullIntV2(key=[s0], counter=[0, s1], alg=1, uint32)
// so any thread (CPU or GPU) can draw any element, and results do not depend on
// the thread count or the device.
//
// This header is plain C++17 (no TensorFlow, no Python) and is also compiled by
// nvcc for the CUDA kernels, hence KGEN_HOST_DEVICE.
#ifndef KGEN_CC_PHILOX_PHILOX_H_
#define KGEN_CC_PHILOX_PHILOX_H_

#include <cstdint>

#if defined(__CUDACC__)
#define KGEN_HOST_DEVICE __host__ __device__ __forceinline__
#else
#define KGEN_HOST_DEVICE inline
#endif

namespace kgen {

struct PhiloxBlock {
  uint32_t word[4];
};

// Multiplier and Weyl (key bump) constants of Philox-4x32.
constexpr uint32_t kPhiloxM0 = 0xD2511F53u;
constexpr uint32_t kPhiloxM1 = 0xCD9E8D57u;
constexpr uint32_t kPhiloxW0 = 0x9E3779B9u;
constexpr uint32_t kPhiloxW1 = 0xBB67AE85u;

// The 4x32-10 bijection: 10 rounds over the counter, the key bumped between
// rounds (9 bumps; the first round uses the key as given).
KGEN_HOST_DEVICE PhiloxBlock philox4x32_10(PhiloxBlock counter, uint32_t key0,
                                           uint32_t key1) {
  uint32_t c0 = counter.word[0], c1 = counter.word[1];
  uint32_t c2 = counter.word[2], c3 = counter.word[3];
#if defined(__CUDACC__)
#pragma unroll
#endif
  for (int round = 0; round < 10; ++round) {
    if (round > 0) {
      key0 += kPhiloxW0;
      key1 += kPhiloxW1;
    }
    const uint64_t product0 = static_cast<uint64_t>(kPhiloxM0) * c0;
    const uint64_t product1 = static_cast<uint64_t>(kPhiloxM1) * c2;
    const uint32_t hi0 = static_cast<uint32_t>(product0 >> 32);
    const uint32_t lo0 = static_cast<uint32_t>(product0);
    const uint32_t hi1 = static_cast<uint32_t>(product1 >> 32);
    const uint32_t lo1 = static_cast<uint32_t>(product1);
    c0 = hi1 ^ c1 ^ key0;
    c1 = lo1;
    c2 = hi0 ^ c3 ^ key1;
    c3 = lo0;
  }
  return PhiloxBlock{{c0, c1, c2, c3}};
}

// The seed of a kgen stream: s0 is the Philox key, s1 the high 64 bits of the
// counter (its low 64 bits count blocks of four words).
struct PhiloxSeed {
  uint64_t key;
  uint64_t stream;
};

// Block `block` (words 4*block .. 4*block+3) of the stream `seed`.
KGEN_HOST_DEVICE PhiloxBlock philox_block(PhiloxSeed seed, uint64_t block) {
  PhiloxBlock counter{{static_cast<uint32_t>(block),
                       static_cast<uint32_t>(block >> 32),
                       static_cast<uint32_t>(seed.stream),
                       static_cast<uint32_t>(seed.stream >> 32)}};
  return philox4x32_10(counter, static_cast<uint32_t>(seed.key),
                       static_cast<uint32_t>(seed.key >> 32));
}

// Word -> float32 in [0, 1): the top 24 bits times 2^-24. Every value is a
// multiple of 2^-24, exactly representable, uniform over 2^24 levels; 1.0 is
// never produced, 0.0 is (with probability 2^-24).
KGEN_HOST_DEVICE float uint32_to_unit_float(uint32_t word) {
  return static_cast<float>(word >> 8) * (1.0f / 16777216.0f);
}

}  // namespace kgen

#endif  // KGEN_CC_PHILOX_PHILOX_H_
