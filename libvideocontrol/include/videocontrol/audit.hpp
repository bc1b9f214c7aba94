// AuditLog: who did what, when, to which object; recorded by every change.
// Part of the services (services.hpp creates them); each call checks the Actor, permissions and tenancy.
#pragma once

#include "videocontrol/export.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "videocontrol/actor.hpp"
#include "videocontrol/domain.hpp"
#include "videocontrol/result.hpp"

namespace vc {

struct ServiceContext;  // private

struct VC_API AuditFilter {
  std::string organization_id;  // superadmin only; admins always see their own organisation
  std::string action, actor_id, object_type, object_id;
  std::int64_t since_ms = 0, until_ms = 0;
  std::string cursor;
  int limit = 50;
};

class VC_API AuditLog {
 public:
  explicit AuditLog(ServiceContext& ctx) : ctx_(ctx) {}
  Result<Page<AuditEntry>> list(const Actor& actor, const AuditFilter& filter);
  // Records an action outside any other change (e.g. a failed sign-in).
  Result<void> record(const Actor& actor, std::string_view action, std::string_view object_type,
                      std::string_view object_id, std::string_view organization_id, std::string_view details_json = "{}");
  // Retention: deletes entries older than `keep`, in batches; returns how many. The Installation
  // runs it hourly (InstallationOptions::audit_retention). Errors: forbidden unless the system actor.
  Result<std::int64_t> prune(const Actor& actor, std::chrono::milliseconds keep);

 private:
  ServiceContext& ctx_;
};

}  // namespace vc
