// `dbsplit verify events PLAN --db URL`: every cache the plan makes compared with its source
// at a common position, row by row (docs/events.md "Verification").
#include <fmt/format.h>

#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "core/events/verify.hpp"
#include "core/plan/json.hpp"
#include "core/util/error.hpp"

namespace dbsplit::cli {
namespace {

struct VerifyEventsOptions {
  std::string plan;
  std::string service;
  std::string format = "text";
  events::CheckOptions options;
};

std::string render_text(const std::vector<events::TargetCheck>& checks) {
  std::int64_t differences = 0;
  std::string lines;
  for (const auto& c : checks) {
    differences += c.difference_count;
    lines += fmt::format(
        "cache {} of {} (from {}) at {}: {} rows, source {} rows, {}\n", c.target, c.holder,
        c.source, events::format_lsn(c.position), c.target_rows, c.source_rows,
        c.difference_count == 0 ? std::string("equal")
                                : fmt::format("{} difference{}", c.difference_count,
                                              c.difference_count == 1 ? "" : "s"));
    for (const auto& d : c.differences) lines += "  " + d.key + ": " + d.what + "\n";
    if (c.difference_count > static_cast<std::int64_t>(c.differences.size()))
      lines += fmt::format("  ... and {} more\n",
                           c.difference_count - static_cast<std::int64_t>(c.differences.size()));
  }
  return fmt::format("Events: {} cache{} checked; {} difference{}\n", checks.size(),
                     checks.size() == 1 ? "" : "s", differences, differences == 1 ? "" : "s") +
         lines;
}

std::string render_json(const std::vector<events::TargetCheck>& checks) {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const auto& c : checks) {
    nlohmann::ordered_json item;
    item["kind"] = "cache";
    item["target"] = c.target;
    item["holder"] = c.holder;
    item["source"] = c.source;
    item["position"] = events::format_lsn(c.position);
    item["target_rows"] = c.target_rows;
    item["source_rows"] = c.source_rows;
    item["difference_count"] = c.difference_count;
    item["differences"] = nlohmann::ordered_json::array();
    for (const auto& d : c.differences)
      item["differences"].push_back({{"key", d.key}, {"what", d.what}});
    out.push_back(item);
  }
  return out.dump(2) + "\n";
}

int run_verify_events(VerifyEventsOptions& o) {
  plan::Plan plan = plan::read_plan_file(o.plan);
  std::vector<events::CacheSpec> caches;
  for (const auto& s : plan.services) {
    if (!o.service.empty() && s.name != o.service) continue;
    for (auto& c : events::plan_caches(plan, s.name)) caches.push_back(c);
  }
  if (!o.service.empty() && plan.find_service(o.service) == nullptr)
    throw UsageError("the plan has no service '" + o.service + "'");
  std::vector<events::TargetCheck> checks;
  for (const auto& c : caches) checks.push_back(events::check_cache(c, o.options));
  std::cout << (o.format == "json" ? render_json(checks) : render_text(checks));
  for (const auto& c : checks)
    if (c.difference_count > 0) return static_cast<int>(ExitCode::findings);
  return 0;
}

}  // namespace

void add_verify_events_command(CLI::App& verify, Action& action) {
  auto opts = std::make_shared<VerifyEventsOptions>();
  auto* cmd = verify.add_subcommand(
      "events", "Compare every cache with its source at a common position, row by row");
  cmd->add_option("PLAN", opts->plan, "Plan file")->required();
  cmd->add_option("--db", opts->options.holder_db_url, "URL of the holders' database")->required();
  cmd->add_option("--source-db", opts->options.source_db_url,
                  "URL of the sources' database (default: --db)");
  cmd->add_option("--service", opts->service, "Only the caches of this service");
  cmd->add_option("--timeout-s", opts->options.timeout_seconds,
                  "Seconds a consumer may take to reach the comparison's position (default 60)")
      ->check(CLI::Range(1, 3600));
  cmd->add_option("--format", opts->format, "text or json")->check(CLI::IsMember({"text", "json"}));
  cmd->footer(
      "Takes a snapshot of the source with a temporary slot (position P), holds each holder's\n"
      "consumer once it applied every event committed before P, compares every row by key,\n"
      "then lets the consumer go on. Needs the relays and `dbsplit consume` running.\n"
      "Exit codes: 0 equal, 3 differences (listed by key), 1 a database, the broker or a\n"
      "consumer failed.\n\n"
      "Example:\n"
      "  dbsplit verify events plan.json --db postgresql://postgres@db/shop");
  cmd->callback([&action, opts] { action = [opts] { return run_verify_events(*opts); }; });
}

}  // namespace dbsplit::cli
