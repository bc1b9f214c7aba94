#include "videocontrol/players.hpp"

#include <sodium.h>

#include <algorithm>
#include <chrono>

#include <fmt/format.h>

#include "auth/digest.hpp"
#include "context.hpp"
#include "util/unicode.hpp"
#include "util/utf8.hpp"
#include "videocontrol/blob_store.hpp"
#include "videocontrol/media_types.hpp"

namespace vc {
namespace {

Error device_not_found(std::string_view id) {
  return make_error(ErrorCode::not_found, fmt::format("device '{}' not found", id));
}

// The device a device Actor stands for; any other actor is refused.
Result<Device> own_device(StorageSession& s, const Actor& actor) {
  if (actor.kind != Actor::Kind::device) return make_error(ErrorCode::forbidden, "only a device's player may ask");
  VC_ASSIGN(auto d, s.devices().find_by_device_id(actor.id));
  if (!d || d->organization_id != actor.organization_id) return device_not_found(actor.id);
  return std::move(*d);
}

// A name a player asks for: well-formed UTF-8 (refused before any lookup, so the answer never
// echoes broken text).
Result<void> check_lookup_name(std::string_view name) {
  if (!utf8::valid(name)) return make_error(ErrorCode::invalid, "file name is not valid UTF-8");
  return {};
}

// Names are stored in NFC (sanitize_file_name); a player on a system that decomposes ("й" as "и" +
// U+0306) finds the file too, and a name stored before names were normalised is found as it is.
Result<std::optional<DeviceFile>> find_by_name(StorageSession& s, const std::string& device, std::string_view name) {
  const std::string composed = unicode::nfc(name);
  VC_ASSIGN(auto f, s.media().find_file(device, composed));
  if (f || composed == name) return f;
  return s.media().find_file(device, name);
}

Result<std::vector<DeviceFile>> all_files(StorageSession& s, const Device& d) {
  std::vector<DeviceFile> out;
  std::string after;
  while (true) {
    VC_ASSIGN(auto page, s.media().files(d.id, after, 1000));
    const bool more = page.size() == 1000;
    for (auto& f : page) out.push_back(std::move(f));
    if (!more) return out;
    after = out.back().name;
  }
}

Result<std::optional<DeviceFile>> placeholder_of(StorageSession& s, const Device& d) {
  if (d.placeholder_media_id.empty()) return std::optional<DeviceFile>();
  VC_ASSIGN(auto files, all_files(s, d));
  for (auto& f : files)
    if (f.media.id == d.placeholder_media_id) return std::optional<DeviceFile>(std::move(f));
  VC_ASSIGN(auto m, s.media().find(d.placeholder_media_id));
  if (!m) return std::optional<DeviceFile>();
  return std::optional<DeviceFile>(DeviceFile{m->name, std::move(*m)});
}

}  // namespace

Result<Actor> Players::authenticate(std::string_view device_id, std::string_view credential,
                                   std::string_view address) {
  const auto policy = ctx_.options.device_credentials;
  const auto& o = ctx_.options;
  // What a client address may do: requests on the player routes, and failed authentications (a
  // token is reserved before the check and given back when it succeeds, so parallel guesses cannot
  // slip past the limit).
  std::string fail_key;
  if (!address.empty()) {
    if (o.player_requests_per_minute > 0) {
      auto d = ctx_.limiter.check(fmt::format("player:req:{}", address), o.player_requests_per_minute,
                                  std::chrono::minutes(1));
      if (!d.allowed) {
        Error e = make_error(ErrorCode::rate_limited, "too many player requests from this address; try again later");
        e.retry_after_s = static_cast<int>(std::max<std::int64_t>(1, (d.retry_after_ms + 999) / 1000));
        return e;
      }
    }
    if (o.device_auth_failures > 0) {
      fail_key = fmt::format("player:fail:{}", address);
      auto d = ctx_.limiter.check(fail_key, o.device_auth_failures, o.device_auth_window);
      if (!d.allowed) {
        Error e = make_error(ErrorCode::rate_limited,
                             "too many failed device authentications from this address; try again later");
        e.retry_after_s = static_cast<int>(std::max<std::int64_t>(1, (d.retry_after_ms + 999) / 1000));
        return e;
      }
    }
  }
  auto give_back = [&] {
    if (!fail_key.empty()) ctx_.limiter.check(fail_key, o.device_auth_failures, o.device_auth_window, -1);
  };

  std::optional<Device> found;
  if (!device_id.empty() && device_id.size() <= 64) {
    auto d = read_value<std::optional<Device>>(ctx_.storage, [&](StorageSession& s) -> Result<std::optional<Device>> {
      VC_ASSIGN(auto f, s.devices().find_by_device_id(device_id));
      if (!f) return f;
      VC_ASSIGN(auto org, s.organizations().find(f->organization_id));
      if (!org || !org->active) return std::optional<Device>{};
      return f;
    });
    if (!d) {  // the database did not answer: not the client's fault
      give_back();
      return d.error();
    }
    found = std::move(*d);
  }

  // Under `off` the id is the device's only secret, and whether it exists is the answer itself.
  if (policy == CredentialPolicy::off) {
    if (!found) return device_not_found(device_id);
    give_back();
    return Actor::device(found->device_id, found->organization_id);
  }

  // Otherwise every refusal reads the same whether the device exists or not, and costs the same:
  // the presented credential is hashed and compared even for an unknown device.
  const std::string presented = credential.empty() ? std::string() : sha256_hex(credential);
  const std::string& stored = found ? found->credential_hash : presented;
  bool right = !presented.empty() && stored.size() == presented.size() &&
               sodium_memcmp(stored.data(), presented.data(), presented.size()) == 0;
  bool ok = false;
  if (found) {
    if (!presented.empty()) ok = right && !found->credential_hash.empty();
    else ok = policy == CredentialPolicy::optional ? found->credential_hash.empty() : found->legacy_player;
  }
  if (!ok) {
    return make_error(ErrorCode::unauthenticated,
                      credential.empty()
                          ? "unknown device, or the device needs its credential (pass it as ?token= or X-Device-Token)"
                          : "unknown device or wrong device credential");
  }
  give_back();
  return Actor::device(found->device_id, found->organization_id);
}

Result<Device> Players::device(const Actor& actor) {
  return read_value<Device>(ctx_.storage, [&](StorageSession& s) { return own_device(s, actor); });
}

Result<std::vector<DeviceFile>> Players::files(const Actor& actor) {
  return read_value<std::vector<DeviceFile>>(ctx_.storage, [&](StorageSession& s) -> Result<std::vector<DeviceFile>> {
    VC_ASSIGN(auto d, own_device(s, actor));
    return all_files(s, d);
  });
}

Result<std::optional<DeviceFile>> Players::placeholder(const Actor& actor) {
  return read_value<std::optional<DeviceFile>>(ctx_.storage,
                                               [&](StorageSession& s) -> Result<std::optional<DeviceFile>> {
                                                 VC_ASSIGN(auto d, own_device(s, actor));
                                                 return placeholder_of(s, d);
                                               });
}

Result<DeviceFile> Players::file(const Actor& actor, std::string_view name) {
  VC_TRY(check_lookup_name(name));
  return read_value<DeviceFile>(ctx_.storage, [&](StorageSession& s) -> Result<DeviceFile> {
    VC_ASSIGN(auto d, own_device(s, actor));
    VC_ASSIGN(auto f, find_by_name(s, d.id, name));
    if (!f) return make_error(ErrorCode::not_found, fmt::format("device '{}' has no file '{}'", d.device_id, name));
    return std::move(*f);
  });
}

Result<MediaContent> Players::resolve(const Actor& actor, std::string_view name, bool original) {
  VC_TRY(check_lookup_name(name));
  VC_ASSIGN(auto file, read_value<DeviceFile>(ctx_.storage, [&](StorageSession& s) -> Result<DeviceFile> {
    VC_ASSIGN(auto d, own_device(s, actor));
    VC_ASSIGN(auto f, find_by_name(s, d.id, name));
    if (f) return std::move(*f);
    VC_ASSIGN(auto ph, placeholder_of(s, d));
    if (ph && ph->name == name) return std::move(*ph);
    return make_error(ErrorCode::not_found, fmt::format("device '{}' has no file '{}'", d.device_id, name));
  }));
  if (!original)
    if (auto r = rendition_of(ctx_, file.media)) return MediaContent{std::move(file.media), std::move(*r), true};
  VC_ASSIGN(auto blob, ctx_.blobs.locate_for_delivery(
                           file.media.blob_hash, {std::string(content_type_for(file.media.mime)), file.media.size}));
  return MediaContent{std::move(file.media), std::move(blob)};
}

Result<DerivedContent> Players::derived(const Actor& actor, std::string_view name, DerivedPart part, int n) {
  VC_ASSIGN(auto file, this->file(actor, name));
  return locate_derived(ctx_, file.media, name, part, n);
}

}  // namespace vc
