// A complete set of services on a fresh SQLite file, with a signed-in superadmin; for tests.
#pragma once

#include <functional>

#include "test_support.hpp"
#include "videocontrol/blob_store.hpp"
#include "videocontrol/bootstrap.hpp"
#include "videocontrol/cache.hpp"
#include "videocontrol/clock.hpp"
#include "videocontrol/media.hpp"
#include "videocontrol/rate_limiter.hpp"
#include "videocontrol/services.hpp"

namespace vc::test {

// An upload as the server makes one: the quota pre-check, the streamed bytes, then the row.
inline Result<UploadResult> upload_bytes(Services& svc, const Actor& a, std::string_view device, const std::string& name,
                                         const std::string& bytes) {
  VC_TRY(svc.media().check_upload(a, device, static_cast<std::int64_t>(bytes.size())));
  auto writer = svc.media().begin_upload(a, 1 << 20);
  if (!writer) return std::move(writer).error();
  VC_TRY((*writer)->write(bytes));
  auto info = (*writer)->finish();
  if (!info) return std::move(info).error();
  return svc.media().add_upload(a, device, name, **writer, *info);
}

struct World {
  test::TempDir dir;
  std::shared_ptr<ManualClock> clock = std::make_shared<ManualClock>();
  std::unique_ptr<Storage> storage = test::migrated_storage(dir.file("svc.db"), 4);
  std::unique_ptr<RateLimiter> limiter = make_memory_rate_limiter(clock);
  std::unique_ptr<BlobStore> blobs = std::move(make_disk_blob_store(dir.file("content")).value());
  std::unique_ptr<Cache> cache = make_memory_cache(clock);
  std::unique_ptr<Services> svc;
  Actor super;

  explicit World(CredentialPolicy device_credentials = CredentialPolicy::off,
                 const std::function<void(ServiceOptions&)>& tweak = {}) {
    ServiceOptions o;
    o.password_hash = vc::test::kCheapHash;
    o.clock = clock;
    o.device_credentials = device_credentials;
    o.api_requests_per_minute = 1000;
    if (tweak) tweak(o);
    auto s = Services::create({storage.get(), limiter.get(), blobs.get(), cache.get()}, o);
    REQUIRE(s.ok());
    svc = std::move(*s);
    REQUIRE(bootstrap_first_run(*storage, *clock, "Super-Password-1", vc::test::kCheapHash).ok());
    super = login_actor("admin", "Super-Password-1");
  }

  Actor login_actor(const std::string& user, const std::string& pw) {
    auto t = svc->auth().login(user, pw, "127.0.0.1");
    REQUIRE_MESSAGE(t.ok(), (t.ok() ? "" : t.error().message));
    auto a = svc->auth().authenticate(t->access_token, "127.0.0.1");
    REQUIRE_MESSAGE(a.ok(), (a.ok() ? "" : a.error().message));
    return *a;
  }

  Organization org(const std::string& slug, const std::string& plan = "FREE") {
    auto o = svc->organizations().create(super, {slug, slug, plan, "UTC"});
    REQUIRE_MESSAGE(o.ok(), (o.ok() ? "" : o.error().message));
    return *o;
  }

  Actor user_in(const Organization& o, const std::string& name, const std::string& role) {
    auto u = svc->users().create(super, {name, "Password-" + name + "-1", role, o.id});
    REQUIRE_MESSAGE(u.ok(), (u.ok() ? "" : u.error().message));
    return login_actor(name, "Password-" + name + "-1");
  }
};


}  // namespace vc::test
