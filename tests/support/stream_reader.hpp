#pragma once
// Reads a whole JetStream stream back (the event tests check what reached the broker).
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace dbsplit::test {

struct StreamMessage {
  std::string subject;
  std::string id;                              // Nats-Msg-Id
  std::map<std::string, std::string> headers;  // the Dbsplit-* headers
  std::string data;
};

// Every message of `stream` in order; an empty vector when the stream does not exist.
// Throws std::runtime_error when the server cannot be read.
std::vector<StreamMessage> read_stream_messages(const std::string& url, const std::string& stream);

// The same without the relay's heartbeats (subjects dbsplit.<service>._heartbeat).
std::vector<StreamMessage> read_stream_events(const std::string& url, const std::string& stream);

}  // namespace dbsplit::test
