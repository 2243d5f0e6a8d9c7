#include "core/events/broker.hpp"

#include <fmt/format.h>
#include <nats/nats.h>

#include <mutex>
#include <regex>

#include "core/events/names.hpp"
#include "core/util/error.hpp"

namespace dbsplit::events {
namespace {

constexpr std::int64_t kNanosPerSecond = 1000LL * 1000 * 1000;
constexpr const char* kMsgIdHeader = "Nats-Msg-Id";

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

// Header values are single lines.
std::string header_value(const std::string& value) {
  std::string out = value;
  for (char& c : out)
    if (c == '\r' || c == '\n') c = ' ';
  return out;
}

natsMsg* as_msg(void* p) { return static_cast<natsMsg*>(p); }

}  // namespace

// ---------------------------------------------------------------------------------------
// Messages received from a consumer.

ReceivedMessage& ReceivedMessage::operator=(ReceivedMessage&& o) noexcept {
  if (this != &o) {
    natsMsg_Destroy(as_msg(msg_));
    msg_ = o.msg_;
    o.msg_ = nullptr;
  }
  return *this;
}

ReceivedMessage::~ReceivedMessage() { natsMsg_Destroy(as_msg(msg_)); }

std::string_view ReceivedMessage::subject() const { return natsMsg_GetSubject(as_msg(msg_)); }

std::string_view ReceivedMessage::data() const {
  const char* d = natsMsg_GetData(as_msg(msg_));
  return d == nullptr
             ? std::string_view()
             : std::string_view(d, static_cast<size_t>(natsMsg_GetDataLength(as_msg(msg_))));
}

std::string ReceivedMessage::header(const char* name) const {
  const char* value = nullptr;
  if (natsMsgHeader_Get(as_msg(msg_), name, &value) != NATS_OK || value == nullptr) return "";
  return value;
}

std::uint64_t ReceivedMessage::stream_sequence() const {
  jsMsgMetaData* meta = nullptr;
  if (natsMsg_GetMetaData(&meta, as_msg(msg_)) != NATS_OK) return 0;
  std::uint64_t out = meta->Sequence.Stream;
  jsMsgMetaData_Destroy(meta);
  return out;
}

void ReceivedMessage::ack() {
  natsStatus s = natsMsg_Ack(as_msg(msg_), nullptr);
  if (s != NATS_OK)
    throw RuntimeError(
        fmt::format("cannot acknowledge event {}: {}", header(kMsgIdHeader), describe(s)));
}

void ReceivedMessage::nak() { natsMsg_Nak(as_msg(msg_), nullptr); }

// ---------------------------------------------------------------------------------------
// Pull consumers.

struct PullConsumer::Impl {
  natsSubscription* sub = nullptr;
  std::string stream, durable;
  ~Impl() {
    // Destroy only: since cnats 3.4 that keeps the durable consumer on the server.
    if (sub != nullptr) natsSubscription_Destroy(sub);
  }
};

PullConsumer::~PullConsumer() = default;

std::vector<ReceivedMessage> PullConsumer::fetch(int batch, int timeout_ms) {
  natsMsgList list{};
  jsErrCode code = static_cast<jsErrCode>(0);
  natsStatus s = natsSubscription_Fetch(&list, impl_->sub, batch, timeout_ms, &code);
  std::vector<ReceivedMessage> out;
  if (s == NATS_TIMEOUT) return out;
  if (s != NATS_OK)
    throw RuntimeError(fmt::format("fetching from consumer {} of stream {} failed: {}",
                                   impl_->durable, impl_->stream, describe(s)));
  out.reserve(static_cast<size_t>(list.Count));
  for (int i = 0; i < list.Count; ++i) {
    out.emplace_back(list.Msgs[i]);
    list.Msgs[i] = nullptr;
  }
  natsMsgList_Destroy(&list);
  return out;
}

// ---------------------------------------------------------------------------------------
// The connection.

struct JetStream::Impl {
  std::string url;  // redacted
  natsConnection* connection = nullptr;
  jsCtx* js = nullptr;
  std::mutex handler_mutex;
  AckHandler handler;

  ~Impl() {
    if (js != nullptr) jsCtx_Destroy(js);
    if (connection != nullptr) natsConnection_Destroy(connection);
  }

  static void on_pub_ack(jsCtx*, natsMsg* msg, jsPubAck* ack, jsPubAckErr* err, void* closure) {
    auto* self = static_cast<Impl*>(closure);
    const char* id = nullptr;
    if (natsMsgHeader_Get(msg, kMsgIdHeader, &id) != NATS_OK) id = nullptr;
    PublishAck out;
    out.id = id != nullptr ? id : "";
    if (ack != nullptr) {
      out.ok = true;
      out.duplicate = ack->Duplicate;
      out.sequence = ack->Sequence;
    } else {
      out.error = "no acknowledgement";
      if (err != nullptr)
        out.error = err->ErrText != nullptr && *err->ErrText != '\0' ? err->ErrText
                                                                     : natsStatus_GetText(err->Err);
      out.error = fmt::format("event {} ({}): {}", id != nullptr ? id : "?",
                              natsMsg_GetSubject(msg), out.error);
    }
    {
      std::lock_guard<std::mutex> lock(self->handler_mutex);
      if (self->handler) self->handler(out);
    }
    natsMsg_Destroy(msg);
  }

