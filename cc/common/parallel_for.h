// A small fork-join helper for the pybind11 path (TensorFlow kernels use
// TensorFlow's own intra-op thread pool instead).
//
// parallel_for(n, num_threads, fn) calls fn(begin, end) on disjoint ranges that
// cover [0, n). Work is split into contiguous ranges, one per thread, so results
// never depend on the split as long as fn(begin, end) only writes its own range.
#ifndef KGEN_CC_COMMON_PARALLEL_FOR_H_
#define KGEN_CC_COMMON_PARALLEL_FOR_H_

#include <algorithm>
#include <cstdint>
#include <exception>
#include <thread>
#include <vector>

namespace kgen {

// Number of worker threads to use when the caller asks for 0 ("all cores").
inline int resolve_num_threads(int num_threads) {
  if (num_threads > 0) return num_threads;
  const unsigned hardware = std::thread::hardware_concurrency();
  return hardware == 0 ? 1 : static_cast<int>(hardware);
}

template <typename Fn>
void parallel_for(int64_t n, int num_threads, int64_t min_items_per_thread, Fn fn) {
  if (n <= 0) return;
  int64_t threads = resolve_num_threads(num_threads);
  threads = std::min<int64_t>(threads, std::max<int64_t>(1, n / std::max<int64_t>(1, min_items_per_thread)));
  if (threads <= 1) {
    fn(int64_t{0}, n);
    return;
  }
  const int64_t chunk = (n + threads - 1) / threads;
  std::vector<std::thread> workers;
  std::vector<std::exception_ptr> errors(threads);
  workers.reserve(threads - 1);
  for (int64_t t = 1; t < threads; ++t) {
    const int64_t begin = t * chunk, end = std::min(n, begin + chunk);
    if (begin >= end) break;
    workers.emplace_back([&, t, begin, end] {
      try {
        fn(begin, end);
      } catch (...) {
        errors[t] = std::current_exception();
      }
    });
  }
  try {
    fn(int64_t{0}, std::min(n, chunk));
  } catch (...) {
    errors[0] = std::current_exception();
  }
  for (auto& worker : workers) worker.join();
  for (auto& error : errors) {
    if (error) std::rethrow_exception(error);
  }
}

}  // namespace kgen

#endif  // KGEN_CC_COMMON_PARALLEL_FOR_H_
