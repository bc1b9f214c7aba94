#include "connection_pool.hpp"

namespace vc::storage {

ConnectionPool::ConnectionPool(std::vector<std::unique_ptr<soci::session>> sessions) : free_(std::move(sessions)) {}

ConnectionPool::Lease ConnectionPool::acquire() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return !free_.empty(); });
  auto s = std::move(free_.back());
  free_.pop_back();
  return Lease(*this, std::move(s));
}

void ConnectionPool::release(std::unique_ptr<soci::session> s) {
  {
    std::lock_guard lock(mu_);
    free_.push_back(std::move(s));
  }
  cv_.notify_one();
}

}  // namespace vc::storage
