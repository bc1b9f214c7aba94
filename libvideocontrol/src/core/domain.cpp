#include "videocontrol/domain.hpp"

namespace vc {

namespace {
constexpr std::int64_t GB = 1000LL * 1000 * 1000;
}

bool is_valid_plan(std::string_view plan) noexcept {
  return plan == "FREE" || plan == "STARTER" || plan == "PRO" || plan == "ENTERPRISE";
}

Limits plan_limits(std::string_view plan) noexcept {
  if (plan == "FREE") return {5, 3, 5 * GB};
  if (plan == "STARTER") return {20, 10, 50 * GB};
  if (plan == "PRO") return {100, 50, 500 * GB};
  return {};  // ENTERPRISE: unlimited
}

Limits effective_limits(const Organization& org) noexcept {
  Limits l = plan_limits(org.plan);
  if (org.max_devices) l.devices = org.max_devices;
  if (org.max_users) l.users = org.max_users;
  if (org.max_storage_bytes) l.storage_bytes = org.max_storage_bytes;
  return l;
}

}  // namespace vc
