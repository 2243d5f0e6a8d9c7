// schema_from_json: reads the catalog model back, checking the type of every member and
// naming the JSON pointer of the first malformed one (e.g. /tables/3/columns/0/name).
#include <functional>
#include <optional>

#include "core/catalog/json.hpp"
#include "core/util/error.hpp"

namespace dbsplit::catalog {
namespace {

using nlohmann::json;

enum class Need { optional, required };

// A JSON value together with its pointer, so every error can say where it is.
class Node {
 public:
  Node(const json& value, std::string pointer) : value_(value), pointer_(std::move(pointer)) {}

  [[noreturn]] void fail(const std::string& what) const {
    throw UsageError("invalid catalog schema JSON at " + (pointer_.empty() ? "/" : pointer_) +
                     ": " + what +
                     " (the catalog JSON is written by dbsplit analyze; regenerate it rather "
                     "than editing it by hand)");
  }

  const Node& object() const {
    if (!value_.is_object()) fail("expected an object");
    return *this;
  }

  // Whether this object has the member `key`; `at` returns it with its pointer.
  bool has(const std::string& key) const { return value_.contains(key); }
  Node at(const std::string& key) const { return Node(value_.at(key), pointer_ + "/" + key); }

  std::string string(const std::string& key, Need need = Need::optional) const {
    if (!present(key, need)) return {};
    Node m = at(key);
    if (!m.value_.is_string()) m.fail("expected a string");
    return m.value_.get<std::string>();
  }

  std::optional<std::string> nullable_string(const std::string& key) const {
    if (!has(key) || value_.at(key).is_null()) return std::nullopt;
    return string(key);
  }

  char letter(const std::string& key, char fallback) const {
    if (!has(key)) return fallback;
    std::string s = string(key);
    if (s.size() != 1) at(key).fail("expected a one-character string");
    return s[0];
  }

  bool boolean(const std::string& key) const {
    if (!has(key)) return false;
    Node m = at(key);
    if (!m.value_.is_boolean()) m.fail("expected true or false");
    return m.value_.get<bool>();
  }

  template <typename Number>
  Number number(const std::string& key) const {
    if (!has(key)) return Number{};
    Node m = at(key);
    if (!m.value_.is_number()) m.fail("expected a number");
    return m.value_.get<Number>();
  }

  // Calls `each` with every element of the array member `key` (absent: none).
  void elements(const std::string& key, const std::function<void(const Node&)>& each) const {
    if (!has(key)) return;
    Node m = at(key);
    if (!m.value_.is_array()) m.fail("expected an array");
    for (size_t i = 0; i < m.value_.size(); ++i)
      each(Node(m.value_[i], m.pointer_ + "/" + std::to_string(i)));
  }

  std::vector<std::string> strings(const std::string& key) const {
    std::vector<std::string> out;
    elements(key, [&](const Node& n) {
      if (!n.value_.is_string()) n.fail("expected a string");
      out.push_back(n.value_.get<std::string>());
    });
    return out;
  }

 private:
  bool present(const std::string& key, Need need) const {
    if (has(key)) return true;
    if (need == Need::required) Node(nullptr, pointer_ + "/" + key).fail("missing member");
    return false;
  }

