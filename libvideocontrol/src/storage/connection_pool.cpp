#include "connection_pool.hpp"

#include <cctype>

#include "videocontrol/log.hpp"

namespace vc::storage {

namespace {

using steady = std::chrono::steady_clock;

std::string lower_word(std::string_view sql, std::size_t& pos) {
  while (pos < sql.size() && (std::isspace(static_cast<unsigned char>(sql[pos])) || sql[pos] == '(')) ++pos;
  std::string w;
  while (pos < sql.size() && (std::isalnum(static_cast<unsigned char>(sql[pos])) || sql[pos] == '_'))
    w.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(sql[pos++]))));
  return w;
}

// The word after the first `keyword` (as a whole word), lower-cased; empty when absent.
std::string word_after(std::string_view sql, std::string_view keyword) {
  std::size_t pos = 0;
  while (pos < sql.size()) {
    auto w = lower_word(sql, pos);
    if (w.empty()) {
      ++pos;
      continue;
    }
    if (w == keyword) return lower_word(sql, pos);
  }
  return {};
}

}  // namespace

std::string statement_name(std::string_view sql) {
  std::size_t pos = 0;
  std::string verb = lower_word(sql, pos);
  std::string table;
  if (verb == "select" || verb == "delete" || verb == "with") table = word_after(sql, "from");
  else if (verb == "insert") table = word_after(sql, "into");
  else if (verb == "update") table = lower_word(sql, pos);
  if (verb == "with") verb = "select";
  if (verb.empty()) verb = "other";
  if (table.size() > 40) table.resize(40);
  return table.empty() ? verb : verb + " " + table;
}

// Times each statement from its start to the next one's start, or to the lease's release: what the
// database and the fetching of its rows took (the code between statements of one transaction is
// short). One per session; a session is used by one thread at a time.
// Times each statement from its start to the next one's start, or to the lease's release: what the
// database and the fetching of its rows took (the code between statements of one transaction is
// short). SOCI keeps a clone of the logger it is given, so the clones share one state per session;
// a session is used by one thread at a time.
struct QueryTimerState {
  std::string sql;
  steady::time_point started;
  bool running = false;
};

class QueryTimer final : public soci::logger_impl {
 public:
  using State = QueryTimerState;

  QueryTimer(ConnectionPool& pool, std::shared_ptr<State> state) : pool_(pool), state_(std::move(state)) {}

  void start_query(std::string const& query) override {
    finish(pool_, *state_);
    pool_.queries_.fetch_add(1, std::memory_order_relaxed);
    state_->sql = query;
    state_->started = steady::now();
    state_->running = true;
  }

  static void finish(ConnectionPool& pool, State& st) {
    if (!st.running) return;
    st.running = false;
    const auto took = steady::now() - st.started;
    if (took >= pool.slow_threshold_) pool.record_slow(st.sql, took);
  }

 private:
  logger_impl* do_clone() const override { return new QueryTimer(pool_, state_); }

  ConnectionPool& pool_;
  std::shared_ptr<State> state_;
};

ConnectionPool::ConnectionPool(std::vector<std::unique_ptr<soci::session>> sessions,
                               std::chrono::milliseconds slow_query_threshold, bool measure_statements)
    : size_(static_cast<unsigned>(sessions.size())), slow_threshold_(slow_query_threshold), free_(std::move(sessions)) {
  if (!measure_statements) return;
  for (auto& s : free_) {
    auto state = std::make_shared<QueryTimerState>();
    s->set_logger(soci::logger(new QueryTimer(*this, state)));
    timers_[s.get()] = std::move(state);
  }
}

ConnectionPool::~ConnectionPool() = default;

ConnectionPool::Lease ConnectionPool::acquire() {
  std::unique_lock lock(mu_);
  if (free_.empty()) {
    const auto start = steady::now();
    ++waiting_;
    cv_.wait(lock, [&] { return !free_.empty(); });
    --waiting_;
    wait_.observe(std::chrono::duration<double>(steady::now() - start).count());
  } else {
    wait_.observe(0);
  }
  auto s = std::move(free_.back());
  free_.pop_back();
  return Lease(*this, std::move(s));
}

void ConnectionPool::release(std::unique_ptr<soci::session> s) {
  if (auto it = timers_.find(s.get()); it != timers_.end()) QueryTimer::finish(*this, *it->second);  // the map never changes
  {
    std::lock_guard lock(mu_);
    free_.push_back(std::move(s));
  }
  cv_.notify_one();
}

void ConnectionPool::record_slow(const std::string& sql, steady::duration took) {
  auto name = statement_name(sql);
  {
    std::lock_guard lock(slow_mu_);
    ++slow_[name];
  }
  log_warn("slow query", {{"statement", name},
                          {"ms", std::chrono::duration_cast<std::chrono::milliseconds>(took).count()},
                          {"sql", sql.size() > 300 ? sql.substr(0, 300) + "…" : sql}});
}

ConnectionPool::Stats ConnectionPool::stats() const {
  Stats s;
  s.size = size_;
  {
    std::lock_guard lock(mu_);
    s.in_use = size_ - static_cast<unsigned>(free_.size());
    s.waiting = waiting_;
  }
  s.wait = wait_.snapshot();
  s.queries = queries_.load(std::memory_order_relaxed);
  s.slow_threshold_seconds = std::chrono::duration<double>(slow_threshold_).count();
  std::lock_guard lock(slow_mu_);
  s.slow.assign(slow_.begin(), slow_.end());
  return s;
}

}  // namespace vc::storage
