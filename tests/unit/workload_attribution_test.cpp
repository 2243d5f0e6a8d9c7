#include <catch2/catch.hpp>

#include "core/workload/ingest.hpp"

using dbsplit::workload::attribute_module;
using dbsplit::workload::AttributionOptions;

TEST_CASE("a sqlcommenter module tag wins over application name and role", "[attribution]") {
  AttributionOptions options;
  options.module_map = {{"shop_app", "catalog"}, {"billing_rw", "billing"}};
  CHECK(attribute_module("SELECT 1 /* module='orders' */", "billing_rw", "shop_app", options) ==
        "orders");
  CHECK(attribute_module("/*module='inventory',route='%2Fstock%2F%3Aid'*/ UPDATE stock SET q=1",
                         "x", "", options) == "inventory");
  CHECK(attribute_module("SELECT 1 /*controller='cart',module='web%20shop',framework='x'*/", "x",
                         "", options) == "web shop");
  CHECK(attribute_module("SELECT 1 /* module='o\\'brien' */", "x", "", options) == "o'brien");
  CHECK(attribute_module("/* just a comment */ SELECT 1 /* module = 'late' */", "x", "", options) ==
        "late");
}

TEST_CASE("without a tag the module map applies to application name, then role", "[attribution]") {
  AttributionOptions options;
  options.module_map = {{"shop_app", "catalog"}, {"billing_rw", "billing"}};
  CHECK(attribute_module("SELECT 1", "billing_rw", "shop_app", options) == "catalog");
  CHECK(attribute_module("SELECT 1", "billing_rw", "psql", options) == "billing");
  CHECK(attribute_module("SELECT 1", "shipping", "psql", options) == "psql");
  CHECK(attribute_module("SELECT 1 /* route='x' */", "shipping", "", options) == "shipping");
}
