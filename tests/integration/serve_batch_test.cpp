// Coalesced point lookups in `dbsplit serve` (core/runtime/key_lookups): many concurrent
// and pipelined GETs by key, of different, equal, missing and malformed keys, each get
// exactly their own answer; a key the database refuses inside a coalesced statement
// answers only itself; a read sent after a write was acknowledged sees that write.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <filesystem>
#include <map>
#include <regex>
#include <thread>

#include "tests/integration/serve_fixture.hpp"

using namespace dbsplit;
namespace fs = std::filesystem;

namespace {

struct Answer {
  int status = 0;
  std::string body;
  bool closes = false;  // carried "Connection: close"
};

// A raw HTTP/1.1 connection: sends bytes as given (several requests at once, or garbage)
// and reads answers back one by one.
class RawConnection {
 public:
  explicit RawConnection(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    timeval timeout{30, 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
      throw std::runtime_error("cannot connect to serve");
  }
  ~RawConnection() { ::close(fd_); }
  void send(const std::string& bytes) {
    for (size_t done = 0; done < bytes.size();) {
      ssize_t n = ::send(fd_, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
      if (n <= 0) throw std::runtime_error("send failed");
      done += static_cast<size_t>(n);
    }
  }
  // The next answer; status 0 when the connection ended first.
  Answer next() {
    Answer a;
    size_t end;
    while ((end = in_.find("\r\n\r\n")) == std::string::npos)
      if (!fill()) return a;
    std::string head = in_.substr(0, end);
    in_.erase(0, end + 4);
    a.status = std::stoi(head.substr(9, 3));
    std::smatch m;
    static const std::regex length("Content-Length: ([0-9]+)");
    size_t size = std::regex_search(head, m, length) ? std::stoul(m[1]) : 0;
    a.closes = head.find("Connection: close") != std::string::npos;
    while (in_.size() < size)
      if (!fill()) return Answer{};
    a.body = in_.substr(0, size);
    in_.erase(0, size);
    return a;
  }
  // True when the server closed the connection (after what was read).
  bool closed() { return in_.empty() && !fill(); }

 private:
  bool fill() {
    char buf[65536];
    ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) return false;
    in_.append(buf, static_cast<size_t>(n));
    return true;
  }
  int fd_ = -1;
  std::string in_;
};

std::string get(const std::string& path, bool close = false) {
  return "GET " + path + " HTTP/1.1\r\nHost: test\r\n" + (close ? "Connection: close\r\n" : "") +
         "\r\n";
}

// A directory for one test's plan and logs, removed when the test ends.
struct TempDir {
  explicit TempDir(const std::string& name)
      : path(fs::temp_directory_path() / ("dbsplit-" + name + "-" + std::to_string(getpid()))) {
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path, ignored);
  }
  std::string path;
};

// "dbsplit serve: N lookups by key in M statements" from serve's log.
std::pair<long, long> lookup_counts(const std::string& log) {
  std::smatch m;
  static const std::regex line("([0-9]+) lookups by key in ([0-9]+) statements");
  if (!std::regex_search(log, m, line)) return {-1, -1};
  return {std::stol(m[1]), std::stol(m[2])};
}

}  // namespace

