// `dbsplit local nats start|url|stop` against a real nats-server: the printed URL serves
// JetStream, start is idempotent, stop refuses connections, --remove deletes the directory,
// a killed server is replaced, and bad input gets the documented message and exit code.
#include "core/broker/local_nats.hpp"

#include <arpa/inet.h>
#include <nats/nats.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "core/util/process.hpp"

namespace dbsplit::test {
namespace {

namespace fs = std::filesystem;

ProcessResult dbsplit(std::vector<std::string> args) {
  args.insert(args.begin(), std::getenv("DBSPLIT_BIN"));
  return run_process(args);
}

// A fresh directory under /tmp removed at the end of the test, and DIR/nats inside it.
struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/dbsplit-local-nats-XXXXXX";
    REQUIRE(mkdtemp(tmpl) != nullptr);
    path = tmpl;
  }
  ~TempDir() {
    run_process({std::getenv("DBSPLIT_BIN"), "local", "nats", "stop", "--dir", nats()});
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::string nats() const { return path + "/nats"; }
};

// What a client of the URL sees: "jetstream" when it connects and JetStream answers,
// else the connect error.
std::string client_sees(const std::string& url) {
  natsConnection* nc = nullptr;
  natsOptions* opts = nullptr;
  natsOptions_Create(&opts);
  natsOptions_SetURL(opts, url.c_str());
  natsOptions_SetMaxReconnect(opts, 0);
  natsStatus s = natsConnection_Connect(&nc, opts);
  natsOptions_Destroy(opts);
  if (s != NATS_OK) return natsStatus_GetText(s);
  jsCtx* js = nullptr;
  jsAccountInfo* info = nullptr;
  jsErrCode err = static_cast<jsErrCode>(0);
  std::string result = "no jetstream";
  if (natsConnection_JetStream(&js, nc, nullptr) == NATS_OK &&
      js_GetAccountInfo(&info, js, nullptr, &err) == NATS_OK)
    result = "jetstream";
  if (info != nullptr) jsAccountInfo_Destroy(info);
  jsCtx_Destroy(js);
  natsConnection_Destroy(nc);
  return result;
}

int pid_in(const std::string& dir) {
  std::ifstream in(dir + "/nats.pid");
  int pid = 0;
  in >> pid;
  return pid;
}

const std::regex url_line(R"(nats://127\.0\.0\.1:[0-9]+\n)");

}  // namespace

TEST_CASE("local nats start serves JetStream at the URL it prints; url, stop and --remove",
          "[local_nats]") {
  TempDir tmp;
  ProcessResult start = dbsplit({"local", "nats", "start", "--dir", tmp.nats()});
  REQUIRE(start.exit_code == 0);
  REQUIRE(std::regex_match(start.output, url_line));
  std::string url = start.output.substr(0, start.output.size() - 1);
  CHECK(client_sees(url) == "jetstream");
  CHECK(fs::is_directory(tmp.nats() + "/jetstream"));
  CHECK(fs::exists(tmp.nats() + "/nats.log"));
  int pid = pid_in(tmp.nats());
  CHECK(pid > 0);

  // Idempotent: the running server's URL again, no second server.
  ProcessResult again = dbsplit({"local", "nats", "start", "--dir", tmp.nats()});
  CHECK(again.exit_code == 0);
  CHECK(again.output == start.output);
  CHECK(pid_in(tmp.nats()) == pid);
  ProcessResult url_run = dbsplit({"local", "nats", "url", "--dir", tmp.nats()});
  CHECK(url_run.exit_code == 0);
  CHECK(url_run.output == start.output);

  ProcessResult stop = dbsplit({"local", "nats", "stop", "--dir", tmp.nats()});
  CHECK(stop.exit_code == 0);
  CHECK(stop.output.empty());
  CHECK(client_sees(url) == "No server available for connection");
  CHECK(fs::is_directory(tmp.nats() + "/jetstream"));
  ProcessResult url_stopped = dbsplit({"local", "nats", "url", "--dir", tmp.nats()});
  CHECK(url_stopped.exit_code == 1);
  CHECK(url_stopped.output == "dbsplit: error: the NATS server in " + tmp.nats() +
                                  " is not running; start it with `dbsplit local nats start "
                                  "--dir " +
                                  tmp.nats() + "`\n");
  // Stopping a stopped server is fine.
  CHECK(dbsplit({"local", "nats", "stop", "--dir", tmp.nats()}).exit_code == 0);

  // Started again: the same port, so URLs handed out before stay valid.
  ProcessResult restart = dbsplit({"local", "nats", "start", "--dir", tmp.nats()});
  CHECK(restart.exit_code == 0);
  CHECK(restart.output == start.output);
  CHECK(client_sees(url) == "jetstream");

  ProcessResult remove = dbsplit({"local", "nats", "stop", "--dir", tmp.nats(), "--remove"});
  CHECK(remove.exit_code == 0);
  CHECK(remove.output.empty());
  CHECK_FALSE(fs::exists(tmp.nats()));
  CHECK(client_sees(url) == "No server available for connection");
}

