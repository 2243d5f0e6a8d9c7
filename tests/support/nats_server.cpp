#include "tests/support/nats_server.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

#include "core/broker/local_nats.hpp"

namespace dbsplit::test {

NatsServer::NatsServer() {
  char tmpl[] = "/tmp/dbsplit-nats-XXXXXX";
  if (mkdtemp(tmpl) == nullptr) throw std::runtime_error("cannot create a directory for nats");
  dir_ = tmpl;
  broker::LocalNatsOptions options;
  options.dir = dir_;
  options.lifetime = broker::LocalNatsOptions::Lifetime::tied_to_caller;
  try {
    std::string url = broker::start_local_nats(options);
    port_ = std::stoi(url.substr(url.rfind(':') + 1));
  } catch (...) {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
    throw;
  }
}

NatsServer::~NatsServer() {
  try {
    broker::stop_local_nats(dir_, broker::Remove::yes);
  } catch (...) {
    // The directory is under /tmp; a failed cleanup must not abort the test run.
  }
}

std::string NatsServer::url() const { return "nats://127.0.0.1:" + std::to_string(port_); }

void NatsServer::stop() { broker::stop_local_nats(dir_, broker::Remove::no); }

void NatsServer::start() {
  broker::LocalNatsOptions options;
  options.dir = dir_;
  options.port = port_;
  options.lifetime = broker::LocalNatsOptions::Lifetime::tied_to_caller;
  broker::start_local_nats(options);
}

int NatsServer::pid() const {
  std::ifstream in(dir_ + "/nats.pid");
  int pid = 0;
  in >> pid;
  return pid;
}

}  // namespace dbsplit::test