TEST_CASE("concurrent lookups of different, equal and missing keys each get exactly their row") {
  std::string url = test::load_sample_database();
  TempDir temp("serve-batch");
  const std::string& dir = temp.path;
  plan::write_plan_file(test::sample_plan(url), dir + "/plan.json");
  // Two loops: connections are dealt out between them, each coalescing its own lookups.
  test::Served served(dir + "/plan.json", "orders", url, dir + "/orders.log",
                      {"--create-outbox", "--threads", "2"});
  REQUIRE(test::wait_for_health(served.port));

  // The oracle: what the table holds, read without serve.
  std::map<long, std::tuple<long, std::string, long>> orders;  // id → user_id, status, total
  long max_id = 0;
  {
    pqxx::connection conn(url);
    pqxx::work tx(conn);
    for (const auto& row : tx.exec("SELECT id, user_id, status, total_cents FROM orders")) {
      orders[row[0].as<long>()] = {row[1].as<long>(), row[2].as<std::string>(), row[3].as<long>()};
      max_id = std::max(max_id, row[0].as<long>());
    }
  }
  REQUIRE(orders.size() > 100);

  // Each thread pipelines its requests in one write; together they make rounds in which
  // many lookups of orders and order_items are in the server at once. Every fifth key
  // repeats one all threads ask for; some are missing, some malformed.
  constexpr int kThreads = 12, kPerThread = 60;
  struct Asked {
    std::string path;
    long id = 0;       // orders id asked for (0: not an orders lookup)
    int expect = 200;  // status
    std::string body;  // exact body expected, when known
  };
  std::vector<std::vector<Asked>> asked(kThreads);
  long lookups = 0;
  for (int t = 0; t < kThreads; ++t) {
    for (int i = 0; i < kPerThread; ++i) {
      Asked a;
      int pick = (t * 7 + i * 13) % 100;
      if (i % 5 == 0) {
        a.id = 42;
      } else if (pick < 8) {
        a.id = max_id + 1000 + t * kPerThread + i;  // missing
        a.expect = 404;
        a.body = "{\"error\":\"no row of public.orders with id = " + std::to_string(a.id) + "\"}";
      } else if (pick < 12) {
        a.path = "/orders/" + std::to_string(t) + "x";
        a.expect = 400;
        a.body = "{\"error\":\"id is bigint: expected an integer, got '" + std::to_string(t) +
                 "x'\",\"field\":\"id\"}";
      } else if (pick < 14) {
        a.path = "/no_such_things/1";
        a.expect = 404;
        a.body = "{\"error\":\"no such endpoint: GET /no_such_things/1\"}";
      } else if (pick < 20) {
        a.path = "/order_items/" + std::to_string(1 + (t + i) % 50) + "/1";
      } else {
        a.id = 1 + (t * 997 + i * 31) % max_id;
      }
      if (a.id) a.path = "/orders/" + std::to_string(a.id);
      if (a.id || a.path.rfind("/order_items/", 0) == 0) ++lookups;
      asked[t].push_back(a);
    }
  }
  // The same answers one request at a time, for equality of whole bodies.
  std::map<std::string, std::string> alone;
  {
    httplib::Client client("127.0.0.1", served.port);
    for (const auto& path : {std::string("/orders/42"), std::string("/order_items/7/1")}) {
      auto res = client.Get(path.c_str());
      REQUIRE(res);
      REQUIRE(res->status == 200);
      alone[path] = res->body;
      ++lookups;
    }
  }

  std::vector<std::vector<Answer>> answers(kThreads);
  std::atomic<int> garbage_status{0};
  std::atomic<bool> garbage_closed{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      RawConnection conn(served.port);
      std::string all;
      for (size_t i = 0; i < asked[t].size(); ++i)
        all += get(asked[t][i].path, i + 1 == asked[t].size());
      conn.send(all);
      for (size_t i = 0; i < asked[t].size(); ++i) answers[t].push_back(conn.next());
    });
  // A client that sends no HTTP at all, in the middle of it.
  threads.emplace_back([&] {
    RawConnection conn(served.port);
    conn.send("THIS IS NOT HTTP\r\n\r\n");
    Answer a = conn.next();
    garbage_status = a.status;
    garbage_closed = conn.closed();
  });
  for (auto& th : threads) th.join();

  CHECK(garbage_status == 400);
  CHECK(garbage_closed);
  for (int t = 0; t < kThreads; ++t) {
    REQUIRE(answers[t].size() == asked[t].size());
    for (size_t i = 0; i < asked[t].size(); ++i) {
      const Asked& a = asked[t][i];
      const Answer& got = answers[t][i];
      INFO(a.path << " -> " << got.status << " " << got.body);
      REQUIRE(got.status == a.expect);
      CHECK(got.closes == (i + 1 == asked[t].size()));
      if (!a.body.empty()) CHECK(got.body == a.body);
      if (alone.count(a.path)) CHECK(got.body == alone[a.path]);
      if (a.id && a.expect == 200) {
        auto row = nlohmann::json::parse(got.body);
        auto [user_id, status, total] = orders.at(a.id);
        CHECK(row["id"] == a.id);
        CHECK(row["user_id"] == user_id);
        CHECK(row["status"] == status);
        CHECK(row["total_cents"] == total);
      }
      if (a.path.rfind("/order_items/", 0) == 0) {
        auto row = nlohmann::json::parse(got.body);
        CHECK(a.path == "/order_items/" + std::to_string(row["order_id"].get<long>()) + "/" +
                            std::to_string(row["line_no"].get<long>()));
      }
    }
  }
  CHECK(served.process.stop() == 0);
  // Every well-formed lookup was counted, and they shared statements.
  auto [counted, statements] = lookup_counts(served.process.log());
  INFO(served.process.log().substr(
      served.process.log().size() > 2000 ? served.process.log().size() - 2000 : 0));
  CHECK(counted == lookups);
  CHECK(statements > 0);
  CHECK(statements * 4 <= counted);
}