TEST_CASE("local nats start after a killed server starts a new one", "[local_nats]") {
  TempDir tmp;
  ProcessResult start = dbsplit({"local", "nats", "start", "--dir", tmp.nats()});
  REQUIRE(start.exit_code == 0);
  std::string url = start.output.substr(0, start.output.size() - 1);
  int old_pid = pid_in(tmp.nats());
  REQUIRE(old_pid > 0);
  REQUIRE(kill(old_pid, SIGKILL) == 0);
  while (client_sees(url) == "jetstream")
    std::this_thread::sleep_for(std::chrono::milliseconds(20));

  // The pid file names a dead process: url says so, start replaces it.
  CHECK(dbsplit({"local", "nats", "url", "--dir", tmp.nats()}).exit_code == 1);
  ProcessResult restart = dbsplit({"local", "nats", "start", "--dir", tmp.nats()});
  CHECK(restart.exit_code == 0);
  REQUIRE(std::regex_match(restart.output, url_line));
  int new_pid = pid_in(tmp.nats());
  CHECK(new_pid > 0);
  CHECK(new_pid != old_pid);
  CHECK(client_sees(restart.output.substr(0, restart.output.size() - 1)) == "jetstream");
}

TEST_CASE("local nats start on a taken port, a different port, or a file exits with the reason",
          "[local_nats]") {
  TempDir tmp;
  // Something else listens on the port.
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(listen(fd, 4) == 0);
  REQUIRE(getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
  std::string taken = std::to_string(ntohs(addr.sin_port));
  ProcessResult busy = dbsplit({"local", "nats", "start", "--dir", tmp.nats(), "--port", taken});
  close(fd);
  CHECK(busy.exit_code == 1);
  CHECK(busy.output == "dbsplit: error: port " + taken +
                           " on 127.0.0.1 is already in use; pass another --port or leave it "
                           "out to get a free one\n");
  CHECK(dbsplit({"local", "nats", "url", "--dir", tmp.nats()}).exit_code == 2);

  ProcessResult start = dbsplit({"local", "nats", "start", "--dir", tmp.nats()});
  REQUIRE(start.exit_code == 0);
  std::string port = start.output.substr(start.output.rfind(':') + 1);
  port.pop_back();
  std::string other = port == "4999" ? "4998" : "4999";
  ProcessResult clash = dbsplit({"local", "nats", "start", "--dir", tmp.nats(), "--port", other});
  CHECK(clash.exit_code == 2);
  CHECK(clash.output == "dbsplit: error: the NATS server in " + tmp.nats() +
                            " already runs on port " + port + ", not " + other +
                            "; stop it first with `dbsplit local nats stop --dir " + tmp.nats() +
                            "`\n");

  std::string file = tmp.path + "/a-file";
  std::ofstream(file) << "x\n";
  ProcessResult on_file = dbsplit({"local", "nats", "start", "--dir", file});
  CHECK(on_file.exit_code == 2);
  CHECK(on_file.output == "dbsplit: error: --dir " + file +
                              " exists and is not a directory; give a directory for the NATS "
                              "server's store and log\n");
  ProcessResult under_file = dbsplit({"local", "nats", "start", "--dir", file + "/nats"});
  CHECK(under_file.exit_code == 1);
  CHECK(under_file.output == "dbsplit: error: cannot create " + file +
                                 "/nats: Not a directory; choose a writable --dir\n");

  ProcessResult bad_port =
      dbsplit({"local", "nats", "start", "--dir", tmp.nats(), "--port", "70000"});
  CHECK(bad_port.exit_code == 2);
  CHECK(bad_port.output ==
        "dbsplit: error: --port: Value 70000 not in range 1 to 65535\n"
        "Run `dbsplit --help` for usage.\n");
}

TEST_CASE("local nats url and stop on a directory without a server, and nats-server missing",
          "[local_nats]") {
  TempDir tmp;
  for (std::string command : {"url", "stop"}) {
    ProcessResult run = dbsplit({"local", "nats", command, "--dir", tmp.path});
    CHECK(run.exit_code == 2);
    CHECK(run.output == "dbsplit: error: " + tmp.path +
                            " holds no dbsplit local NATS server (no nats.port); start one with "
                            "`dbsplit local nats start --dir " +
                            tmp.path + "`\n");
  }
  CHECK(fs::is_directory(tmp.path));

  ProcessResult missing = run_process({"env", "PATH=" + tmp.path, std::getenv("DBSPLIT_BIN"),
                                       "local", "nats", "start", "--dir", tmp.nats()});
  CHECK(missing.exit_code == 1);
  CHECK(missing.output ==
        "dbsplit: error: nats-server not found in PATH; install it with scripts/install-deps.sh "
        "(Debian package nats-server)\n");
}

}  // namespace dbsplit::test
