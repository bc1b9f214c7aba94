#include "videocontrol/bootstrap.hpp"

#include "videocontrol/actor.hpp"
#include "videocontrol/clock.hpp"
#include "videocontrol/id.hpp"
#include "videocontrol/password.hpp"
#include "videocontrol/storage.hpp"

namespace vc {

Result<std::optional<FirstRun>> bootstrap_first_run(Storage& storage, const Clock& clock,
                                                    const std::string& admin_password,
                                                    const PasswordHashCost& hash_cost) {
  // Cheap check first, so a normal start does not pay for argon2id.
  std::int64_t users = 0;
  VC_TRY(storage.read([&](StorageSession& s) -> Result<void> {
    auto n = s.users().count();
    if (!n) return std::move(n).error();
    users = *n;
    return {};
  }));
  if (users > 0) return std::optional<FirstRun>{};

  FirstRun run;
  run.admin_username = "admin";
  std::string password = admin_password;
  if (password.empty()) {
    do password = random_secret(20);  // alphanumeric; redraw the rare one without a digit
    while (!check_password_strength(password, run.admin_username).ok());
    run.generated_password = password;
  } else if (auto strong = check_password_strength(password, run.admin_username); !strong) {
    return make_error(ErrorCode::invalid, "ADMIN_PASSWORD: " + strong.error().message);
  }
  auto hash = hash_password(password, hash_cost);
  if (!hash) return std::move(hash).error();

  const auto now = clock.now_ms();
  Organization org;
  org.id = new_id(clock);
  org.name = "Default";
  org.slug = "default";
  org.plan = "ENTERPRISE";
  org.created_at_ms = org.updated_at_ms = now;

  User admin;
  admin.id = new_id(clock);
  admin.username = run.admin_username;
  admin.password_hash = *hash;
  admin.role = Role::superadmin;
  // Its home: signed in right after the first start, it creates devices and uploads media in the
  // Default organisation without naming one (it names another with Auth::act_in).
  admin.organization_id = org.id;
  admin.created_at_ms = admin.updated_at_ms = now;

  bool created = false;
  auto done = storage.transact([&](StorageSession& s) -> Result<void> {
    // Re-check inside the write transaction: another instance may have bootstrapped meanwhile.
    auto n = s.users().count();
    if (!n) return std::move(n).error();
    if (*n > 0) return {};
    VC_TRY(s.organizations().insert(org));
    VC_TRY(s.users().insert(admin));
    AuditEntry e;
    e.actor_kind = "system";
    e.actor_id = "system";
    e.organization_id = org.id;
    e.action = "system.bootstrap";
    e.object_type = "user";
    e.object_id = admin.id;
    e.at_ms = now;
    VC_TRY(s.audit().append(e));
    created = true;
    return {};
  });
  // Another instance starting at the same moment won the race (PostgreSQL lets both transactions
  // run; the unique username decides): its admin is the one.
  if (!done && done.error().code == ErrorCode::conflict) return std::optional<FirstRun>{};
  if (!done) return std::move(done).error();
  if (!created) return std::optional<FirstRun>{};
  run.organization_id = org.id;
  return std::optional<FirstRun>{std::move(run)};
}

}  // namespace vc