  const json& value_;
  std::string pointer_;
};

Column read_column(const Node& n) {
  n.object();
  Column c;
  c.name = n.string("name", Need::required);
  c.type = n.string("type");
  c.type_schema = n.string("type_schema");
  c.type_name = n.string("type_name");
  c.not_null = n.boolean("not_null");
  c.default_expr = n.nullable_string("default");
  c.identity = n.string("identity");
  c.generated = n.string("generated");
  c.position = n.number<int>("position");
  return c;
}

Table read_table(const Node& n) {
  n.object();
  Table t;
  t.schema = n.string("schema", Need::required);
  t.name = n.string("name", Need::required);
  t.kind = n.letter("kind", 'r');
  n.elements("columns", [&](const Node& c) { t.columns.push_back(read_column(c)); });
  t.primary_key = n.strings("primary_key");
  t.primary_key_name = n.string("primary_key_name");
  n.elements("constraints", [&](const Node& c) {
    c.object();
    Constraint con;
    con.name = c.string("name", Need::required);
    con.kind = c.letter("kind", 'u');
    con.columns = c.strings("columns");
    con.definition = c.string("definition");
    t.constraints.push_back(std::move(con));
  });
  n.elements("indexes", [&](const Node& i) {
    i.object();
    Index idx;
    idx.name = i.string("name", Need::required);
    idx.columns = i.strings("columns");
    idx.unique = i.boolean("unique");
    idx.primary = i.boolean("primary");
    idx.definition = i.string("definition");
    t.indexes.push_back(std::move(idx));
  });
  t.replica_identity = n.letter("replica_identity", 'd');
  t.replica_identity_index = n.string("replica_identity_index");
  t.estimated_rows = n.number<double>("estimated_rows");
  t.estimated_bytes = n.number<int64_t>("estimated_bytes");
  t.partitions = n.strings("partitions");
  t.partition_of = n.string("partition_of");
  return t;
}

void read_objects(const Node& root, Schema& s) {
  root.elements("foreign_keys", [&](const Node& n) {
    n.object();
    ForeignKey f;
    f.name = n.string("name", Need::required);
    f.table = n.string("table", Need::required);
    f.columns = n.strings("columns");
    f.ref_table = n.string("ref_table", Need::required);
    f.ref_columns = n.strings("ref_columns");
    f.on_delete = n.string("on_delete");
    f.on_update = n.string("on_update");
    f.deferrable = n.boolean("deferrable");
    f.definition = n.string("definition");
    s.foreign_keys.push_back(std::move(f));
  });
  root.elements("views", [&](const Node& n) {
    n.object();
    View v;
    v.schema = n.string("schema", Need::required);
    v.name = n.string("name", Need::required);
    v.materialized = n.boolean("materialized");
    v.definition = n.string("definition");
    v.depends_on = n.strings("depends_on");
    s.views.push_back(std::move(v));
  });
  root.elements("sequences", [&](const Node& n) {
    n.object();
    Sequence q;
    q.schema = n.string("schema", Need::required);
    q.name = n.string("name", Need::required);
    q.owned_by_table = n.string("owned_by_table");
    q.owned_by_column = n.string("owned_by_column");
    q.used_by = n.strings("used_by");
    s.sequences.push_back(std::move(q));
  });
  root.elements("functions", [&](const Node& n) {
    n.object();
    Function f;
    f.schema = n.string("schema", Need::required);
    f.name = n.string("name", Need::required);
    f.arguments = n.string("arguments");
    f.language = n.string("language");
    f.body = n.string("body");
    f.reads = n.strings("reads");
    f.writes = n.strings("writes");
    s.functions.push_back(std::move(f));
  });
  root.elements("triggers", [&](const Node& n) {
    n.object();
    Trigger t;
    t.name = n.string("name", Need::required);
    t.table = n.string("table", Need::required);
    t.function = n.string("function");
    t.definition = n.string("definition");
    t.touches = n.strings("touches");
    s.triggers.push_back(std::move(t));
  });
  root.elements("types", [&](const Node& n) {
    n.object();
    UserType u;
    u.schema = n.string("schema", Need::required);
    u.name = n.string("name", Need::required);
    u.kind = n.letter("kind", 'e');
    u.labels = n.strings("labels");
    u.base_type = n.string("base_type");
    u.used_by = n.strings("used_by");
    s.types.push_back(std::move(u));
  });
}

}  // namespace

Schema schema_from_json(const json& document) {
  Node root(document, "");
  root.object();
  Schema s;
  s.database = root.string("database");
  s.server_version = root.string("server_version");
  s.schemas = root.strings("schemas");
  root.elements("tables", [&](const Node& n) { s.tables.push_back(read_table(n)); });
  read_objects(root, s);
  s.extensions = root.strings("extensions");
  return s;
}

}  // namespace dbsplit::catalog
