// Result<T>: the return type of every fallible library call (DESIGN.md principle 3).
//
// A Result holds either a value or an Error{code, message}. Codes are transport-neutral; the server
// shell maps each one to exactly one HTTP status. Messages are written for the person who caused
// the error: they name the bad input and say what would be accepted.
#pragma once

#include "videocontrol/export.hpp"

#include <cassert>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace vc {

enum class ErrorCode {
  invalid,          // bad input
  unauthenticated,  // no or bad credentials
  forbidden,        // authenticated, but the role does not allow it
  not_found,        // missing, or belongs to another organisation
  conflict,         // clashes with existing state (duplicate, stale version)
  too_large,        // payload over a size limit
  unsupported,      // media type or protocol version not supported
  quota,            // a plan limit would be exceeded
  rate_limited,     // too many requests; retry later
  unavailable,      // a dependency (database, cache) cannot be reached
  internal,         // a bug or an unexpected failure
};

// Stable lower_snake_case name, used in JSON error bodies and logs.
VC_API std::string_view to_string(ErrorCode code) noexcept;

struct VC_API Error {
  ErrorCode code = ErrorCode::internal;
  std::string message;
  int retry_after_s = 0;  // rate_limited only: when to try again

  friend bool operator==(const Error&, const Error&) = default;
};

inline Error make_error(ErrorCode code, std::string message) { return Error{code, std::move(message)}; }

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
  Result(Error error) : v_(std::in_place_index<1>, std::move(error)) {}  // NOLINT

  bool ok() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }

  // REQUIRES: ok()
  T& value() & { assert(ok()); return std::get<0>(v_); }
  const T& value() const& { assert(ok()); return std::get<0>(v_); }
  T&& value() && { assert(ok()); return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  // REQUIRES: !ok()
  const Error& error() const& { assert(!ok()); return std::get<1>(v_); }
  Error&& error() && { assert(!ok()); return std::get<1>(std::move(v_)); }

  template <class U>
  T value_or(U&& fallback) const& { return ok() ? value() : static_cast<T>(std::forward<U>(fallback)); }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT

  bool ok() const noexcept { return ok_; }
  explicit operator bool() const noexcept { return ok_; }
  // REQUIRES: !ok()
  const Error& error() const& { assert(!ok_); return error_; }
  Error&& error() && { assert(!ok_); return std::move(error_); }

 private:
  Error error_;
  bool ok_ = true;
};

}  // namespace vc

// Propagates an error from an expression returning Result<...>.
#define VC_TRY(expr)                                            \
  do {                                                          \
    if (auto vc_try_r_ = (expr); !vc_try_r_.ok())               \
      return std::move(vc_try_r_).error();                      \
  } while (0)
