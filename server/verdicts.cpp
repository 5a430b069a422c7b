#include "server/verdicts.h"

#include <algorithm>
#include <exception>
#include <utility>

namespace isign::server {

Verdicts::Verdicts(VerdictCacheOptions options, Spawn spawn)
    : options_(std::move(options)), spawn_(std::move(spawn)) {}

Clock::time_point Verdicts::now() const {
  return options_.now ? options_.now() : Clock::now();
}

std::size_t Verdicts::size() const {
  std::lock_guard lock(mu_);
  return entries_.size();
}

std::optional<Verdict> Verdicts::fresh(const std::string& key, Clock::time_point t,
                                       std::vector<std::string>& refresh) {
  auto it = entries_.find(key);
  if (it == entries_.end())
    return std::nullopt;
  const Verdict& v = it->second.verdict;
  const auto age = t - it->second.at;
  if (age >= (v.allowed ? options_.ttl : options_.negative_ttl))
    return std::nullopt;
  if (v.allowed && age >= options_.refresh_after && !flights_.count(key)) {
    flights_.emplace(key, std::make_shared<Flight>());
    refresh.push_back(key);
  }
  return v;
}

void Verdicts::store(const std::string& key, const Verdict& v, Clock::time_point t) {
  if (v.transient) {
    // An unreachable registry says nothing about the image; an old passing verdict is kept for
    // the rest of its life rather than replaced by the outage.
    return;
  }
  entries_[key] = Entry{v, t};
}

void Verdicts::trim(Clock::time_point t) {
  if (entries_.size() <= options_.max_entries)
    return;
  for (auto it = entries_.begin(); it != entries_.end();) {
    const auto ttl = it->second.verdict.allowed ? options_.ttl : options_.negative_ttl;
    it = t - it->second.at >= ttl ? entries_.erase(it) : std::next(it);
  }
  if (entries_.size() <= options_.max_entries)
    return;
  std::vector<std::pair<Clock::time_point, const std::string*>> by_age;
  by_age.reserve(entries_.size());
  for (const auto& [key, entry] : entries_)
    by_age.emplace_back(entry.at, &key);
  const std::size_t drop = entries_.size() - options_.max_entries;
  std::nth_element(by_age.begin(), by_age.begin() + static_cast<std::ptrdiff_t>(drop - 1),
                   by_age.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<std::string> victims;
  victims.reserve(drop);
  for (std::size_t i = 0; i < drop; ++i)
    victims.push_back(*by_age[i].second);
  for (const auto& key : victims)
    entries_.erase(key);
}

std::vector<Verdict> Verdicts::lead(const std::vector<std::string>& keys,
                                    const VerifyBatch& verify) {
  std::vector<Verdict> verdicts;
  try {
    verdicts = verify(keys);
  } catch (const std::exception& e) {
    verdicts.clear();
    verdicts.resize(keys.size(),
                    Verdict{false, true, "", std::string("internal error while verifying: ") +
                                                 e.what()});
  }
  if (verdicts.size() != keys.size())
    verdicts.assign(keys.size(), Verdict{false, true, "", "internal error: no verdict"});
  const auto t = now();
  {
    std::lock_guard lock(mu_);
    for (std::size_t i = 0; i < keys.size(); ++i) {
      store(keys[i], verdicts[i], t);
      if (auto it = flights_.find(keys[i]); it != flights_.end()) {
        it->second->verdict = verdicts[i];
        it->second->done = true;
        flights_.erase(it);
      }
    }
    trim(t);
  }
  landed_.notify_all();
  return verdicts;
}

void Verdicts::refresh_in_background(std::vector<std::string> keys, const VerifyBatch& verify) {
  spawn_([this, keys = std::move(keys), verify] { lead(keys, verify); });
}

std::optional<std::vector<Verdicts::Answer>> Verdicts::cached(const std::vector<std::string>& keys,
                                                              const VerifyBatch& verify) {
  std::vector<Answer> answers;
  answers.reserve(keys.size());
  std::vector<std::string> refresh;
  {
    std::lock_guard lock(mu_);
    const auto t = now();
    for (const auto& key : keys) {
      auto v = fresh(key, t, refresh);
      if (!v)
        break;
      answers.push_back({std::move(*v), true});
    }
  }
  if (!refresh.empty())
    refresh_in_background(std::move(refresh), verify);
  if (answers.size() != keys.size())
    return std::nullopt;
  return answers;
}

std::vector<Verdicts::Answer> Verdicts::get(const std::vector<std::string>& keys,
                                            const VerifyBatch& verify,
                                            Clock::time_point deadline) {
  std::vector<Answer> answers(keys.size());
  std::vector<std::size_t> mine_at;
  std::vector<std::string> mine, refresh;
  std::vector<std::pair<std::size_t, std::shared_ptr<Flight>>> joined;
  {
    std::lock_guard lock(mu_);
    const auto t = now();
    for (std::size_t i = 0; i < keys.size(); ++i) {
      if (auto v = fresh(keys[i], t, refresh)) {
        answers[i] = {std::move(*v), true};
      } else if (auto it = flights_.find(keys[i]); it != flights_.end()) {
        joined.emplace_back(i, it->second);
      } else {
        flights_.emplace(keys[i], std::make_shared<Flight>());
        mine_at.push_back(i);
        mine.push_back(keys[i]);
      }
    }
  }
  if (!refresh.empty())
    refresh_in_background(std::move(refresh), verify);
  if (!mine.empty()) {
    auto verdicts = lead(mine, verify);
    for (std::size_t j = 0; j < mine.size(); ++j)
      answers[mine_at[j]] = {std::move(verdicts[j]), false};
  }
  std::unique_lock lock(mu_);
  for (auto& join : joined) {
    const std::size_t i = join.first;
    const Flight& flight = *join.second; // not a structured binding: clang 14 cannot capture one
    if (landed_.wait_until(lock, deadline, [&] { return flight.done; }))
      answers[i] = {flight.verdict, false};
    else
      answers[i] = {Verdict{false, true, "",
                            "its verification, started by another review, had not finished "
                            "when this review's deadline passed"},
                    false};
  }
  return answers;
}

} // namespace isign::server
