#pragma once
// Point lookups by primary key (GET /<resource>/<key>), coalesced: the lookups of one
// resource that arrive in the same round of the serve loop, or while its previous
// statements are still running, leave as one statement (select_by_keys: the keys as
// arrays, one row back per key). Each lookup gets exactly its own row, or none.
//
// Consistency is that of one statement per request: a statement is only sent after every
// lookup in it arrived, so it sees every write acknowledged before any of them was sent.
// A lookup never joins a statement already on its way.
//
// When the coalesced statement fails with a server error (a key the database refuses,
// say), each key is looked up again on its own with the single-row statement, so an
// error answers only the lookup that caused it, with the error that lookup alone gets.
#include <functional>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/codegen/api_model.hpp"
#include "core/net/event_loop.hpp"
#include "core/runtime/pipeline_pool.hpp"

namespace dbsplit::runtime {

// The answer to one lookup: its row as JSON text, no row, or the error of its statement.
struct Lookup {
  std::optional<std::string> row;
  std::optional<DbError> error;
};

class KeyLookups {
 public:
  static constexpr size_t kMaxKeysPerStatement = 256;
  // `max_in_flight`: statements of one resource on their way at once; lookups arriving
  // meanwhile wait for the next one.
  KeyLookups(net::EventLoop& loop, PipelinePool& pool, size_t max_in_flight);

  // Coalesces lookups of `r` from now on; `types` are the key parameters' SQL types
  // (select_by_keys). Without it, each lookup is its own statement.
  void coalesce(const codegen::Resource& r, std::vector<std::string> types);

  // Looks up the row of `r` with `key` (checked text values, in key order); `done` runs on
  // the loop thread.
  void find(const codegen::Resource& r, std::vector<std::string> key,
            std::function<void(Lookup)> done);

  // Lookups answered and statements they took, for the log.
  size_t lookups() const { return lookups_; }
  size_t statements() const { return statements_; }

 private:
  struct Pending {
    std::vector<std::string> key;
    std::function<void(Lookup)> done;
  };
  struct Queue {
    const codegen::Resource* resource = nullptr;
    std::vector<std::string> types;
    std::vector<Pending> pending;
    size_t in_flight = 0;
  };
  bool dispatch();
  void send(Queue& q);
  void one_by_one(const codegen::Resource& r, std::vector<Pending> batch);
  void single(const codegen::Resource& r, std::vector<Pending> same_key);

  PipelinePool& pool_;
  size_t max_in_flight_;
  std::unordered_map<const codegen::Resource*, Queue> queues_;
  std::vector<Queue*> ready_;  // queues with pending lookups
  size_t lookups_ = 0;
  size_t statements_ = 0;
};

}  // namespace dbsplit::runtime