TEST_CASE("a key the database refuses inside a coalesced statement answers only itself") {
  std::string url = test::fresh_database("parcels");
  test::exec_sql(url,
                 "CREATE TABLE parcels (id uuid PRIMARY KEY, label text NOT NULL);"
                 "INSERT INTO parcels VALUES ('11111111-1111-1111-1111-111111111111', 'one'),"
                 " ('22222222-2222-2222-2222-222222222222', 'two')");
  analysis::Analysis a;
  {
    pqxx::connection conn(url);
    a.schema = catalog::introspect(conn);
  }
  a.database = a.schema.database;
  a.services.push_back({"parcels", {"public.parcels"}, {"parcels"}});
  a.tables.push_back({"public.parcels", "parcels", analysis::Signal::pin, 1.0, "pinned"});
  a.matrix.push_back({"parcels", "public.parcels", 10, 10, 0});
  a.total_calls = 10;
  TempDir temp("serve-batch-uuid");
  const std::string& dir = temp.path;
  plan::write_plan_file(plan::build_plan(a), dir + "/plan.json");
  test::Served served(dir + "/plan.json", "parcels", url, dir + "/parcels.log");
  REQUIRE(test::wait_for_health(served.port));

  RawConnection conn(served.port);
  conn.send(get("/parcels/11111111-1111-1111-1111-111111111111") + get("/parcels/not-a-uuid") +
            get("/parcels/22222222-2222-2222-2222-222222222222") +
            get("/parcels/33333333-3333-3333-3333-333333333333") +
            get("/parcels/11111111-1111-1111-1111-111111111111"));
  std::vector<Answer> got;
  for (int i = 0; i < 5; ++i) got.push_back(conn.next());
  CHECK(got[0].status == 200);
  CHECK(got[0].body == R"({"id":"11111111-1111-1111-1111-111111111111","label":"one"})");
  CHECK(got[1].status == 400);
  CHECK(got[1].body == R"({"error":"invalid input syntax for type uuid: \"not-a-uuid\""})");
  CHECK(got[2].status == 200);
  CHECK(got[2].body == R"({"id":"22222222-2222-2222-2222-222222222222","label":"two"})");
  CHECK(got[3].status == 404);
  CHECK(got[3].body ==
        R"({"error":"no row of public.parcels with id = 33333333-3333-3333-3333-333333333333"})");
  CHECK(got[4].body == got[0].body);
  CHECK(served.process.stop() == 0);
}

TEST_CASE("a lookup sent after a write was acknowledged sees the write, under concurrent reads") {
  std::string url = test::load_sample_database();
  TempDir temp("serve-batch-ryw");
  const std::string& dir = temp.path;
  plan::write_plan_file(test::sample_plan(url), dir + "/plan.json");
  test::Served served(dir + "/plan.json", "orders", url, dir + "/orders.log");
  REQUIRE(test::wait_for_health(served.port));

  // Readers keep lookups of the same order in flight the whole time, so each checking
  // read lands in a round where other statements for that key are already on their way.
  std::atomic<bool> stop{false};
  std::vector<std::thread> readers;
  for (int r = 0; r < 4; ++r)
    readers.emplace_back([&] {
      httplib::Client client("127.0.0.1", served.port);
      client.set_keep_alive(true);
      while (!stop) client.Get("/orders/5");
    });
  httplib::Client writer("127.0.0.1", served.port), reader("127.0.0.1", served.port);
  writer.set_keep_alive(true);
  reader.set_keep_alive(true);
  const std::vector<std::string> states = {"paid", "shipped", "cancelled", "pending"};
  int seen_right = 0;
  for (int i = 0; i < 40; ++i) {
    std::string state = states[static_cast<size_t>(i) % states.size()];
    auto written = writer.Patch("/orders/5", "{\"status\": \"" + state + "\"}", "application/json");
    REQUIRE(written);
    REQUIRE(written->status == 200);
    auto read = reader.Get("/orders/5");
    REQUIRE(read);
    REQUIRE(read->status == 200);
    CHECK(nlohmann::json::parse(read->body)["status"] == state);
    seen_right += nlohmann::json::parse(read->body)["status"] == state ? 1 : 0;
  }
  stop = true;
  for (auto& t : readers) t.join();
  CHECK(seen_right == 40);
  CHECK(served.process.stop() == 0);
}
