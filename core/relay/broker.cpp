#include "core/relay/broker.hpp"

#include <fmt/format.h>
#include <nats/nats.h>

#include <cctype>
#include <cstdlib>
#include <mutex>
#include <regex>

#include "core/util/error.hpp"

namespace dbsplit::relay {
namespace {

constexpr std::int64_t kDuplicateWindowNs = 2LL * 60 * 1000 * 1000 * 1000;  // 2 minutes
constexpr std::int64_t kAckWaitMs = 30000;
constexpr const char* kMsgIdHeader = "Nats-Msg-Id";

// The acknowledgements of the batch in flight, filled by cnats' thread (on_ack).
struct AckState {
  std::mutex mutex;
  std::vector<std::int64_t> acked;
  std::size_t duplicates = 0;
  std::string first_error;
};

void on_ack(jsCtx*, natsMsg* msg, jsPubAck* ack, jsPubAckErr* err, void* closure) {
  auto* state = static_cast<AckState*>(closure);
  const char* id = nullptr;
  if (natsMsgHeader_Get(msg, kMsgIdHeader, &id) != NATS_OK) id = nullptr;
  {
    std::lock_guard<std::mutex> lock(state->mutex);
    if (ack != nullptr && id != nullptr) {
      state->acked.push_back(std::strtoll(id, nullptr, 10));
      if (ack->Duplicate) ++state->duplicates;
    } else if (state->first_error.empty()) {
      std::string text = "no acknowledgement";
      if (err != nullptr)
        text = err->ErrText != nullptr && *err->ErrText != '\0' ? err->ErrText
                                                                : natsStatus_GetText(err->Err);
      state->first_error =
          fmt::format("event {} ({}): {}", id != nullptr ? id : "?", natsMsg_GetSubject(msg), text);
    }
  }
  natsMsg_Destroy(msg);
}

// The library's description of a failed call: its last error text when it has one.
std::string describe(natsStatus status) {
  natsStatus last = NATS_OK;
  const char* text = nats_GetLastError(&last);
  std::string out = natsStatus_GetText(status);
  std::string detail = text != nullptr ? text : "";
  // cnats prefixes its texts with the source location, "(conn.c:2088): ".
  static const std::regex location(R"(^\([a-z_]+\.c:[0-9]+\): )");
  detail = std::regex_replace(detail, location, "");
  if (!detail.empty() && detail != out) out += " (" + detail + ")";
  return out;
}

std::string token(const std::string& part) {
  std::string out;
  for (char c : part) {
    bool bad = c == '*' || c == '>' || c == '.' || std::isspace(static_cast<unsigned char>(c)) ||
               std::iscntrl(static_cast<unsigned char>(c));
    out += bad ? '_' : c;
  }
  return out.empty() ? "_" : out;
}

// Header values are single lines.
std::string header_value(const std::string& value) {
  std::string out = value;
  for (char& c : out)
    if (c == '\r' || c == '\n') c = ' ';
  return out;
}

}  // namespace

std::string stream_name(const std::string& service) {
  std::string out = "DBSPLIT_";
  for (char c : service) {
    auto u = static_cast<unsigned char>(c);
    out += std::isalnum(u) || c == '_' || c == '-' ? static_cast<char>(std::toupper(u)) : '_';
  }
  return out;
}

std::string subject_for(const std::string& service, const std::string& event_type) {
  std::string out = "dbsplit." + token(service);
  size_t start = 0;
  // serve's event types already start with the service ("orders.orders.inserted"):
  // say it once, so the subject is dbsplit.<service>.<table>.<change>.
  size_t first_dot = event_type.find('.');
  if (first_dot != std::string::npos && token(event_type.substr(0, first_dot)) == token(service))
    start = first_dot + 1;
  while (true) {
    size_t dot = event_type.find('.', start);
    out += "." + token(event_type.substr(start, dot - start));
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return out;
}

std::string redact_nats_url(const std::string& url) {
  static const std::regex user_info(R"(://([^@/,:]*)(:[^@/,]*)?@)");
  std::string out;
  auto begin = std::sregex_iterator(url.begin(), url.end(), user_info);
  size_t done = 0;
  for (auto it = begin; it != std::sregex_iterator(); ++it) {
    const std::smatch& m = *it;
    out += url.substr(done, static_cast<size_t>(m.position()) - done);
    // user:password keeps the user; a lone user part is a token and is hidden whole.
    out += m[2].matched ? "://" + m[1].str() + ":***@" : std::string("://***@");
    done = static_cast<size_t>(m.position() + m.length());
  }
  return out + url.substr(done);
}

struct Broker::Impl {
  std::string url;  // redacted
  std::string service;
  std::string stream;
  natsConnection* connection = nullptr;
  jsCtx* js = nullptr;
  AckState acks;

  ~Impl() {
    if (js != nullptr) jsCtx_Destroy(js);
    if (connection != nullptr) natsConnection_Destroy(connection);
  }

  void connect(const std::string& raw_url) {
    natsOptions* options = nullptr;
    natsStatus s = natsOptions_Create(&options);
    if (s == NATS_OK) s = natsOptions_SetURL(options, raw_url.c_str());
    if (s == NATS_OK) s = natsOptions_SetTimeout(options, 5000);
    if (s == NATS_OK) s = natsOptions_SetName(options, ("dbsplit relay " + service).c_str());
    if (s == NATS_OK) s = natsConnection_Connect(&connection, options);
    natsOptions_Destroy(options);
    if (s != NATS_OK)
      throw RuntimeError(
          fmt::format("cannot connect to NATS at {} (--nats): {}; start a server with JetStream "
                      "(`nats-server -js -sd DIR`) or pass the URL of a running one with --nats",
                      url, describe(s)));
    jsOptions js_options;
    jsOptions_Init(&js_options);
    js_options.Wait = 10000;
    js_options.PublishAsync.AckHandler = on_ack;
    js_options.PublishAsync.AckHandlerClosure = &acks;
    s = natsConnection_JetStream(&js, connection, &js_options);
    if (s != NATS_OK)
      throw RuntimeError(fmt::format("cannot use JetStream at {}: {}", url, describe(s)));
  }

  void ensure_stream() {
    jsStreamInfo* info = nullptr;
    jsErrCode code = static_cast<jsErrCode>(0);
    natsStatus s = js_GetStreamInfo(&info, js, stream.c_str(), nullptr, &code);
    if (s == NATS_OK) {
      jsStreamInfo_Destroy(info);
      return;
    }
    if (s == NATS_NOT_FOUND) {
      std::string subjects = "dbsplit." + token(service) + ".>";
      const char* subject_list[] = {subjects.c_str()};
      jsStreamConfig config;
      jsStreamConfig_Init(&config);
      config.Name = stream.c_str();
      config.Subjects = subject_list;
      config.SubjectsLen = 1;
      config.Storage = js_FileStorage;
      config.Duplicates = kDuplicateWindowNs;
      s = js_AddStream(&info, js, &config, nullptr, &code);
      if (s == NATS_OK) {
        jsStreamInfo_Destroy(info);
        return;
      }
      throw RuntimeError(fmt::format(
          "cannot create the JetStream stream {} (subjects {}) at {}: {}; check that the "
          "account may create streams and no other stream claims these subjects",
          stream, subjects, url, describe(s)));
    }
    throw RuntimeError(
        fmt::format("NATS at {} does not answer JetStream requests (stream info {}): {}; start the "
                    "server with JetStream enabled (`nats-server -js -sd DIR`)",
                    url, stream, describe(s)));
  }
};

Broker::Broker(const std::string& url, const std::string& service) : impl_(new Impl) {
  impl_->url = redact_nats_url(url);
  impl_->service = service;
  impl_->stream = stream_name(service);
  impl_->connect(url);
  impl_->ensure_stream();
}

Broker::~Broker() = default;

const std::string& Broker::stream() const { return impl_->stream; }

PublishResult Broker::publish(const std::vector<OutboxEvent>& events) {
  AckState& acks = impl_->acks;
  {
    std::lock_guard<std::mutex> lock(acks.mutex);
    acks.acked.clear();
    acks.duplicates = 0;
    acks.first_error.clear();
  }
  std::string send_error;
  for (const auto& e : events) {
    std::string subject = subject_for(impl_->service, e.event_type);
    std::string id = std::to_string(e.id);
    natsMsg* msg = nullptr;
    natsStatus s = natsMsg_Create(&msg, subject.c_str(), nullptr, e.payload.data(),
                                  static_cast<int>(e.payload.size()));
    if (s == NATS_OK)
      s = natsMsgHeader_Set(msg, kAggregateTypeHeader, header_value(e.aggregate_type).c_str());
    if (s == NATS_OK)
      s = natsMsgHeader_Set(msg, kAggregateIdHeader, header_value(e.aggregate_id).c_str());
    if (s == NATS_OK)
      s = natsMsgHeader_Set(msg, kEventTypeHeader, header_value(e.event_type).c_str());
    jsPubOptions options;
    jsPubOptions_Init(&options);
    options.MsgId = id.c_str();
    if (s == NATS_OK) s = js_PublishMsgAsync(impl_->js, &msg, &options);
    natsMsg_Destroy(msg);  // no-op when the library took it
    if (s != NATS_OK) {
      send_error = fmt::format("event {} ({}): {}", id, subject, describe(s));
      break;
    }
  }
  // Wait for the acknowledgements of what was sent, also after a failed send, so no
  // acknowledgement of this batch lands in the next one.
  jsPubOptions wait;
  jsPubOptions_Init(&wait);
  wait.MaxWait = kAckWaitMs;
  natsStatus s = js_PublishAsyncComplete(impl_->js, &wait);
  if (s != NATS_OK) {
    natsMsgList pending;
    if (js_PublishAsyncGetPendingList(&pending, impl_->js) == NATS_OK)
      natsMsgList_Destroy(&pending);
    if (send_error.empty())
      send_error = fmt::format("acknowledgements did not arrive within {} s: {}", kAckWaitMs / 1000,
                               describe(s));
  }
  std::lock_guard<std::mutex> lock(acks.mutex);
  std::string error = !send_error.empty() ? send_error : acks.first_error;
  if (error.empty() && acks.acked.size() != events.size())
    error = fmt::format("{} of {} events acknowledged", acks.acked.size(), events.size());
  if (!error.empty())
    throw RuntimeError(fmt::format(
        "publishing to stream {} at {} failed: {}; no event of the batch is marked published, "
        "the next run publishes them again (the stream drops duplicates)",
        impl_->stream, impl_->url, error));
  return {acks.acked, acks.duplicates};
}

}  // namespace dbsplit::relay
