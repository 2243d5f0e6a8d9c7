#pragma once
// The names dbsplit gives the replication and broker objects of change events (DESIGN
// section 9): slots, publications, streams, subjects, durable consumers.
#include <string>

namespace dbsplit::events {

// dbsplit_capture_<service>: the service's change-capture slot and its publication.
std::string capture_slot_name(const std::string& service);
// dbsplit_analytics_<service>: the publication and subscription feeding the analytics database.
std::string analytics_name(const std::string& service);

// The stream of a service: DBSPLIT_<SERVICE>, upper case, characters a stream name may not
// hold replaced by '_'.
std::string stream_name(const std::string& service);

// The subject of an event: dbsplit.<service>.<event_type> (the service said once when the
// event type starts with it, as "<service>.<table>.<change>" do), each part made a valid
// NATS subject token (no space, '*', '>'; never empty).
std::string subject_for(const std::string& service, const std::string& event_type);

// "dbsplit.<service>.>": every subject of a service's stream.
std::string service_subjects(const std::string& service);

// The durable JetStream consumer of holder service `holder` on the stream of `source`:
// dbsplit_<holder> (a durable name may not hold '.', '*', '>' or spaces).
std::string durable_name(const std::string& holder);

// The NATS URL (or comma-separated list) with passwords and tokens replaced by "***".
std::string redact_nats_url(const std::string& url);

}  // namespace dbsplit::events
