// A fixed set of SOCI sessions, lent out one at a time. Blocking: acquire() waits for a free one,
// so the pool bounds how many transactions run at once. Thread-safe.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <vector>

#include <soci/soci.h>

namespace vc::storage {

class ConnectionPool {
 public:
  explicit ConnectionPool(std::vector<std::unique_ptr<soci::session>> sessions);

  class Lease {
   public:
    Lease(ConnectionPool& pool, std::unique_ptr<soci::session> s) : pool_(&pool), s_(std::move(s)) {}
    Lease(Lease&&) = default;
    Lease& operator=(Lease&&) = delete;
    ~Lease() { if (s_) pool_->release(std::move(s_)); }
    soci::session& operator*() { return *s_; }
    soci::session* operator->() { return s_.get(); }

   private:
    ConnectionPool* pool_;
    std::unique_ptr<soci::session> s_;
  };

  Lease acquire();

 private:
  void release(std::unique_ptr<soci::session> s);

  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<soci::session>> free_;
};

}  // namespace vc::storage
