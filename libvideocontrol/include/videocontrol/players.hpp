// Players: what a device's player may do over HTTP (PROTOCOL.md's player routes), in the library so
// every front end applies the same credential policy. authenticate() turns a device id and the
// credential the player presents into a device Actor; the reads take that Actor and see only its
// own device.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "videocontrol/actor.hpp"
#include "videocontrol/domain.hpp"
#include "videocontrol/export.hpp"
#include "videocontrol/media.hpp"
#include "videocontrol/result.hpp"

namespace vc {

struct ServiceContext;

class VC_API Players {
 public:
  explicit Players(ServiceContext& ctx) : ctx_(ctx) {}

  // The credential policy is ServiceOptions::device_credentials:
  //   off      — the credential is ignored: any device registers by its id alone (2.x players);
  //   optional — a device that has a credential must present it; one without registers by id;
  //   required — (the default) a device must present its credential, unless it is flagged as a
  //              legacy player (Device::legacy_player), which may register by id alone.
  // A presented credential must always be the device's. Credentials are compared by their SHA-256
  // in constant time, also for an unknown device. Nothing is written (no last-seen, no cache
  // invalidation): registering is Devices::register_player's.
  // `address` (the client's, empty = not counted) is rate-limited: player requests per minute and
  // failed authentications per window (ServiceOptions).
  // Errors: under `off`, not_found for an unknown device (or one of a disabled organisation);
  // otherwise unauthenticated, with the same message for an unknown device and a wrong or missing
  // credential; rate_limited (retry_after_s set); unavailable (the database).
  Result<Actor> authenticate(std::string_view device_id, std::string_view credential, std::string_view address = {});

  // The device itself (its placeholder, names), for its own device Actor.
  Result<Device> device(const Actor& device);
  // Every file of the device, in name order.
  Result<std::vector<DeviceFile>> files(const Actor& device);
  // What the device shows when idle, under the device's own name for the media when it has one,
  // else the media's library name; nullopt when it has none.
  Result<std::optional<DeviceFile>> placeholder(const Actor& device);
  // The device's file `name`, or its placeholder under that name; the bytes to serve: the
  // pipeline's rendition of a video when it made one, unless `original`. Errors: not_found.
  Result<MediaContent> resolve(const Actor& device, std::string_view name, bool original = false);
  // Page n of the device's document or image n of its folder (PROTOCOL.md's converted/folder
  // routes), or another derived file. Errors: not_found (the message says why).
  Result<DerivedContent> derived(const Actor& device, std::string_view name, DerivedPart part, int n = 0);
  // The device's file `name` (not the placeholder fallback). Errors: not_found.
  Result<DeviceFile> file(const Actor& device, std::string_view name);

 private:
  ServiceContext& ctx_;
};

}  // namespace vc