  [[noreturn]] void fail_jetstream(const std::string& what, natsStatus s) {
    throw RuntimeError(
        fmt::format("NATS at {} does not answer JetStream requests ({}): {}; start the server "
                    "with JetStream enabled (`nats-server -js -sd DIR`)",
                    url, what, describe(s)));
  }
};

JetStream::JetStream(const std::string& raw_url, const Options& options) : impl_(new Impl) {
  impl_->url = redact_nats_url(raw_url);
  natsOptions* nopts = nullptr;
  natsStatus s = natsOptions_Create(&nopts);
  if (s == NATS_OK) s = natsOptions_SetURL(nopts, raw_url.c_str());
  if (s == NATS_OK) s = natsOptions_SetTimeout(nopts, 5000);
  if (s == NATS_OK) s = natsOptions_SetName(nopts, options.client_name.c_str());
  if (s == NATS_OK) s = natsOptions_SetMaxReconnect(nopts, options.max_reconnects);
  if (s == NATS_OK) s = natsOptions_SetReconnectWait(nopts, 250);
  if (s == NATS_OK) s = natsConnection_Connect(&impl_->connection, nopts);
  natsOptions_Destroy(nopts);
  if (s != NATS_OK)
    throw RuntimeError(
        fmt::format("cannot connect to NATS at {} (--nats): {}; start a server with JetStream "
                    "(`nats-server -js -sd DIR`) or pass the URL of a running one with --nats",
                    impl_->url, describe(s)));
  jsOptions js_options;
  jsOptions_Init(&js_options);
  js_options.Wait = 10000;
  js_options.PublishAsync.MaxPending = options.max_pending;
  // Waiting for room is the flow control: far longer than any healthy acknowledgement.
  js_options.PublishAsync.StallWait = 60000;
  js_options.PublishAsync.AckHandler = &Impl::on_pub_ack;
  js_options.PublishAsync.AckHandlerClosure = impl_.get();
  s = natsConnection_JetStream(&impl_->js, impl_->connection, &js_options);
  if (s != NATS_OK)
    throw RuntimeError(fmt::format("cannot use JetStream at {}: {}", impl_->url, describe(s)));
}

JetStream::~JetStream() = default;

const std::string& JetStream::url() const { return impl_->url; }

std::string JetStream::ensure_stream(const std::string& service) {
  std::string stream = stream_name(service);
  jsStreamInfo* info = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  natsStatus s = js_GetStreamInfo(&info, impl_->js, stream.c_str(), nullptr, &code);
  if (s == NATS_OK) {
    jsStreamInfo_Destroy(info);
    return stream;
  }
  if (s != NATS_NOT_FOUND) impl_->fail_jetstream("stream info " + stream, s);
  std::string subjects = service_subjects(service);
  const char* subject_list[] = {subjects.c_str()};
  jsStreamConfig config;
  jsStreamConfig_Init(&config);
  config.Name = stream.c_str();
  config.Subjects = subject_list;
  config.SubjectsLen = 1;
  config.Storage = js_FileStorage;
  config.Duplicates = kDuplicateWindowSeconds * kNanosPerSecond;
  s = js_AddStream(&info, impl_->js, &config, nullptr, &code);
  if (s == NATS_OK) {
    jsStreamInfo_Destroy(info);
    return stream;
  }
  // Another process may have created it meanwhile.
  if (js_GetStreamInfo(&info, impl_->js, stream.c_str(), nullptr, &code) == NATS_OK) {
    jsStreamInfo_Destroy(info);
    return stream;
  }
  throw RuntimeError(
      fmt::format("cannot create the JetStream stream {} (subjects {}) at {}: {}; check that the "
                  "account may create streams and no other stream claims these subjects",
                  stream, subjects, impl_->url, describe(s)));
}

std::uint64_t JetStream::last_sequence(const std::string& stream) {
  jsStreamInfo* info = nullptr;
  natsStatus s = js_GetStreamInfo(&info, impl_->js, stream.c_str(), nullptr, nullptr);
  if (s != NATS_OK) impl_->fail_jetstream("stream info " + stream, s);
  std::uint64_t out = info->State.LastSeq;
  jsStreamInfo_Destroy(info);
  return out;
}

void JetStream::on_ack(AckHandler handler) {
  std::lock_guard<std::mutex> lock(impl_->handler_mutex);
  impl_->handler = std::move(handler);
}

void JetStream::publish(const OutgoingMessage& m) {
  natsMsg* msg = nullptr;
  natsStatus s = natsMsg_Create(&msg, m.subject.c_str(), nullptr, m.data.data(),
                                static_cast<int>(m.data.size()));
  for (const auto& [name, value] : m.headers)
    if (s == NATS_OK) s = natsMsgHeader_Set(msg, name, header_value(value).c_str());
  jsPubOptions options;
  jsPubOptions_Init(&options);
  options.MsgId = m.id.c_str();
  if (s == NATS_OK) s = js_PublishMsgAsync(impl_->js, &msg, &options);
  natsMsg_Destroy(msg);  // no-op when the library took it
  if (s != NATS_OK)
    throw RuntimeError(fmt::format("event {} ({}): {}", m.id, m.subject, describe(s)));
}

bool JetStream::wait_for_acks(int timeout_ms) {
  jsPubOptions wait;
  jsPubOptions_Init(&wait);
  wait.MaxWait = timeout_ms;
  return js_PublishAsyncComplete(impl_->js, &wait) == NATS_OK;
}

std::unique_ptr<PullConsumer> JetStream::pull_consumer(const std::string& stream,
                                                       const std::string& durable,
                                                       const std::string& filter_subject,
                                                       std::uint64_t start_after,
                                                       int max_ack_pending, int ack_wait_seconds) {
  jsErrCode code = static_cast<jsErrCode>(0);
  if (!has_consumer(stream, durable)) {
    jsConsumerConfig config;
    jsConsumerConfig_Init(&config);
    config.Durable = durable.c_str();
    config.AckPolicy = js_AckExplicit;
    config.AckWait = ack_wait_seconds * kNanosPerSecond;
    config.MaxAckPending = max_ack_pending;
    config.FilterSubject = filter_subject.c_str();
    config.MaxDeliver = -1;
    if (start_after > 0) {
      config.DeliverPolicy = js_DeliverByStartSequence;
      config.OptStartSeq = start_after + 1;
    } else {
      config.DeliverPolicy = js_DeliverAll;
    }
    jsConsumerInfo* info = nullptr;
    natsStatus s = js_AddConsumer(&info, impl_->js, stream.c_str(), &config, nullptr, &code);
    if (s != NATS_OK && !has_consumer(stream, durable))
      throw RuntimeError(fmt::format("cannot create the consumer {} of stream {} at {}: {}",
                                     durable, stream, impl_->url, describe(s)));
    jsConsumerInfo_Destroy(info);
  }
  auto out = std::unique_ptr<PullConsumer>(new PullConsumer);
  out->impl_ = std::make_unique<PullConsumer::Impl>();
  out->impl_->stream = stream;
  out->impl_->durable = durable;
  jsSubOptions sub_options;
  jsSubOptions_Init(&sub_options);
  sub_options.Stream = stream.c_str();
  sub_options.Consumer = durable.c_str();
  natsStatus s = js_PullSubscribe(&out->impl_->sub, impl_->js, filter_subject.c_str(),
                                  durable.c_str(), nullptr, &sub_options, &code);
  if (s != NATS_OK)
    throw RuntimeError(fmt::format("cannot bind to the consumer {} of stream {} at {}: {}", durable,
                                   stream, impl_->url, describe(s)));
  return out;
}

bool JetStream::has_consumer(const std::string& stream, const std::string& durable) {
  jsConsumerInfo* info = nullptr;
  natsStatus s =
      js_GetConsumerInfo(&info, impl_->js, stream.c_str(), durable.c_str(), nullptr, nullptr);
  if (s == NATS_OK) {
    jsConsumerInfo_Destroy(info);
    return true;
  }
  if (s == NATS_NOT_FOUND) return false;
  impl_->fail_jetstream("consumer info " + durable, s);
}

void JetStream::delete_consumer(const std::string& stream, const std::string& durable) {
  natsStatus s = js_DeleteConsumer(impl_->js, stream.c_str(), durable.c_str(), nullptr, nullptr);
  if (s != NATS_OK && s != NATS_NOT_FOUND)
    throw RuntimeError(fmt::format("cannot delete the consumer {} of stream {} at {}: {}", durable,
                                   stream, impl_->url, describe(s)));
}

bool JetStream::consumer_lag(const std::string& stream, const std::string& durable,
                             std::uint64_t& pending, std::uint64_t& ack_pending) {
  jsConsumerInfo* info = nullptr;
  natsStatus s =
      js_GetConsumerInfo(&info, impl_->js, stream.c_str(), durable.c_str(), nullptr, nullptr);
  if (s == NATS_NOT_FOUND) return false;
  if (s != NATS_OK) impl_->fail_jetstream("consumer info " + durable, s);
  pending = info->NumPending;
  ack_pending = static_cast<std::uint64_t>(info->NumAckPending);
  jsConsumerInfo_Destroy(info);
  return true;
}

}  // namespace dbsplit::events
