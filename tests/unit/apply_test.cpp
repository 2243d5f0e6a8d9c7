// The pure parts of `dbsplit apply`: step checksums (what counts as an edit), the journal's
// stored actions, operations this dbsplit has and lacks, and how a connection string is
// handed to a `dbsplit serve` child (password out of argv, role as a libpq option).
#include <catch2/catch.hpp>

#include "core/apply/checks.hpp"
#include "core/apply/journal.hpp"
#include "core/apply/operations.hpp"
#include "core/apply/service_process.hpp"
#include "core/util/error.hpp"

using namespace dbsplit;

namespace {

plan::Step grant_step() {
  plan::Step s;
  s.id = "ownership.grant.orders";
  s.service = "orders";
  s.description = "Grant svc_orders its tables.";
  s.action.sql = "GRANT SELECT ON public.orders TO svc_orders;";
  s.verify.check.sql = "SELECT 1 WHERE false";
  s.verify.expect = plan::Expect::zero_rows;
  s.rollback.sql = "REVOKE ALL ON public.orders FROM svc_orders;";
  return s;
}

}  // namespace

TEST_CASE("a step's checksum changes with what it does, not with its description") {
  plan::Step s = grant_step();
  std::string sum = apply::step_checksum(s);
  CHECK(sum.rfind("sha256:", 0) == 0);
  CHECK(sum.size() == 7 + 64);
  CHECK(apply::step_checksum(s) == sum);
  plan::Step reworded = s;
  reworded.description = "Grants.";
  CHECK(apply::step_checksum(reworded) == sum);
  for (auto edit : {+[](plan::Step& x) { x.action.sql += " "; },
                    +[](plan::Step& x) { x.verify.expect = plan::Expect::true_value; },
                    +[](plan::Step& x) { x.rollback.sql = ""; },
                    +[](plan::Step& x) { x.service = "billing"; }}) {
    plan::Step edited = s;
    edit(edited);
    CHECK(apply::step_checksum(edited) != sum);
  }
}

TEST_CASE("the journal stores a rollback action and reads it back") {
  plan::Action sql;
  sql.sql = "DROP ROLE x;";
  CHECK(apply::action_from_json(apply::action_json(sql), "s").sql == "DROP ROLE x;");
  plan::Action op;
  op.kind = plan::ActionKind::operation;
  op.operation = "stop_api";
  op.parameters = {{"service", "orders"}};
  plan::Action back = apply::action_from_json(apply::action_json(op), "s");
  CHECK(back.kind == plan::ActionKind::operation);
  CHECK(back.operation == "stop_api");
  CHECK(back.parameters == nlohmann::json{{"service", "orders"}});
  CHECK(apply::action_json(plan::Action{}).is_null());
  CHECK_THROWS_WITH(apply::action_from_json(nlohmann::json{{"x", 1}}, "apis.serve.orders"),
                    "the journal's rollback of step apis.serve.orders is not an action: "
                    "{\"x\":1}; the dbsplit.journal table was edited by hand");
}

TEST_CASE("operations: the apis stage's exist, the later stages' do not yet") {
  CHECK(apply::implemented_operations() ==
        std::vector<std::string>{"contract_check", "none", "serve_api", "stop_api"});
  plan::Step s = grant_step();
  CHECK(apply::missing_operation(s).empty());
  s.verify.check.kind = plan::ActionKind::operation;
  s.verify.check.operation = "check_read_model";
  CHECK(apply::missing_operation(s) == "check_read_model");
  s.action.kind = plan::ActionKind::operation;
  s.action.operation = "create_read_model";
  CHECK(apply::missing_operation(s) == "create_read_model");
}

TEST_CASE("a serve child gets the URL without its password, and its role as a libpq option") {
  using P = std::pair<std::string, std::string>;
  CHECK(apply::split_password("postgresql://admin:s3%40cret@db:5432/shop") ==
        P{"postgresql://admin@db:5432/shop", "s3@cret"});
  CHECK(apply::split_password("postgresql://admin@db/shop?password=pw&sslmode=require") ==
        P{"postgresql://admin@db/shop?sslmode=require", "pw"});
  CHECK(apply::split_password("postgresql://admin@db/shop?sslmode=require&password=pw") ==
        P{"postgresql://admin@db/shop?sslmode=require", "pw"});
  CHECK(apply::split_password("postgresql://admin@db/shop") == P{"postgresql://admin@db/shop", ""});
  CHECK(apply::split_password("host=db password='a b' dbname=shop") ==
        P{"host=db  dbname=shop", "a b"});
  CHECK(apply::with_role("postgresql://admin@db/shop", "svc_orders") ==
        "postgresql://admin@db/shop?options=-c%20role%3Dsvc_orders");
  CHECK(apply::with_role("postgresql://admin@db/shop?sslmode=require", "svc_orders") ==
        "postgresql://admin@db/shop?sslmode=require&options=-c%20role%3Dsvc_orders");
  CHECK(apply::with_role("host=db dbname=shop", "svc_orders") ==
        "host=db dbname=shop options='-c role=svc_orders'");
}

TEST_CASE("stage names") {
  CHECK(apply::stage_from_string("apis") == plan::StageName::apis);
  CHECK_THROWS_WITH(apply::stage_from_string("api"),
                    "--stage api: no such stage; stages: ownership, apis, reads, writes, database");
}
