// Saved sign-ins: $XDG_CONFIG_HOME/vcctl/profiles.json (default ~/.config/vcctl/profiles.json), mode
// 0600 in a 0700 folder. A profile names a server and holds the refresh token of `vcctl login`
// (single use: every refresh stores its successor) and the current access token until it expires.
// Changes happen under an exclusive lock on the file, so two vcctl processes never spend the same
// refresh token.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "videocontrol/result.hpp"

namespace vcctl {

struct Profile {
  std::string server;
  std::string username;
  std::string refresh_token;
  std::string access_token;
  std::int64_t access_expires_at = 0;  // unix seconds
};

struct Profiles {
  std::string current;  // the profile used when none is named
  std::map<std::string, Profile> items;
};

std::string profiles_path();

// The file's text ↔ profiles. Errors: invalid (not JSON, not an object). Unknown members are ignored;
// a member of the wrong type reads as empty.
vc::Result<Profiles> parse_profiles(std::string_view text);
std::string serialize_profiles(const Profiles& profiles);

// Runs `change` on the saved profiles under the file's lock and writes them back (0600) when it
// returns true. Missing file: empty profiles.
vc::Result<Profiles> update_profiles(const std::function<vc::Result<bool>(Profiles&)>& change);
vc::Result<Profiles> read_profiles();

}  // namespace vcctl
