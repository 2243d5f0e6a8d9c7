#include "tests/support/stream_reader.hpp"

#include <nats/nats.h>

#include <stdexcept>

namespace dbsplit::test {
namespace {

void check(natsStatus s, const char* what) {
  if (s != NATS_OK) throw std::runtime_error(std::string(what) + ": " + natsStatus_GetText(s));
}

}  // namespace

std::vector<StreamMessage> read_stream_messages(const std::string& url, const std::string& stream) {
  std::vector<StreamMessage> out;
  natsConnection* nc = nullptr;
  jsCtx* js = nullptr;
  check(natsConnection_ConnectTo(&nc, url.c_str()), "connect");
  check(natsConnection_JetStream(&js, nc, nullptr), "jetstream");
  jsStreamInfo* info = nullptr;
  natsStatus s = js_GetStreamInfo(&info, js, stream.c_str(), nullptr, nullptr);
  if (s == NATS_NOT_FOUND) {
    jsCtx_Destroy(js);
    natsConnection_Destroy(nc);
    return out;
  }
  check(s, "stream info");
  uint64_t count = info->State.Msgs;
  std::string subject = info->Config->Subjects[0];
  jsStreamInfo_Destroy(info);
  if (count > 0) {
    natsSubscription* sub = nullptr;
    jsSubOptions options;
    jsSubOptions_Init(&options);
    options.Stream = stream.c_str();
    options.Ordered = true;
    check(js_SubscribeSync(&sub, js, subject.c_str(), nullptr, &options, nullptr), "subscribe");
    for (uint64_t i = 0; i < count; ++i) {
      natsMsg* msg = nullptr;
      check(natsSubscription_NextMsg(&msg, sub, 10000), "next message");
      StreamMessage m;
      m.subject = natsMsg_GetSubject(msg);
      const char** keys = nullptr;
      int n = 0;
      if (natsMsgHeader_Keys(msg, &keys, &n) == NATS_OK) {
        for (int k = 0; k < n; ++k) {
          const char* value = nullptr;
          natsMsgHeader_Get(msg, keys[k], &value);
          std::string key = keys[k];
          if (key == "Nats-Msg-Id")
            m.id = value != nullptr ? value : "";
          else if (key.rfind("Dbsplit-", 0) == 0)
            m.headers[key] = value != nullptr ? value : "";
        }
        free(static_cast<void*>(keys));
      }
      if (natsMsg_GetDataLength(msg) > 0)
        m.data.assign(natsMsg_GetData(msg), static_cast<size_t>(natsMsg_GetDataLength(msg)));
      out.push_back(std::move(m));
      natsMsg_Destroy(msg);
    }
    natsSubscription_Destroy(sub);
  }
  jsCtx_Destroy(js);
  natsConnection_Destroy(nc);
  return out;
}

std::vector<StreamMessage> read_stream_events(const std::string& url, const std::string& stream) {
  std::vector<StreamMessage> out;
  const std::string suffix = "._heartbeat";
  for (auto& m : read_stream_messages(url, stream))
    if (m.subject.size() < suffix.size() ||
        m.subject.compare(m.subject.size() - suffix.size(), suffix.size(), suffix) != 0)
      out.push_back(std::move(m));
  return out;
}

}  // namespace dbsplit::test
