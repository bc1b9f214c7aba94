#include <doctest/doctest.h>

#include <memory>

#include "videocontrol/result.hpp"

using namespace vc;

namespace {
Result<int> parse_positive(int v) {
  if (v <= 0) return make_error(ErrorCode::invalid, "must be positive");
  return v;
}
Result<int> doubled(int v) {
  auto r = parse_positive(v);
  VC_TRY(r);
  return *r * 2;
}
Result<void> check(bool ok) {
  if (!ok) return make_error(ErrorCode::conflict, "clash");
  return {};
}
}  // namespace

TEST_CASE("a result holds a value or an error, never both") {
  auto good = parse_positive(3);
  CHECK(good.ok());
  CHECK(static_cast<bool>(good));
  CHECK(*good == 3);
  auto bad = parse_positive(-1);
  CHECK_FALSE(bad.ok());
  CHECK(bad.error().code == ErrorCode::invalid);
  CHECK(bad.error().message == "must be positive");
  CHECK(bad.value_or(7) == 7);
  CHECK(good.value_or(7) == 3);
}

TEST_CASE("VC_TRY propagates the first error unchanged") {
  CHECK(*doubled(4) == 8);
  auto r = doubled(0);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error() == Error{ErrorCode::invalid, "must be positive"});
}

TEST_CASE("Result<void> reports success and failure") {
  CHECK(check(true).ok());
  auto r = check(false);
  CHECK_FALSE(r.ok());
  CHECK(r.error().code == ErrorCode::conflict);
}

TEST_CASE("move-only values can be returned and moved out") {
  Result<std::unique_ptr<int>> r = std::make_unique<int>(5);
  REQUIRE(r.ok());
  std::unique_ptr<int> p = std::move(r).value();
  CHECK(*p == 5);
}

TEST_CASE("every error code has a distinct stable name") {
  const ErrorCode all[] = {ErrorCode::invalid, ErrorCode::unauthenticated, ErrorCode::forbidden,
                           ErrorCode::not_found, ErrorCode::conflict, ErrorCode::too_large,
                           ErrorCode::unsupported, ErrorCode::quota, ErrorCode::rate_limited,
                           ErrorCode::unavailable, ErrorCode::internal};
  for (auto a : all)
    for (auto b : all)
      if (a != b) CHECK(to_string(a) != to_string(b));
  CHECK(to_string(ErrorCode::not_found) == "not_found");
  CHECK(to_string(ErrorCode::rate_limited) == "rate_limited");
}
