#pragma once
// One thread's epoll loop (docs/serve.md, "How a request is served"). It watches file
// descriptors (client sockets, database sockets, signals), runs functions other threads
// post to it, and after each round of ready descriptors runs the round-end hooks: that is
// where work queued during the round leaves together (point lookups as one statement,
// responses as one send per connection). Everything registered runs on the loop thread.
//
// Written on epoll directly rather than on Boost.Asio or libevent: the loop has to own
// libpq's sockets as well as the clients' and decide when a round ends, which is a
// hundred lines here and an adapter layer over either library.
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace dbsplit::net {

class EventLoop {
 public:
  using Handler = std::function<void(uint32_t events)>;

  // Throws RuntimeError when the kernel refuses an epoll or eventfd descriptor.
  EventLoop();
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // Calls `handler` with the epoll events (EPOLLIN, EPOLLOUT, ...) whenever `fd` is ready.
  // Level-triggered. Throws RuntimeError when epoll refuses the descriptor.
  void watch(int fd, uint32_t events, Handler handler);
  void modify(int fd, uint32_t events);
  // Forgets `fd` (before it is closed); events already collected for it are dropped.
  void unwatch(int fd);

  // Runs `fn` on the loop thread soon; callable from any thread.
  void post(std::function<void()> fn);
  // Runs `fn` after every round of events, in the order added; `fn` returns true when
  // it did something, and the hooks run again until none did (work one hook leaves,
  // such as an answer to write, is not left waiting for the next event).
  void at_round_end(std::function<bool()> fn);
  // Runs `fn` about every `period` (idle timeouts and the like).
  void every(std::chrono::milliseconds period, std::function<void()> fn);

  // Runs rounds until stop() is called (from the loop thread or any other).
  void run();
  void stop();

 private:
  void drain_posted();
  int epoll_fd_ = -1;
  int wake_fd_ = -1;
  bool stopping_ = false;
  std::unordered_map<int, std::shared_ptr<Handler>> handlers_;
  std::vector<std::function<bool()>> round_end_;
  struct Periodic {
    std::chrono::milliseconds period;
    std::chrono::steady_clock::time_point next;
    std::function<void()> fn;
  };
  std::vector<Periodic> periodic_;
  std::mutex posted_mutex_;
  std::vector<std::function<void()>> posted_;
};

}  // namespace dbsplit::net
