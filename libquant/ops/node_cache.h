// State a kernel keeps across runs of one node: built once on first use for a given key (say, the
// input shape and layout), then shared read-only by every thread running the graph. The interpreter
// owns one per node; entries live as long as the interpreter.
#pragma once
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

namespace quant::ops {

class NodeCache {
 public:
  // The entry for `key`, made by make() (returning a T) the first time. make() runs under the
  // cache's lock: concurrent first uses build it once.
  template <typename T, typename Make>
  std::shared_ptr<const T> get(const std::string& key, Make&& make) {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(key);
    if (it == entries_.end()) it = entries_.emplace(key, std::make_shared<const T>(make())).first;
    return std::static_pointer_cast<const T>(it->second);
  }

 private:
  std::mutex mutex_;
  std::unordered_map<std::string, std::shared_ptr<const void>> entries_;
};

// The cache's entry for `key` when there is a cache (the interpreter's runs), else a fresh one
// (a kernel called directly, as the tests do).
template <typename T, typename Make>
std::shared_ptr<const T> cached(NodeCache* cache, const std::string& key, Make&& make) {
  return cache ? cache->get<T>(key, make) : std::make_shared<const T>(make());
}

}  // namespace quant::ops
