#include "core/runtime/key_lookups.hpp"

#include <map>

#include "core/runtime/statements.hpp"

namespace dbsplit::runtime {

KeyLookups::KeyLookups(net::EventLoop& loop, PipelinePool& pool, size_t max_in_flight)
    : pool_(pool), max_in_flight_(max_in_flight < 1 ? 1 : max_in_flight) {
  loop.at_round_end([this] { return dispatch(); });
}

void KeyLookups::coalesce(const codegen::Resource& r, std::vector<std::string> types) {
  Queue& q = queues_[&r];
  q.resource = &r;
  q.types = std::move(types);
}

void KeyLookups::find(const codegen::Resource& r, std::vector<std::string> key,
                      std::function<void(Lookup)> done) {
  ++lookups_;
  auto it = queues_.find(&r);
  if (it == queues_.end()) {
    single(r, {Pending{std::move(key), std::move(done)}});
    return;
  }
  Queue& q = it->second;
  if (q.pending.empty()) ready_.push_back(&q);
  q.pending.push_back(Pending{std::move(key), std::move(done)});
}

bool KeyLookups::dispatch() {
  bool sent = false;
  for (size_t i = 0; i < ready_.size();) {
    Queue& q = *ready_[i];
    while (!q.pending.empty() && q.in_flight < max_in_flight_) {
      send(q);
      sent = true;
    }
    if (q.pending.empty()) {
      ready_[i] = ready_.back();
      ready_.pop_back();
    } else {
      ++i;
    }
  }
  return sent;
}

void KeyLookups::send(Queue& q) {
  std::vector<Pending> batch;
  if (q.pending.size() <= kMaxKeysPerStatement) {
    batch.swap(q.pending);
  } else {
    auto cut = q.pending.begin() + static_cast<std::ptrdiff_t>(kMaxKeysPerStatement);
    batch.assign(std::make_move_iterator(q.pending.begin()), std::make_move_iterator(cut));
    q.pending.erase(q.pending.begin(), cut);
  }
  // Equal keys share one element (and so one row).
  std::map<std::vector<std::string>, size_t> element;
  std::vector<std::vector<std::string>> keys;
  std::vector<size_t> element_of;
  element_of.reserve(batch.size());
  for (const auto& p : batch) {
    auto [it, added] = element.emplace(p.key, keys.size());
    if (added) keys.push_back(p.key);
    element_of.push_back(it->second);
  }
  ++q.in_flight;
  ++statements_;
  const codegen::Resource* r = q.resource;
  pool_.run(select_by_keys(*r, q.types, keys), [this, &q, r, batch = std::move(batch),
                                                element_of = std::move(element_of),
                                                count = keys.size()](DbOutcome outcome) mutable {
    --q.in_flight;
    if (outcome.error && outcome.error->kind == DbError::Kind::server) {
      one_by_one(*r, std::move(batch));
      return;
    }
    if (outcome.error) {
      for (auto& p : batch) p.done(Lookup{std::nullopt, outcome.error});
      return;
    }
    std::vector<std::optional<std::string>> rows(count);
    PGresult* res = outcome.result.get();
    for (int i = 0; i < PQntuples(res); ++i) {
      long ordinal = std::strtol(PQgetvalue(res, i, 0), nullptr, 10);
      if (ordinal >= 1 && static_cast<size_t>(ordinal) <= count && !PQgetisnull(res, i, 1))
        rows[static_cast<size_t>(ordinal - 1)] = std::string(PQgetvalue(res, i, 1));
    }
    for (size_t i = 0; i < batch.size(); ++i)
      batch[i].done(Lookup{rows[element_of[i]], std::nullopt});
  });
}

void KeyLookups::one_by_one(const codegen::Resource& r, std::vector<Pending> batch) {
  std::map<std::vector<std::string>, std::vector<Pending>> by_key;
  for (auto& p : batch) by_key[p.key].push_back(std::move(p));
  for (auto& [key, same] : by_key) single(r, std::move(same));
}

void KeyLookups::single(const codegen::Resource& r, std::vector<Pending> same_key) {
  ++statements_;
  Statement st = select_by_key(r, same_key.front().key);
  pool_.run(st, [same_key = std::move(same_key)](DbOutcome outcome) mutable {
    Lookup answer;
    if (outcome.error)
      answer.error = outcome.error;
    else if (PQntuples(outcome.result.get()) > 0)
      answer.row = std::string(PQgetvalue(outcome.result.get(), 0, 0));
    for (auto& p : same_key) p.done(answer);
  });
}

}  // namespace dbsplit::runtime
