#include "videocontrol/domain.hpp"
#include "videocontrol/jobs.hpp"

#include <array>
#include <utility>

namespace vc {

namespace {

constexpr std::int64_t GB = 1000LL * 1000 * 1000;

// Each enum's values in order with their texts; to_string and parse read the same table.
template <class E, std::size_t N>
using Names = std::array<std::pair<E, std::string_view>, N>;

constexpr Names<Role, 5> kRoles{{{Role::viewer, "viewer"}, {Role::speaker, "speaker"}, {Role::operator_, "operator"},
                                  {Role::admin, "admin"}, {Role::superadmin, "superadmin"}}};
constexpr Names<MediaKind, 7> kMediaKinds{{{MediaKind::video, "video"}, {MediaKind::audio, "audio"},
                                           {MediaKind::image, "image"}, {MediaKind::pdf, "pdf"},
                                           {MediaKind::pptx, "pptx"}, {MediaKind::zip, "zip"},
                                           {MediaKind::document, "document"}}};
constexpr Names<PlaybackState, 4> kPlaybackStates{{{PlaybackState::idle, "idle"}, {PlaybackState::playing, "playing"},
                                                   {PlaybackState::paused, "paused"}, {PlaybackState::stopped, "stopped"}}};
constexpr Names<CredentialPolicy, 3> kCredentialPolicies{{{CredentialPolicy::off, "off"},
                                                          {CredentialPolicy::optional, "optional"},
                                                          {CredentialPolicy::required, "required"}}};
constexpr Names<JobStatus, 4> kJobStatuses{{{JobStatus::queued, "queued"}, {JobStatus::running, "running"},
                                            {JobStatus::done, "done"}, {JobStatus::failed, "failed"}}};

template <class E, std::size_t N>
std::string_view name_of(const Names<E, N>& names, E value) noexcept {
  for (const auto& [v, text] : names)
    if (v == value) return text;
  return names[0].second;
}

template <class E, std::size_t N>
std::optional<E> parse_name(const Names<E, N>& names, std::string_view text) noexcept {
  for (const auto& [v, t] : names)
    if (t == text) return v;
  return std::nullopt;
}

}  // namespace

std::string_view to_string(Role v) noexcept { return name_of(kRoles, v); }
std::optional<Role> parse_role(std::string_view t) noexcept { return parse_name(kRoles, t); }
std::string_view to_string(MediaKind v) noexcept { return name_of(kMediaKinds, v); }
std::optional<MediaKind> parse_media_kind(std::string_view t) noexcept { return parse_name(kMediaKinds, t); }
std::string_view to_string(PlaybackState v) noexcept { return name_of(kPlaybackStates, v); }
std::optional<PlaybackState> parse_playback_state(std::string_view t) noexcept { return parse_name(kPlaybackStates, t); }
std::string_view to_string(CredentialPolicy v) noexcept { return name_of(kCredentialPolicies, v); }
std::optional<CredentialPolicy> parse_credential_policy(std::string_view t) noexcept {
  return parse_name(kCredentialPolicies, t);
}

std::string_view to_string(JobStatus v) noexcept { return name_of(kJobStatuses, v); }
std::optional<JobStatus> parse_job_status(std::string_view t) noexcept { return parse_name(kJobStatuses, t); }

bool is_valid_plan(std::string_view plan) noexcept {
  return plan == "FREE" || plan == "STARTER" || plan == "PRO" || plan == "ENTERPRISE";
}

Limits plan_limits(std::string_view plan) noexcept {
  if (plan == "FREE") return {5, 3, 5 * GB};
  if (plan == "STARTER") return {20, 10, 50 * GB};
  if (plan == "PRO") return {100, 50, 500 * GB};
  return {};  // ENTERPRISE: unlimited
}

Limits effective_limits(const Organization& org) noexcept {
  Limits l = plan_limits(org.plan);
  if (org.max_devices) l.devices = org.max_devices;
  if (org.max_users) l.users = org.max_users;
  if (org.max_storage_bytes) l.storage_bytes = org.max_storage_bytes;
  return l;
}

}  // namespace vc
