#include <doctest/doctest.h>

#include "videocontrol/password.hpp"

using namespace vc;

TEST_CASE("the strength rule explains what is missing") {
  auto short_pw = check_password_strength("abc123");
  REQUIRE_FALSE(short_pw.ok());
  CHECK(short_pw.error().message.find("at least 10") != std::string::npos);
  auto letters = check_password_strength("onlyletterspassword");
  REQUIRE_FALSE(letters.ok());
  CHECK(letters.error().message.find("digits or symbols") != std::string::npos);
  auto digits = check_password_strength("12345678901234");
  REQUIRE_FALSE(digits.ok());
  auto same = check_password_strength("username-1234", "username-1234");
  REQUIRE_FALSE(same.ok());
  CHECK(same.error().message.find("username") != std::string::npos);
  CHECK(check_password_strength("correct horse 7").ok());
}

TEST_CASE("argon2id hashes verify only the right password and are salted") {
  auto a = hash_password("S3cret-enough");
  auto b = hash_password("S3cret-enough");
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  CHECK(a->rfind("$argon2id$", 0) == 0);
  CHECK(*a != *b);
  CHECK(verify_password("S3cret-enough", *a));
  CHECK_FALSE(verify_password("S3cret-enougH", *a));
  CHECK_FALSE(verify_password("S3cret-enough", ""));
  CHECK_FALSE(verify_password("S3cret-enough", "not a hash"));
}

TEST_CASE("a hash records its cost; another cost asks for a re-hash, out-of-bounds costs are refused") {
  auto dflt = hash_password("S3cret-enough");
  REQUIRE(dflt.ok());
  CHECK(dflt->find("$m=65536,t=2,") != std::string::npos);  // libsodium's interactive level
  const PasswordHashCost cheap = PasswordHashCost::minimum();
  auto small = hash_password("S3cret-enough", cheap);
  REQUIRE(small.ok());
  CHECK(small->find("$m=8,t=1,") != std::string::npos);
  CHECK(verify_password("S3cret-enough", *small));  // verification reads the cost from the hash
  CHECK_FALSE(password_needs_rehash(*dflt, PasswordHashCost{}));
  CHECK(password_needs_rehash(*dflt, cheap));
  CHECK(password_needs_rehash(*small, PasswordHashCost{}));
  CHECK(password_needs_rehash("not a hash", PasswordHashCost{}));
  CHECK(cheap.weaker_than_default());
  CHECK_FALSE(PasswordHashCost{}.weaker_than_default());
  CHECK_FALSE(PasswordHashCost{3, 65'536}.weaker_than_default());
  for (auto bad : {PasswordHashCost{0, 65'536}, PasswordHashCost{17, 65'536}, PasswordHashCost{2, 7}}) {
    auto r = hash_password("S3cret-enough", bad);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == ErrorCode::invalid);
  }
}
