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
  //   off      — the credential is ignored (2.x players know only their id);
  //   optional — a presented credential must be the device's; none is accepted;
  //   required — the device's credential is needed.
  // Credentials are compared by their SHA-256 in constant time. Nothing is written.
  // Errors: not_found (unknown device, or its organisation disabled), unauthenticated (a wrong
  // credential, or none under `required`).
  Result<Actor> authenticate(std::string_view device_id, std::string_view credential);

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
