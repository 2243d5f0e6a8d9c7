#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "analysis_fixtures.hpp"
#include "core/analysis/json.hpp"
#include "core/analysis/render.hpp"
#include "core/diagnostics/render.hpp"
#include "core/util/error.hpp"

using namespace dbsplit;
using test::make_fk;
using test::make_table;
using test::reads;
using test::statement;
using test::writes;

namespace {

analysis::Analysis sample_analysis() {
  catalog::Schema s;
  s.database = "shop";
  s.tables = {make_table("public.orders", {"user_id", "status"}),
              make_table("public.users", {"name", "email"}),
              make_table("public.price_history", {"price"}, true)};
  s.foreign_keys = {make_fk("public.orders", "user_id", "public.users")};
  workload::Workload w;
  w.sources = {"pg_stat_statements"};
  w.statements = {statement("accounts", 400, {writes("public.users", {"name"})}),
                  statement("orders", 300, {writes("public.orders", {"status"})}),
                  statement("orders", 50, {writes("public.price_history")}),
                  statement("orders", 20, {reads("public.orders"), reads("public.users", {"name"})},
                            {{"public.orders", "public.users"}})};
  return analysis::analyze(s, w, {});
}

int run_shell(const std::string& command) {
  int status = std::system(command.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace

TEST_CASE("diagnostics render as text grouped by severity") {
  std::vector<diagnostics::Diagnostic> ds = {
      {"DS110", diagnostics::Severity::error, {"public.t"}, "public.t has no primary key", "add one"},
      {"DS111", diagnostics::Severity::info, {"public.u"}, "nothing touches public.u", ""}};
  CHECK(diagnostics::render_diagnostics_text(ds, Color::no) ==
        "Findings: 1 error, 0 warnings, 1 info\n"
        "\n"
        "error\n"
        "  DS110 public.t has no primary key\n"
        "        objects: public.t\n"
        "        fix: add one\n"
        "\n"
        "info\n"
        "  DS111 nothing touches public.u\n"
        "        objects: public.u\n");
  auto json = diagnostics::diagnostics_to_json(ds);
  CHECK(json[0]["code"] == "DS110");
  CHECK(json[0]["severity"] == "error");
  CHECK(json[0]["objects"] == nlohmann::json::array({"public.t"}));
  auto back = diagnostics::diagnostics_from_json(json, "/findings");
  REQUIRE(back.size() == 2);
  CHECK(back[1].severity == diagnostics::Severity::info);
  CHECK(back[1].message == "nothing touches public.u");
}

TEST_CASE("the JSON form holds services, tables, findings, matrix, dependencies and schema") {
  auto a = sample_analysis();
  auto j = analysis::to_json(a);
  CHECK(j["format"] == "dbsplit-analysis");
  CHECK(j["version"] == 1);
  CHECK(j["database"] == "shop");
  CHECK(j["thresholds"]["frequent_read_share"] == 0.01);
  CHECK(j["thresholds"]["reporting_modules"] == nlohmann::json::array({"reporting"}));
  CHECK(j["services"] == nlohmann::json::parse(R"([
    {"name": "accounts", "tables": ["public.users"], "modules": ["accounts"]},
    {"name": "orders", "tables": ["public.orders", "public.price_history"], "modules": ["orders"]}
  ])"));
  REQUIRE(j["tables"].size() == 3);
  CHECK(j["tables"][0] == nlohmann::json{{"name", "public.orders"},
                                         {"service", "orders"},
                                         {"signal", "sole_writer"},
                                         {"confidence", 0.95},
                                         {"reason", "only orders writes it (300 calls)"}});
  CHECK(j["matrix"][0] == nlohmann::json{{"module", "accounts"},
                                         {"table", "public.users"},
                                         {"read_calls", 0},
                                         {"write_calls", 400},
                                         {"lock_calls", 0}});
  REQUIRE(j["dependencies"].size() == 2);
  const auto& join = j["dependencies"][0];
  CHECK(join["kind"] == "join");
  CHECK(join["consumer"] == "orders");
  CHECK(join["owner"] == "accounts");
  CHECK(join["columns"] == nlohmann::json::array({"public.users.name"}));
  CHECK(join["pattern"] == "event_replication");
  CHECK(join["calls"] == 20);
  for (const char* key :
       {"module", "tables", "filter_columns", "object", "statement", "calls_share", "rationale"})
    CHECK(join.contains(key));
  CHECK(j["dependencies"][1]["kind"] == "foreign_key");
  CHECK(j["dependencies"][1]["pattern"] == "orphan_check");
  std::vector<std::string> codes;
  for (const auto& f : j["findings"]) codes.push_back(f["code"]);
  CHECK(codes == std::vector<std::string>{"DS110", "DS102", "DS103", "DS112"});
  CHECK(j["findings"][0]["objects"] == nlohmann::json::array({"public.price_history"}));
  CHECK(j["summary"]["findings"] == nlohmann::json{{"error", 1}, {"warning", 3}, {"info", 0}});
  CHECK(j["schema"]["tables"].size() == 3);
}

TEST_CASE("analysis_from_json reads back what to_json wrote") {
  auto a = sample_analysis();
  auto j = analysis::to_json(a);
  auto back = analysis::analysis_from_json(j);
  CHECK(back.tables.size() == 3);
  CHECK(back.schema.tables.size() == 3);
  CHECK(back.dependencies.size() == 2);
  auto again = analysis::to_json(back);
  again["summary"]["statements"] = j["summary"]["statements"];  // statements are not kept
  again["summary"]["transactions"] = j["summary"]["transactions"];
  CHECK(again == j);
}

TEST_CASE("analysis_from_json names the member that is wrong") {
  auto j = analysis::to_json(sample_analysis());
  j["tables"][1].erase("service");
  CHECK_THROWS_MATCHES(analysis::analysis_from_json(j), UsageError,
                       Catch::Message("analysis JSON: /tables/1/service: missing"));
  j = analysis::to_json(sample_analysis());
  j["dependencies"][0]["pattern"] = "magic";
  CHECK_THROWS_WITH(analysis::analysis_from_json(j),
                    Catch::StartsWith("analysis JSON: /dependencies/0/pattern: unknown pattern "
                                      "'magic' (expected one of api_composition,"));
  j = analysis::to_json(sample_analysis());
  j["version"] = 2;
  CHECK_THROWS_MATCHES(
      analysis::analysis_from_json(j), UsageError,
      Catch::Message("analysis JSON: /version: analysis version 2 is not supported (supports 1)"));
}

TEST_CASE("the dot graph renders with Graphviz and marks cross-service edges") {
  std::string dot = analysis::render_analysis_dot(sample_analysis());
  CHECK(dot.find("subgraph \"cluster_0\" {\n    label=\"accounts\";") != std::string::npos);
  CHECK(dot.find("\"public.orders\" -> \"public.users\" [label=\"fk\", color=red, penwidth=2.5") !=
        std::string::npos);
  CHECK(dot.find("\"public.orders\" -> \"public.users\" [dir=none, style=dashed, "
                 "label=\"join\", color=red") != std::string::npos);
  std::string path = std::string(P_tmpdir) + "/dbsplit_test_" + std::to_string(::getpid());
  std::ofstream(path + ".dot") << dot;
  CHECK(run_shell("dot -Tsvg " + path + ".dot -o " + path + ".svg") == 0);
  std::ifstream svg(path + ".svg");
  std::stringstream content;
  content << svg.rdbuf();
  CHECK(content.str().find("public.price_history") != std::string::npos);
  std::remove((path + ".dot").c_str());
  std::remove((path + ".svg").c_str());
}

TEST_CASE("the text report fits 100 columns and shows owners, thresholds and findings") {
  std::string text = analysis::render_analysis_text(sample_analysis(), Color::no);
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) CHECK(line.size() <= 100);
  CHECK(text.find("3 tables, 2 services, 770 calls in 4 statements from pg_stat_statements") !=
        std::string::npos);
  CHECK(text.find("    public.users  dominant_writer") == std::string::npos);
  CHECK(text.find("  orders (2 tables; modules: orders)\n") != std::string::npos);
  CHECK(text.find("(frequent_read_share 1.00%, reporting modules: reporting)") !=
        std::string::npos);
  CHECK(text.find("Findings: 1 error, 3 warnings, 0 info") != std::string::npos);
  CHECK(text.find("\x1b[") == std::string::npos);
  CHECK(analysis::render_analysis_text(sample_analysis(), Color::yes).find("\x1b[1m") !=
        std::string::npos);
}

TEST_CASE("the markdown report has a table per section") {
  std::string md = analysis::render_analysis_markdown(sample_analysis());
  CHECK(md.rfind("# Database split analysis: shop\n", 0) == 0);
  CHECK(md.find("| **orders** | `public.orders`, `public.price_history` | `orders` |") !=
        std::string::npos);
  CHECK(md.find("| `public.users` | accounts | sole_writer | 0.95 | only accounts writes it (400 "
                "calls) |") != std::string::npos);
  CHECK(md.find("### Errors (block the split until decided)\n\n- **DS110**") != std::string::npos);
}

TEST_CASE("unknown output formats are usage errors") {
  CHECK(analysis::analysis_format_from_string("dot") == analysis::AnalysisFormat::dot);
  CHECK_THROWS_MATCHES(analysis::analysis_format_from_string("yaml"), UsageError,
                       Catch::Message("unknown format 'yaml'; use text, json, markdown or dot"));
}

TEST_CASE("the json format prints exactly to_json's text, every schema object kind included") {
  auto a = sample_analysis();
  catalog::View view;
  view.schema = "public";
  view.name = "open_orders";
  view.definition = " SELECT id\n   FROM orders\n  WHERE status = 'open';";
  view.depends_on = {"public.orders"};
  a.schema.views = {view};
  catalog::Sequence seq;
  seq.schema = "public";
  seq.name = "orders_id_seq";
  seq.owned_by_table = "public.orders";
  seq.owned_by_column = "id";
  seq.used_by = {"public.users.id", "public.orders.id"};
  a.schema.sequences = {seq};
  catalog::Function fn;
  fn.schema = "public";
  fn.name = "touch";
  fn.language = "plpgsql";
  fn.body = "BEGIN\n\tNEW.note := 'café \"x\" \\ y';\n  RETURN NEW;\nEND";
  fn.writes = {"public.users", "public.orders"};
  a.schema.functions = {fn};
  catalog::Trigger trigger;
  trigger.name = "touch_users";
  trigger.table = "public.orders";
  trigger.function = "public.touch";
  trigger.touches = {"public.users"};
  a.schema.triggers = {trigger};
  catalog::UserType type;
  type.schema = "public";
  type.name = "mood";
  type.kind = 'e';
  type.labels = {"sad", "ok"};
  a.schema.types = {type};
  a.schema.extensions = {"pg_stat_statements", "citext"};
  a.schema.schemas = {"public"};
  a.tables[0].reason = "naïve \u0001 control";
  a.workload.unparsed = {"SELEC 1"};

  std::string text = analysis::render_analysis(a, analysis::AnalysisFormat::json, Color::no);
  CHECK(text == analysis::to_json(a).dump(2) + "\n");
  CHECK(text.find("\"body\": \"BEGIN\\n\\tNEW.note := 'café \\\"x\\\" \\\\ y';") !=
        std::string::npos);
  CHECK(text.find("naïve \\u0001 control") != std::string::npos);

  analysis::Analysis empty;
  CHECK(analysis::render_analysis(empty, analysis::AnalysisFormat::json, Color::no) ==
        analysis::to_json(empty).dump(2) + "\n");
}
