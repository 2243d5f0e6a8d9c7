#include "core/codegen/client.hpp"

#include <cctype>
#include <set>

#include "core/plan/builder_detail.hpp"

namespace dbsplit::codegen {
namespace {

std::string identifier(const std::string& name) {
  static const std::set<std::string> kKeywords = {
      "auto",      "bool",    "break",    "case",    "catch",     "char",   "class",    "const",
      "continue",  "default", "delete",   "do",      "double",    "else",   "enum",     "explicit",
      "export",    "extern",  "false",    "float",   "for",       "friend", "goto",     "if",
      "inline",    "int",     "long",     "mutable", "namespace", "new",    "operator", "private",
      "protected", "public",  "register", "return",  "short",     "signed", "sizeof",   "static",
      "struct",    "switch",  "template", "this",    "throw",     "true",   "try",      "typedef",
      "typename",  "union",   "unsigned", "using",   "virtual",   "void",   "volatile", "while"};
  std::string out;
  for (char c : name) out += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  if (out.empty() || std::isdigit(static_cast<unsigned char>(out[0]))) out = "f_" + out;
  if (kKeywords.count(out)) out += "_";
  return out;
}

std::string value_type(ValueKind kind) {
  switch (kind) {
    case ValueKind::boolean:
      return "bool";
    case ValueKind::int16:
      return "int16_t";
    case ValueKind::int32:
      return "int32_t";
    case ValueKind::int64:
      return "int64_t";
    case ValueKind::floating:
      return "double";
    case ValueKind::json:
    case ValueKind::array:
      return "nlohmann::json";
    default:
      return "std::string";
  }
}

std::string member_type(const Field& f) {
  std::string t = value_type(f.kind);
  return f.nullable ? "std::optional<" + t + ">" : t;
}

std::string initializer(const Field& f) {
  if (f.nullable) return "";
  switch (f.kind) {
    case ValueKind::boolean:
      return " = false";
    case ValueKind::int16:
    case ValueKind::int32:
    case ValueKind::int64:
    case ValueKind::floating:
      return " = 0";
    default:
      return "";
  }
}

std::vector<const Field*> fields_of(const Resource& r, const std::vector<std::string>& names) {
  std::vector<const Field*> out;
  for (const auto& n : names) out.push_back(r.field(n));
  return out;
}

std::vector<std::string> all_names(const Resource& r) {
  std::vector<std::string> out;
  for (const auto& f : r.fields) out.push_back(f.name);
  return out;
}

std::vector<std::string> writable_names(const Resource& r) {
  std::vector<std::string> out;
  for (const auto& f : r.fields)
    if (!f.read_only) out.push_back(f.name);
  return out;
}

// Text for a // comment: the replaced SQL may span lines (each needs its own //), and
// a backslash before a line end would splice the next line into the comment.
std::string one_line(const std::string& text) {
  std::string out;
  bool space = false;
  for (char c : text) {
    if (std::isspace(static_cast<unsigned char>(c))) {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
  }
  while (!out.empty() && out.back() == '\\') out.pop_back();
  return out;
}

std::string row_struct(const std::string& type, const std::vector<const Field*>& fields,
                       const std::string& comment) {
  std::string out = "// " + comment + "\nstruct " + type + " {\n";
  for (const auto* f : fields)
    out += "  " + member_type(*f) + " " + identifier(f->name) + initializer(*f) + ";  // " +
           f->sql_type + "\n";
  out += "};\nvoid to_json(nlohmann::json& j, const " + type +
         "& v);\nvoid from_json(const nlohmann::json& j, " + type + "& v);\n\n";
  return out;
}

// Writable fields of a resource, each set only when it is sent (create, update).
std::string fields_struct(const Resource& r) {
  std::string type = r.type_name + "Fields";
  std::string out = "// Fields to send when creating or updating " + r.table +
                    ": only members that are set are sent.\nstruct " + type + " {\n";
  for (const auto* f : fields_of(r, writable_names(r)))
    out += "  std::optional<" + member_type(*f) + "> " + identifier(f->name) + ";\n";
  out += "};\nvoid to_json(nlohmann::json& j, const " + type + "& v);\n\n";
  return out;
}

std::string row_functions(const std::string& type, const std::vector<const Field*>& fields) {
  std::string to =
      "void to_json(nlohmann::json& j, const " + type + "& v) {\n  j = nlohmann::json::object();\n";
  std::string from = "void from_json(const nlohmann::json& j, " + type + "& v) {\n";
  for (const auto* f : fields) {
    std::string m = identifier(f->name);
    std::string key = "\"" + f->name + "\"";
    if (f->nullable) {
      to += "  if (v." + m + ") j[" + key + "] = *v." + m + "; else j[" + key + "] = nullptr;\n";
      from += "  if (j.at(" + key + ").is_null()) v." + m + ".reset(); else v." + m + " = j.at(" +
              key + ").get<" + value_type(f->kind) + ">();\n";
    } else {
      to += "  j[" + key + "] = v." + m + ";\n";
      from += "  j.at(" + key + ").get_to(v." + m + ");\n";
    }
  }
  return to + "}\n\n" + from + "}\n\n";
}

std::string fields_function(const Resource& r) {
  std::string out = "void to_json(nlohmann::json& j, const " + r.type_name +
                    "Fields& v) {\n  j = nlohmann::json::object();\n";
  for (const auto* f : fields_of(r, writable_names(r))) {
    std::string m = identifier(f->name);
    std::string key = "\"" + f->name + "\"";
    if (f->nullable) {
      out += "  if (v." + m + ") { if (*v." + m + ") j[" + key + "] = **v." + m + "; else j[" +
             key + "] = nullptr; }\n";
    } else {
      out += "  if (v." + m + ") j[" + key + "] = *v." + m + ";\n";
    }
  }
  return out + "}\n\n";
}

std::string key_parameters(const Resource& r) {
  std::string out;
  for (const auto& k : r.key) {
    const Field* f = r.field(k);
    out += (out.empty() ? "" : ", ") + std::string("const ") + value_type(f->kind) + "& " +
           identifier(k);
  }
  return out;
}

std::string key_path(const Resource& r) {
  std::string out = "std::string(\"" + r.path + "\")";
  for (const auto& k : r.key) out += " + \"/\" + encode(key_text(" + identifier(k) + "))";
  return out;
}

std::string base(const Resource& r, bool singular) {
  std::string name = singular ? plan::detail::singular(r.name) : r.name;
  return r.schema == "public" ? name : r.schema + "_" + name;
}

// The arguments of a command, all sent (an unset member as null, SQL NULL).
std::string request_struct(const Command& c) {
  std::string type = c.type_name + "Request";
  std::string out = "// Arguments of " + c.name +
                    ": every member is sent; an unset one as null.\n" + "struct " + type + " {\n";
  for (const auto& a : c.arguments)
    out += "  std::optional<" + value_type(a.field.kind) + "> " + identifier(a.name) + ";  // $" +
           std::to_string(a.number) + ", " + a.field.sql_type + "\n";
  return out + "};\nvoid to_json(nlohmann::json& j, const " + type + "& v);\n\n";
}

std::string result_struct(const Command& c) {
  std::string type = c.type_name + "Result";
  return "// What " + c.name +
         " did: the rows it touched (none when its conditions matched none).\n" + "struct " + type +
         " {\n  int64_t count = 0;\n  std::vector<" + c.type_name +
         "Row> rows;\n  bool dry_run = false;  // true: rolled back, nothing kept\n};\n" +
         "void from_json(const nlohmann::json& j, " + type + "& v);\n\n";
}

std::string command_functions(const Command& c) {
  std::string out = "void to_json(nlohmann::json& j, const " + c.type_name +
                    "Request& v) {\n  j = nlohmann::json::object();\n";
  for (const auto& a : c.arguments) {
    std::string m = identifier(a.name);
    std::string key = "\"" + a.name + "\"";
    out += "  if (v." + m + ") j[" + key + "] = *v." + m + "; else j[" + key + "] = nullptr;\n";
  }
  out += "}\n\nvoid from_json(const nlohmann::json& j, " + c.type_name +
         "Result& v) {\n  j.at(\"count\").get_to(v.count);\n  j.at(\"rows\").get_to(v.rows);\n"
         "  v.dry_run = j.value(\"dry_run\", false);\n}\n\n";
  return out;
}

const char* kListArgs =
    "const Filters& filters = {}, int limit = 100, const std::string& cursor = \"\"";
const char* kListArgsDef = "const Filters& filters, int limit, const std::string& cursor";

}  // namespace

std::string client_namespace(const std::string& service) { return identifier(service) + "_api"; }

std::string client_header(const ServiceApi& api) {
  std::string ns = client_namespace(api.service);
  std::string out =
      "// Client of the " + api.service +
      " service, generated by dbsplit generate. Do not edit: regenerate.\n"
      "// C++17, on cpp-httplib and nlohmann/json. Every method throws ApiError on an error\n"
      "// response (status, message, field, constraint) or when the service cannot be reached "
      "(status 0).\n#pragma once\n#include <cstdint>\n#include <memory>\n#include <optional>\n"
      "#include <stdexcept>\n#include <string>\n#include <utility>\n#include <vector>\n\n"
      "#include <nlohmann/json.hpp>\n\nnamespace httplib {\nclass Client;\n}\n\nnamespace " +
      ns +
      " {\n\n"
      "// An error answer of the service: the HTTP status (0: unreachable) and its message.\n"
      "class ApiError : public std::runtime_error {\n public:\n"
      "  ApiError(int status, const std::string& message, std::string field, std::string "
      "constraint)\n"
      "      : std::runtime_error(message), status_(status), field_(std::move(field)),\n"
      "        constraint_(std::move(constraint)) {}\n"
      "  int status() const { return status_; }\n"
      "  const std::string& field() const { return field_; }            // offending field (400)\n"
      "  const std::string& constraint() const { return constraint_; }  // violated constraint "
      "(409)\n\n"
      " private:\n  int status_;\n  std::string field_;\n  std::string constraint_;\n};\n\n"
      "// List filters: (column, value) pairs; a column given several times matches any value.\n"
      "using Filters = std::vector<std::pair<std::string, std::string>>;\n\n"
      "// One page of a list, in key order; pass next_cursor to get the next one.\n"
      "template <class Row>\nstruct Page {\n  std::vector<Row> items;\n"
      "  std::optional<std::string> next_cursor;\n};\n\n"
      "// yes: run a command in a transaction that is rolled back and say what it would do.\n"
      "enum class DryRun { no, yes };\n\n";
  for (const auto& r : api.resources) {
    out += row_struct(r.type_name, fields_of(r, all_names(r)), "A row of " + r.table + ".");
    out += fields_struct(r);
  }
  for (const auto& q : api.queries)
    out += row_struct(q.type_name, fields_of(*api.find_resource(q.resource), q.columns),
                      "A row of " + q.name + ": replaces " + one_line(q.replaces));
  for (const auto& c : api.commands) {
    if (!c.unsupported.empty()) {
      out += "// Not in this client: command " + c.name + ", which dbsplit cannot serve (" +
             one_line(c.unsupported) + ").\n\n";
      continue;
    }
    out += request_struct(c);
    out += row_struct(c.type_name + "Row", fields_of(*api.find_resource(c.resource), c.columns),
                      "A row " + c.name + " touched (" + c.resource + ").");
    out += result_struct(c);
  }
  out +=
      "class Client {\n public:\n  // base_url: \"http://host:port\" of `dbsplit serve`.\n"
      "  explicit Client(const std::string& base_url);\n  ~Client();\n"
      "  Client(const Client&) = delete;\n  Client& operator=(const Client&) = delete;\n\n";
  for (const auto& r : api.resources) {
    std::string t = r.type_name;
    out += "  // " + r.table + "\n";
    if (!r.key.empty())
      out += "  " + t + " get_" + base(r, true) + "(" + key_parameters(r) + ");\n";
    out += "  Page<" + t + "> list_" + base(r, false) + "(" + kListArgs + ");\n";
    out += "  " + t + " create_" + base(r, true) + "(const " + t + "Fields& fields);\n";
    if (!r.key.empty()) {
      out += "  " + t + " update_" + base(r, true) + "(" + key_parameters(r) + ", const " + t +
             "Fields& fields);\n";
      out += "  " + t + " delete_" + base(r, true) + "(" + key_parameters(r) + ");\n";
    }
  }
  for (const auto& q : api.queries)
    out += "  // " + one_line(q.replaces) + "\n  Page<" + q.type_name + "> " + q.name + "(" +
           kListArgs + ");\n";
  for (const auto& c : api.commands)
    if (c.unsupported.empty())
      out += "  // " + one_line(c.replaces) + "\n  " + c.type_name + "Result " + c.operation +
             "(const " + c.type_name + "Request& request, DryRun dry_run = DryRun::no);\n";
  out +=
      "\n private:\n  nlohmann::json call(const char* method, const std::string& path,\n"
      "                      const nlohmann::json* body, int expected);\n"
      "  std::unique_ptr<httplib::Client> http_;\n};\n\n}  // namespace " +
      ns + "\n";
  return out;
}

std::string client_source(const ServiceApi& api) {
  std::string ns = client_namespace(api.service);
  std::string out =
      "// Client of the " + api.service +
      " service, generated by dbsplit generate. Do not edit.\n"
      "#include \"client.hpp\"\n\n#include <httplib.h>\n\nnamespace " +
      ns +
      " {\nnamespace {\n\n"
      "std::string encode(const std::string& text) {\n"
      "  static const char* hex = \"0123456789ABCDEF\";\n  std::string out;\n"
      "  for (unsigned char c : text) {\n"
      "    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {\n"
      "      out += static_cast<char>(c);\n    } else {\n"
      "      out += '%';\n      out += hex[c >> 4];\n      out += hex[c & 15];\n    }\n  }\n"
      "  return out;\n}\n\n"
      "inline std::string key_text(const std::string& v) { return v; }\n"
      "template <class T>\nstd::string key_text(const T& v) { return std::to_string(v); }\n\n"
      "std::string list_path(const std::string& path, const Filters& filters, int limit,\n"
      "                      const std::string& cursor) {\n"
      "  std::string query = \"limit=\" + std::to_string(limit);\n"
      "  for (const auto& f : filters) query += \"&\" + encode(f.first) + \"=\" + "
      "encode(f.second);\n"
      "  if (!cursor.empty()) query += \"&cursor=\" + encode(cursor);\n"
      "  return path + \"?\" + query;\n}\n\n"
      "template <class Row>\nPage<Row> page_of(const nlohmann::json& j) {\n  Page<Row> page;\n"
      "  page.items = j.at(\"items\").get<std::vector<Row>>();\n"
      "  if (!j.at(\"next_cursor\").is_null()) page.next_cursor = "
      "j.at(\"next_cursor\").get<std::string>();\n"
      "  return page;\n}\n\n}  // namespace\n\n";
  for (const auto& r : api.resources) {
    out += row_functions(r.type_name, fields_of(r, all_names(r)));
    out += fields_function(r);
  }
  for (const auto& q : api.queries)
    out += row_functions(q.type_name, fields_of(*api.find_resource(q.resource), q.columns));
  for (const auto& c : api.commands) {
    if (!c.unsupported.empty()) continue;
    out += row_functions(c.type_name + "Row", fields_of(*api.find_resource(c.resource), c.columns));
    out += command_functions(c);
  }
  out +=
      "Client::Client(const std::string& base_url) : "
      "http_(std::make_unique<httplib::Client>(base_url)) {}\n"
      "Client::~Client() = default;\n\n"
      "nlohmann::json Client::call(const char* method, const std::string& path,\n"
      "                            const nlohmann::json* body, int expected) {\n"
      "  std::string method_name = method;\n"
      "  std::string text = body ? body->dump() : std::string();\n"
      "  auto send = [&]() {\n"
      "    if (method_name == \"GET\") return http_->Get(path.c_str());\n"
      "    if (method_name == \"POST\") return http_->Post(path.c_str(), text, "
      "\"application/json\");\n"
      "    if (method_name == \"PATCH\") return http_->Patch(path.c_str(), text, "
      "\"application/json\");\n"
      "    return http_->Delete(path.c_str());\n"
      "  };\n"
      "  httplib::Result result = send();\n"
      "  if (!result) throw ApiError(0, method_name + \" \" + path + \": cannot reach the " +
      api.service +
      " service: \" + httplib::to_string(result.error()), \"\", \"\");\n"
      "  nlohmann::json answer = nlohmann::json::parse(result->body, nullptr, false);\n"
      "  if (result->status != expected) {\n"
      "    std::string message = answer.is_object() && answer.contains(\"error\") ? "
      "answer[\"error\"].get<std::string>() : result->body;\n"
      "    std::string field = answer.is_object() && answer.contains(\"field\") ? "
      "answer[\"field\"].get<std::string>() : \"\";\n"
      "    std::string constraint = answer.is_object() && answer.contains(\"constraint\") ? "
      "answer[\"constraint\"].get<std::string>() : \"\";\n"
      "    throw ApiError(result->status, message, field, constraint);\n  }\n"
      "  if (answer.is_discarded()) throw ApiError(result->status, method_name + \" \" + path + "
      "\": the answer is not JSON\", \"\", \"\");\n"
      "  return answer;\n}\n\n";
  for (const auto& r : api.resources) {
    std::string t = r.type_name;
    if (!r.key.empty())
      out += t + " Client::get_" + base(r, true) + "(" + key_parameters(r) +
             ") {\n  return call(\"GET\", " + key_path(r) + ", nullptr, 200).get<" + t +
             ">();\n}\n\n";
    out += "Page<" + t + "> Client::list_" + base(r, false) + "(" + kListArgsDef +
           ") {\n  return page_of<" + t + ">(call(\"GET\", list_path(\"" + r.path +
           "\", filters, limit, cursor), nullptr, 200));\n}\n\n";
    out += t + " Client::create_" + base(r, true) + "(const " + t +
           "Fields& fields) {\n  nlohmann::json body = fields;\n  return call(\"POST\", \"" +
           r.path + "\", &body, 201).get<" + t + ">();\n}\n\n";
    if (!r.key.empty()) {
      out += t + " Client::update_" + base(r, true) + "(" + key_parameters(r) + ", const " + t +
             "Fields& fields) {\n  nlohmann::json body = fields;\n  return call(\"PATCH\", " +
             key_path(r) + ", &body, 200).get<" + t + ">();\n}\n\n";
      out += t + " Client::delete_" + base(r, true) + "(" + key_parameters(r) +
             ") {\n  return call(\"DELETE\", " + key_path(r) + ", nullptr, 200).get<" + t +
             ">();\n}\n\n";
    }
  }
  for (const auto& q : api.queries)
    out += "Page<" + q.type_name + "> Client::" + q.name + "(" + kListArgsDef +
           ") {\n  return page_of<" + q.type_name + ">(call(\"GET\", list_path(\"" + q.path +
           "\", filters, limit, cursor), nullptr, 200));\n}\n\n";
  for (const auto& c : api.commands)
    if (c.unsupported.empty())
      out += c.type_name + "Result Client::" + c.operation + "(const " + c.type_name +
             "Request& request, DryRun dry_run) {\n  nlohmann::json body = request;\n"
             "  std::string path = dry_run == DryRun::yes ? \"" +
             c.path + "?dry_run=true\" : \"" + c.path +
             "\";\n  return call(\"POST\", path, &body, 200).get<" + c.type_name +
             "Result>();\n}\n\n";
  out += "}  // namespace " + ns + "\n";
  return out;
}

}  // namespace dbsplit::codegen
