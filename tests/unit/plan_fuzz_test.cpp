// A seeded mutation fuzzer for the plan parser: inputs derived from a real plan by byte
// flips, truncations, splices and type swaps. It must only ever return a plan or throw
// UsageError naming the file. 10,000 inputs by default; the full run is
//   DBSPLIT_FUZZ_ITERATIONS=1000000 build/tests/dbsplit_unit_tests "[fuzz]"
#include <catch2/catch.hpp>
#include <cstdlib>
#include <random>

#include "core/plan/builder.hpp"
#include "core/plan/json.hpp"
#include "core/util/error.hpp"
#include "tests/unit/plan_fixture.hpp"

using namespace dbsplit::plan;

namespace {

// Replaces one random value of the document with a value of another type.
std::string type_swap(const nlohmann::json& doc, std::mt19937_64& rng) {
  nlohmann::json copy = doc;
  nlohmann::json* node = &copy;
  std::uniform_int_distribution<int> coin(0, 3);
  while ((node->is_object() || node->is_array()) && !node->empty() && coin(rng) != 0) {
    std::uniform_int_distribution<size_t> pick(0, node->size() - 1);
    auto it = node->begin();
    std::advance(it, static_cast<long>(pick(rng)));
    node = &*it;
  }
  static const nlohmann::json replacements[] = {nullptr,
                                                true,
                                                0,
                                                -1,
                                                2,
                                                1.5,
                                                18446744073709551615ULL,
                                                "",
                                                "x",
                                                "public.nope",
                                                nlohmann::json::array(),
                                                nlohmann::json::object(),
                                                nlohmann::json::array({1, "a"})};
  std::uniform_int_distribution<size_t> which(0, std::size(replacements) - 1);
  *node = replacements[which(rng)];
  return copy.dump(coin(rng) == 0 ? -1 : 2);
}

std::string mutate(const std::string& text, const nlohmann::json& doc, std::mt19937_64& rng) {
  std::uniform_int_distribution<int> kind(0, 4);
  std::uniform_int_distribution<size_t> pos(0, text.size() - 1);
  std::string out = text;
  switch (kind(rng)) {
    case 0: {  // byte flips
      std::uniform_int_distribution<int> count(1, 8), byte(0, 255);
      for (int i = count(rng); i > 0; --i) out[pos(rng)] = static_cast<char>(byte(rng));
      break;
    }
    case 1:  // truncation
      out.resize(pos(rng));
      break;
    case 2: {  // splice: a slice of the plan inserted elsewhere
      size_t from = pos(rng), len = std::min<size_t>(pos(rng) % 200, text.size() - from);
      out.insert(pos(rng), text.substr(from, len));
      break;
    }
    case 3: {  // deletion of a slice
      size_t from = pos(rng);
      out.erase(from, pos(rng) % 64);
      break;
    }
    default:
      out = type_swap(doc, rng);
  }
  return out;
}

}  // namespace

TEST_CASE("plan parser survives seeded mutations of a real plan", "[plan][fuzz]") {
  const std::string text = to_json_text(build_plan(dbsplit::test::shop_analysis()));
  const nlohmann::json doc = nlohmann::json::parse(text);
  long iterations = 10000;
  if (const char* env = std::getenv("DBSPLIT_FUZZ_ITERATIONS")) iterations = std::atol(env);
  std::mt19937_64 rng(20261127);
  long accepted = 0, rejected = 0, other = 0;
  std::string first_other;
  for (long i = 0; i < iterations; ++i) {
    std::string input = mutate(text, doc, rng);
    try {
      plan_from_json_text(input, "fuzz.json");
      ++accepted;
    } catch (const dbsplit::UsageError& e) {
      ++rejected;
      if (std::string(e.what()).rfind("fuzz.json", 0) != 0 && first_other.empty()) {
        first_other = e.what();
        ++other;
      }
    } catch (const std::exception& e) {
      ++other;
      if (first_other.empty()) first_other = e.what();
    }
  }
  INFO("first unexpected outcome: " << first_other);
  CHECK(other == 0);
  CHECK(accepted + rejected == iterations);
  // Both outcomes happen: the mutations reach past the JSON syntax into the plan reader.
  CHECK(accepted > 0);
  CHECK(rejected > iterations / 2);
  WARN("fuzz: " << iterations << " inputs, " << accepted << " accepted, " << rejected
                << " rejected with a UsageError");
}
