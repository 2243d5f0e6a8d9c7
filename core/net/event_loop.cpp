#include "core/net/event_loop.hpp"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/util/error.hpp"

namespace dbsplit::net {
namespace {

constexpr int kMaxEvents = 256;
constexpr int kMaxRoundEndPasses = 8;

[[noreturn]] void fail(const std::string& what) {
  throw RuntimeError("serve: " + what + ": " + std::strerror(errno));
}

}  // namespace

EventLoop::EventLoop() {
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd_ < 0) fail("cannot create an epoll descriptor");
  wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_fd_ < 0) fail("cannot create an eventfd");
  watch(wake_fd_, EPOLLIN, [this](uint32_t) {
    uint64_t count;
    while (::read(wake_fd_, &count, sizeof count) > 0) {
    }
    drain_posted();
  });
}

EventLoop::~EventLoop() {
  if (wake_fd_ >= 0) ::close(wake_fd_);
  if (epoll_fd_ >= 0) ::close(epoll_fd_);
}

void EventLoop::watch(int fd, uint32_t events, Handler handler) {
  epoll_event ev{};
  ev.events = events;
  ev.data.fd = fd;
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) != 0) fail("cannot watch a descriptor");
  handlers_[fd] = std::make_shared<Handler>(std::move(handler));
}

void EventLoop::modify(int fd, uint32_t events) {
  epoll_event ev{};
  ev.events = events;
  ev.data.fd = fd;
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, fd, &ev) != 0) fail("cannot change a watched descriptor");
}

void EventLoop::unwatch(int fd) {
  epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
  handlers_.erase(fd);
}

void EventLoop::post(std::function<void()> fn) {
  {
    std::lock_guard<std::mutex> lock(posted_mutex_);
    posted_.push_back(std::move(fn));
  }
  uint64_t one = 1;
  // A full counter already means "wake up": nothing is lost when this write fails.
  (void)!::write(wake_fd_, &one, sizeof one);
}

void EventLoop::at_round_end(std::function<bool()> fn) { round_end_.push_back(std::move(fn)); }

void EventLoop::every(std::chrono::milliseconds period, std::function<void()> fn) {
  periodic_.push_back({period, std::chrono::steady_clock::now() + period, std::move(fn)});
}

void EventLoop::stop() {
  post([this] { stopping_ = true; });
}

void EventLoop::drain_posted() {
  std::vector<std::function<void()>> now;
  {
    std::lock_guard<std::mutex> lock(posted_mutex_);
    now.swap(posted_);
  }
  for (auto& fn : now) fn();
}

void EventLoop::run() {
  epoll_event events[kMaxEvents];
  while (!stopping_) {
    int timeout_ms = -1;
    auto now = std::chrono::steady_clock::now();
    for (const auto& p : periodic_) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(p.next - now).count();
      int ms = left < 0 ? 0 : static_cast<int>(left) + 1;
      if (timeout_ms < 0 || ms < timeout_ms) timeout_ms = ms;
    }
    int n = epoll_wait(epoll_fd_, events, kMaxEvents, timeout_ms);
    if (n < 0 && errno != EINTR) fail("epoll_wait failed");
    for (int i = 0; i < n; ++i) {
      auto it = handlers_.find(events[i].data.fd);
      if (it == handlers_.end()) continue;
      // A handler may unwatch itself (or others): hold it while it runs.
      std::shared_ptr<Handler> handler = it->second;
      (*handler)(events[i].events);
    }
    for (int pass = 0; pass < kMaxRoundEndPasses; ++pass) {
      bool again = false;
      for (auto& fn : round_end_) again = fn() || again;
      if (!again) break;
    }
    if (!periodic_.empty()) {
      now = std::chrono::steady_clock::now();
      for (auto& p : periodic_)
        if (now >= p.next) {
          p.next = now + p.period;
          p.fn();
        }
    }
  }
}

}  // namespace dbsplit::net
