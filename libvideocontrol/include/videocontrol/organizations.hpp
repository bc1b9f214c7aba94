// Organizations: the tenants of an installation, their plans, limits and usage.
// Part of the services (services.hpp creates them); each call checks the Actor, permissions and tenancy.
#pragma once

#include "videocontrol/export.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "videocontrol/actor.hpp"
#include "videocontrol/domain.hpp"
#include "videocontrol/result.hpp"

namespace vc {

struct ServiceContext;  // private

struct VC_API OrganizationInput {
  std::string name;
  std::string slug;           // [a-z0-9-], 2..63, unique
  std::string plan = "FREE";
  std::string timezone = "UTC";
};

struct VC_API OrganizationPatch {
  std::optional<std::string> name, slug, plan, timezone;
  std::optional<bool> active;
  // Limit overrides: outer nullopt = unchanged; inner nullopt = back to the plan's value.
  std::optional<std::optional<std::int64_t>> max_devices, max_users, max_storage_bytes;
};

struct VC_API Usage {
  std::int64_t devices = 0, users = 0, storage_bytes = 0;
  Limits limits;
};

class VC_API Organizations {
 public:
  explicit Organizations(ServiceContext& ctx) : ctx_(ctx) {}
  // Superadmin only. Errors: invalid, conflict (slug taken), forbidden.
  Result<Organization> create(const Actor& actor, const OrganizationInput& input);
  Result<Organization> get(const Actor& actor, std::string_view id);
  // Superadmin: all; everyone else: their own organisation.
  Result<Page<Organization>> list(const Actor& actor, const PageRequest& page);
  // Superadmin: any field. Organisation admin: name and timezone of its own; plan, limits and the
  // active flag are forbidden to it.
  Result<Organization> update(const Actor& actor, std::string_view id, const OrganizationPatch& patch);
  // Superadmin only; deletes everything the organisation owns.
  Result<void> remove(const Actor& actor, std::string_view id);
  // Anyone who can read the organisation (operators need it before uploading).
  Result<Usage> usage(const Actor& actor, std::string_view id);

 private:
  ServiceContext& ctx_;
};

}  // namespace vc
