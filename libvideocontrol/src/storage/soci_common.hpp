// Helpers shared by the SOCI repositories: exception → Error, and nullable bindings.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <soci/soci.h>

#include "dialect.hpp"
#include "videocontrol/domain.hpp"
#include "videocontrol/jobs.hpp"
#include "videocontrol/result.hpp"

namespace vc::storage {

Error db_error(const std::exception& e);

// Runs fn, turning any exception into an Error.
template <class F>
auto guarded(F&& fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (const std::exception& e) {
    return db_error(e);
  }
}

// A nullable BIGINT to bind with use()/into(); lives as long as the statement.
struct NullableInt {
  long long value = 0;
  soci::indicator ind = soci::i_null;
  NullableInt() = default;
  explicit NullableInt(const std::optional<std::int64_t>& v) {
    if (v) { value = *v; ind = soci::i_ok; }
  }
  std::optional<std::int64_t> get() const {
    return ind == soci::i_ok ? std::optional<std::int64_t>(value) : std::nullopt;
  }
};

// A TEXT where the empty string is stored as NULL.
struct NullableText {
  std::string value;
  soci::indicator ind = soci::i_null;
  NullableText() = default;
  explicit NullableText(const std::string& v) : value(v), ind(v.empty() ? soci::i_null : soci::i_ok) {}
  std::string get() const { return ind == soci::i_ok ? value : std::string(); }
};

inline int clamp_limit(int limit) { return limit < 1 ? 1 : (limit > 1000 ? 1000 : limit); }

}  // namespace vc::storage

// The domain's enums are stored as their names (TEXT columns with CHECK constraints); a name the
// enum does not know, which only a hand-edited row could hold, fails the statement.
namespace soci {

template <class E, std::optional<E> (*Parse)(std::string_view) noexcept>
struct vc_enum_conversion {
  typedef std::string base_type;
  static void from_base(const std::string& text, indicator ind, E& out) {
    if (ind == i_null) throw soci_error("null where a name is required");
    auto v = Parse(text);
    if (!v) throw soci_error("unknown name in the database: " + text);
    out = *v;
  }
  static void to_base(const E& in, std::string& text, indicator& ind) {
    text = std::string(vc::to_string(in));
    ind = i_ok;
  }
};

template <> struct type_conversion<vc::Role> : vc_enum_conversion<vc::Role, &vc::parse_role> {};
template <> struct type_conversion<vc::MediaKind> : vc_enum_conversion<vc::MediaKind, &vc::parse_media_kind> {};
template <> struct type_conversion<vc::PlaybackState>
    : vc_enum_conversion<vc::PlaybackState, &vc::parse_playback_state> {};
template <> struct type_conversion<vc::JobStatus> : vc_enum_conversion<vc::JobStatus, &vc::parse_job_status> {};

}  // namespace soci
