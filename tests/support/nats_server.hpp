#pragma once
// A real nats-server with JetStream for the relay tests: started through the same code as
// `dbsplit local nats start` on a free port with its store in a temporary directory, killed
// with the test process, stopped (and the directory removed) by the destructor.
#include <string>

namespace dbsplit::test {

class NatsServer {
 public:
  // Starts `nats-server -js -sd DIR/jetstream -a 127.0.0.1 -p PORT` and waits until it
  // accepts connections. Throws dbsplit::RuntimeError with the server's log when it does not.
  NatsServer();
  ~NatsServer();
  NatsServer(const NatsServer&) = delete;
  NatsServer& operator=(const NatsServer&) = delete;

  // nats://127.0.0.1:PORT
  std::string url() const;
  int port() const { return port_; }
  // SIGTERM and wait; the URL then refuses connections. No-op when stopped.
  void stop();
  // Starts it again on the same port with the same store (after stop(), or after a kill).
  void start();
  // The server's pid (0 when not running).
  int pid() const;

 private:
  std::string dir_;
  int port_ = 0;
};

}  // namespace dbsplit::test
