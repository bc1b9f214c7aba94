// ApiKeys: long-lived credentials for scripts and integrations, scoped to read/write/control.
// Part of the services (services.hpp creates them); each call checks the Actor, permissions and tenancy.
#pragma once

#include "videocontrol/export.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "videocontrol/actor.hpp"
#include "videocontrol/domain.hpp"
#include "videocontrol/result.hpp"

namespace vc {

struct ServiceContext;  // private

struct VC_API ApiKeyInput {
  std::string name;
  std::vector<std::string> scopes;               // read, write, control
  std::optional<std::int64_t> expires_at_ms;     // must be in the future
  std::string organization_id;                   // superadmin only
};

struct VC_API CreatedApiKey {
  ApiKey key;
  std::string secret;  // shown once; only its hash is stored
};

class VC_API ApiKeys {
 public:
  explicit ApiKeys(ServiceContext& ctx) : ctx_(ctx) {}
  Result<CreatedApiKey> create(const Actor& actor, const ApiKeyInput& input);
  Result<Page<ApiKey>> list(const Actor& actor, const PageRequest& page, std::string_view organization_id = {});
  Result<void> revoke(const Actor& actor, std::string_view id);

 private:
  ServiceContext& ctx_;
};

}  // namespace vc
