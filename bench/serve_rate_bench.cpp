// A fixed-rate (open-loop) HTTP load generator for `dbsplit serve`: request i is due at
// t0 + offset(i) whatever happened to the requests before it, and its latency is measured
// from that due time, not from when a connection was free to send it. A closed-loop tool
// (wrk) waits for a reply before sending the next request, so a stall delays the requests
// behind it without counting them ("coordinated omission"); here the wait is counted.
//
// usage: serve_rate_bench --url http://127.0.0.1:8080 --path '/orders/{id}' --max-id N
//          --rate R --seconds S --connections C [--arrivals uniform|poisson] [--seed N]
//   {id} in the path becomes a uniform random integer in [1, N] per request. Arrivals are
//   evenly spaced (uniform, offset i/R) or a Poisson process of rate R (pgbench -R's
//   schedule). Prints the achieved rate, errors (non-2xx or no answer) and the
//   p50/p90/p99/p99.9/max latency in milliseconds.
#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  std::string url;
  std::string path;
  long long max_id = 0;
  double rate = 0;
  double seconds = 0;
  int connections = 0;
  bool poisson = false;
  unsigned seed = 42;
};

[[noreturn]] void usage(const std::string& problem) {
  std::fprintf(stderr,
               "serve_rate_bench: %s\nusage: serve_rate_bench --url URL --path '/orders/{id}' "
               "--max-id N --rate R --seconds S --connections C [--arrivals uniform|poisson] "
               "[--seed N]\n",
               problem.c_str());
  std::exit(2);
}

Options parse(int argc, char** argv) {
  std::map<std::string, std::string> args;
  for (int i = 1; i < argc; i += 2) {
    if (i + 1 >= argc) usage(std::string("missing value after ") + argv[i]);
    args[argv[i]] = argv[i + 1];
  }
  auto take = [&](const std::string& name) {
    auto it = args.find(name);
    if (it == args.end()) usage(name + " is required");
    std::string value = it->second;
    args.erase(it);
    return value;
  };
  Options o;
  try {
    o.url = take("--url");
    o.path = take("--path");
    o.max_id = std::stoll(take("--max-id"));
    o.rate = std::stod(take("--rate"));
    o.seconds = std::stod(take("--seconds"));
    o.connections = std::stoi(take("--connections"));
    if (args.count("--arrivals")) {
      std::string arrivals = take("--arrivals");
      if (arrivals != "uniform" && arrivals != "poisson")
        usage("--arrivals is uniform or poisson, not " + arrivals);
      o.poisson = arrivals == "poisson";
    }
    if (args.count("--seed")) o.seed = static_cast<unsigned>(std::stoul(take("--seed")));
  } catch (const std::logic_error&) {
    usage("a numeric argument is not a number");
  }
  if (!args.empty()) usage("unknown argument " + args.begin()->first);
  if (o.path.find("{id}") == std::string::npos) usage("--path needs an {id} placeholder");
  if (o.max_id < 1 || o.rate <= 0 || o.seconds <= 0 || o.connections < 1)
    usage("--max-id, --rate, --seconds and --connections must be positive");
  return o;
}

// Due offsets from t0 of every request of the run, in nanoseconds, ascending.
std::vector<long long> schedule(const Options& o) {
  std::vector<long long> due;
  const double interval_ns = 1e9 / o.rate;
  const double end_ns = o.seconds * 1e9;
  std::mt19937_64 rng(o.seed);
  std::exponential_distribution<double> gap(1.0 / interval_ns);
  double at = 0;
  for (size_t i = 0;; ++i) {
    at = o.poisson ? at + gap(rng) : static_cast<double>(i) * interval_ns;
    if (at >= end_ns) break;
    due.push_back(static_cast<long long>(at));
  }
  return due;
}

std::string path_for(const std::string& tmpl, long long id) {
  std::string out = tmpl;
  out.replace(out.find("{id}"), 4, std::to_string(id));
  return out;
}

// Nearest-rank percentile of sorted values (the same rule serve_bench.sh applies to
// pgbench's log).
double percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  auto rank = static_cast<size_t>(std::ceil(p * static_cast<double>(sorted.size())));
  return sorted[std::min(sorted.size(), std::max<size_t>(rank, 1)) - 1];
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse(argc, argv);
  const std::vector<long long> due = schedule(o);

  std::atomic<size_t> next{0};
  std::atomic<int> connected{0};
  std::atomic<long long> errors{0};
  std::atomic<bool> go{false};
  Clock::time_point t0;
  std::vector<std::vector<double>> latencies(static_cast<size_t>(o.connections));
  std::vector<Clock::time_point> last_done(static_cast<size_t>(o.connections));

  std::vector<std::thread> workers;
  for (int w = 0; w < o.connections; ++w) {
    workers.emplace_back([&, w] {
      httplib::Client client(o.url);
      client.set_keep_alive(true);
      client.set_tcp_nodelay(true);
      client.set_connection_timeout(10);
      client.set_read_timeout(30);
      std::mt19937_64 rng(o.seed + 1 + static_cast<unsigned>(w));
      std::uniform_int_distribution<long long> id(1, o.max_id);
      // Opens the keep-alive connection before the clock starts; a failure here shows up
      // again in the timed requests.
      client.Get(path_for(o.path, id(rng)));
      ++connected;
      while (!go) std::this_thread::sleep_for(std::chrono::microseconds(100));
      auto& mine = latencies[static_cast<size_t>(w)];
      mine.reserve(due.size() / static_cast<size_t>(o.connections) + 16);
      for (size_t i = next++; i < due.size(); i = next++) {
        auto due_at = t0 + std::chrono::nanoseconds(due[i]);
        std::this_thread::sleep_until(due_at);
        auto res = client.Get(path_for(o.path, id(rng)));
        auto done = Clock::now();
        if (!res || res->status < 200 || res->status > 299) ++errors;
        mine.push_back(std::chrono::duration<double, std::milli>(done - due_at).count());
        last_done[static_cast<size_t>(w)] = done;
      }
    });
  }
  while (connected < o.connections) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  t0 = Clock::now() + std::chrono::milliseconds(20);
  go = true;
  for (auto& t : workers) t.join();

  std::vector<double> all;
  Clock::time_point end = t0;
  for (size_t w = 0; w < latencies.size(); ++w) {
    all.insert(all.end(), latencies[w].begin(), latencies[w].end());
    if (!latencies[w].empty()) end = std::max(end, last_done[w]);
  }
  std::sort(all.begin(), all.end());
  double elapsed = std::chrono::duration<double>(end - t0).count();
  std::printf("requests %zu due at %.0f/s (%s arrivals) over %.0f s on %d connections\n",
              all.size(), o.rate, o.poisson ? "poisson" : "uniform", o.seconds, o.connections);
  std::printf("achieved %.1f req/s  errors %lld\n",
              elapsed > 0 ? static_cast<double>(all.size()) / elapsed : 0.0, errors.load());
  std::printf("latency_ms p50 %.3f p90 %.3f p99 %.3f p99.9 %.3f max %.3f\n", percentile(all, 0.50),
              percentile(all, 0.90), percentile(all, 0.99), percentile(all, 0.999),
              all.empty() ? 0.0 : all.back());
  return 0;
}
