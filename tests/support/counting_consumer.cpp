// A consumer that counts events: each event it applies adds 1 to counter.events in its
// database, in the transaction that records the event in the inbox. The fault tests kill
// it with SIGKILL and check the count equals the number of source changes: no event lost,
// none counted twice. Also the smallest example of an EventHandler (core/events/consumer.hpp).
//
//   counting_consumer --db URL --nats URL --source SERVICE [--holder NAME]
#include <signal.h>

#include <atomic>
#include <cstring>
#include <iostream>
#include <string>

#include "core/events/consumer.hpp"
#include "core/util/error.hpp"

namespace {

std::atomic<bool> g_stop{false};
void on_stop(int) { g_stop = true; }

struct Counter : dbsplit::events::EventHandler {
  bool wants(const dbsplit::events::ConsumedEvent&) const override { return true; }
  void apply(pqxx::work& tx, const dbsplit::events::ConsumedEvent&) override {
    tx.exec("UPDATE counter SET events = events + 1");
  }
};

}  // namespace

int main(int argc, char** argv) {
  dbsplit::events::ConsumerOptions options;
  options.holder = "counter";
  options.ack_wait_seconds = 3;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--db") options.db_url = value;
    if (flag == "--nats") options.nats_url = value;
    if (flag == "--source") options.sources.push_back(value);
    if (flag == "--holder") options.holder = value;
    if (flag == "--batch") options.batch = std::stoi(value);
  }
  signal(SIGTERM, on_stop);
  signal(SIGINT, on_stop);
  try {
    {
      pqxx::connection db(options.db_url);
      pqxx::work tx(db);
      tx.exec("CREATE TABLE IF NOT EXISTS counter (events bigint NOT NULL)");
      tx.exec("INSERT INTO counter SELECT 0 WHERE NOT EXISTS (SELECT 1 FROM counter)");
      tx.commit();
    }
    Counter counter;
    dbsplit::events::ConsumerLog log;
    log.line = [](const std::string& line) { std::cerr << line << std::endl; };
    dbsplit::events::run_consumer(options, {&counter}, g_stop, log);
  } catch (const std::exception& e) {
    std::cerr << "counting_consumer: " << e.what() << std::endl;
    return 1;
  }
  return 0;
}
