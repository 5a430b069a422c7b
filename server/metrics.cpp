#include "server/metrics.h"

#include <cstdio>

namespace isign::server {

namespace {

constexpr std::array<int, 6> kRejectedStatuses = {400, 404, 405, 413, 415, 431};
constexpr std::array<const char*, 2> kEndpoints = {"validate", "mutate"};
constexpr std::array<const char*, 3> kOutcomes = {"verified", "refused", "error"};
constexpr std::array<const char*, 3> kReloads = {"policy", "tls", "registry_auth"};

std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

void head(std::string& out, const char* name, const char* type, const char* help) {
  out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
}

} // namespace

void Metrics::review(Endpoint endpoint, bool allowed, double seconds) {
  auto e = static_cast<std::size_t>(endpoint);
  ++reviews_[e][allowed ? 1 : 0];
  Histogram& h = latency_[e];
  for (std::size_t i = 0; i < kBuckets.size(); ++i)
    if (seconds <= kBuckets[i]) {
      ++h.buckets[i];
      break;
    }
  ++h.count;
  h.sum_micros += static_cast<std::uint64_t>(seconds * 1e6);
}

void Metrics::cache(bool hit) {
  ++(hit ? hits_ : misses_);
}

void Metrics::verification(Outcome outcome) {
  ++outcomes_[static_cast<std::size_t>(outcome)];
}

void Metrics::registry_error() {
  ++registry_errors_;
}

void Metrics::reload(ReloadOf what, bool ok) {
  ++reloads_[static_cast<std::size_t>(what)][ok ? 1 : 0];
}

void Metrics::rejected_request(int status) {
  for (std::size_t i = 0; i < kRejectedStatuses.size(); ++i)
    if (kRejectedStatuses[i] == status)
      ++rejected_[i];
}

std::string Metrics::render() const {
  std::string out;
  head(out, "isign_review_duration_seconds", "histogram",
       "Time from a review's arrival to its answer.");
  for (std::size_t e = 0; e < kEndpoints.size(); ++e) {
    const Histogram& h = latency_[e];
    std::uint64_t cumulative = 0;
    const std::string label = std::string("endpoint=\"") + kEndpoints[e] + "\"";
    for (std::size_t i = 0; i < kBuckets.size(); ++i) {
      cumulative += h.buckets[i];
      out += "isign_review_duration_seconds_bucket{" + label + ",le=\"" + number(kBuckets[i]) +
             "\"} " + std::to_string(cumulative) + "\n";
    }
    out += "isign_review_duration_seconds_bucket{" + label + ",le=\"+Inf\"} " +
           std::to_string(h.count) + "\n";
    out += "isign_review_duration_seconds_sum{" + label + "} " +
           number(static_cast<double>(h.sum_micros) / 1e6) + "\n";
    out += "isign_review_duration_seconds_count{" + label + "} " + std::to_string(h.count) + "\n";
  }
  head(out, "isign_reviews_total", "counter", "Reviews answered, by endpoint and verdict.");
  for (std::size_t e = 0; e < kEndpoints.size(); ++e)
    for (int a = 0; a < 2; ++a)
      out += std::string("isign_reviews_total{endpoint=\"") + kEndpoints[e] + "\",allowed=\"" +
             (a ? "true" : "false") + "\"} " +
             std::to_string(reviews_[e][static_cast<std::size_t>(a)]) + "\n";
  head(out, "isign_cache_hits_total", "counter", "Images answered from the verdict cache.");
  out += "isign_cache_hits_total " + std::to_string(hits_) + "\n";
  head(out, "isign_cache_misses_total", "counter",
       "Images verified, or waited for, because the cache had no fresh verdict.");
  out += "isign_cache_misses_total " + std::to_string(misses_) + "\n";
  head(out, "isign_verifications_total", "counter", "Verifications run, by outcome.");
  for (std::size_t i = 0; i < kOutcomes.size(); ++i)
    out += std::string("isign_verifications_total{outcome=\"") + kOutcomes[i] + "\"} " +
           std::to_string(outcomes_[i]) + "\n";
  head(out, "isign_registry_errors_total", "counter",
       "Verifications that failed on the registry (unreachable, 5xx, throttled, deadline).");
  out += "isign_registry_errors_total " + std::to_string(registry_errors_) + "\n";
  head(out, "isign_reloads_total", "counter",
       "Reloads of changed files, by what changed and result (refused: the old one kept).");
  for (std::size_t w = 0; w < kReloads.size(); ++w)
    for (int ok = 0; ok < 2; ++ok)
      out += std::string("isign_reloads_total{what=\"") + kReloads[w] + "\",result=\"" +
             (ok ? "ok" : "refused") + "\"} " +
             std::to_string(reloads_[w][static_cast<std::size_t>(ok)]) + "\n";
  head(out, "isign_rejected_requests_total", "counter",
       "Requests refused before any review, by HTTP status.");
  for (std::size_t i = 0; i < kRejectedStatuses.size(); ++i)
    out += "isign_rejected_requests_total{code=\"" + std::to_string(kRejectedStatuses[i]) +
           "\"} " + std::to_string(rejected_[i]) + "\n";
  head(out, "isign_reviews_in_flight", "gauge", "Reviews being answered now.");
  out += "isign_reviews_in_flight " + std::to_string(in_flight_) + "\n";
  return out;
}

} // namespace isign::server
