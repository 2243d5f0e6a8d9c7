#pragma once
// Threads for handlers that block (the routes marked RunOn::worker): a task queue
// served by a fixed number of threads, joined on destruction after the queue drains.
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace dbsplit::net {

class WorkerPool {
 public:
  // Threads start with every signal blocked (signals are the loop's).
  explicit WorkerPool(size_t threads);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;
  void submit(std::function<void()> task);

 private:
  void run();
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> tasks_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace dbsplit::net
