// Plain domain values shared by the library's modules and its storage. No behaviour here.
#pragma once

#include <cstdint>
#include <string>

namespace vc {

struct Organization {
  std::string id;
  std::string name;
  std::string slug;
  std::string plan = "FREE";        // FREE, STARTER, PRO, ENTERPRISE
  std::string timezone = "UTC";
  bool active = true;
  std::int64_t created_at_ms = 0;
  std::int64_t updated_at_ms = 0;
};

struct User {
  std::string id;
  std::string organization_id;      // empty for the system-wide superadmin
  std::string username;             // unique across the installation
  std::string password_hash;        // argon2id, libsodium's encoded string
  std::string role;                 // see Role in actor.hpp
  bool active = true;
  std::int64_t created_at_ms = 0;
  std::int64_t updated_at_ms = 0;
};

struct AuditEntry {
  std::string actor_kind;           // user, api_key, device, system
  std::string actor_id;
  std::string organization_id;
  std::string action;               // e.g. "system.bootstrap"
  std::string object_type;
  std::string object_id;
  std::string address;
  std::string details_json = "{}";
  std::int64_t at_ms = 0;
};

}  // namespace vc
