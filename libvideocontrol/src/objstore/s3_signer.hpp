// AWS Signature Version 4 for S3 requests (header authorisation and pre-signed URLs), the part of
// the S3 protocol that must be exactly right. Pure functions over strings: tested against AWS's
// published examples (tests/unit/s3_test.cpp).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace vc::s3 {

struct Credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string region = "us-east-1";
  std::string service = "s3";
};

using Pairs = std::vector<std::pair<std::string, std::string>>;

struct SignedRequest {
  std::string method;       // GET, PUT…
  std::string path;         // raw (not encoded) absolute path, e.g. /bucket/blobs/ab/abcd…
  Pairs query;              // raw names and values
  Pairs headers;            // must include host; names in any case
  std::string payload_sha256;  // hex, or "UNSIGNED-PAYLOAD"
};

// RFC 3986 unreserved characters kept, everything else %XX (upper case); '/' kept when keep_slash.
std::string uri_encode(std::string_view s, bool keep_slash);
std::string sha256_hex(std::string_view bytes);
// 20130524T000000Z
std::string amz_date(std::int64_t epoch_seconds);

std::string canonical_query(const Pairs& query);
std::string canonical_request(const SignedRequest& r, std::string* signed_headers = nullptr);
std::string string_to_sign(const Credentials& c, std::string_view amz_date, std::string_view canonical_request);
std::string signature(const Credentials& c, std::string_view amz_date, std::string_view string_to_sign);

// The Authorization header's value. REQUIRES: r.headers hold x-amz-date = amz_date(epoch) and
// x-amz-content-sha256 = r.payload_sha256 (S3 wants both).
std::string authorization(const Credentials& c, const SignedRequest& r, std::int64_t epoch_seconds);

// The query string (without '?') of a pre-signed URL for `r` (only the host header is signed, the
// payload is UNSIGNED-PAYLOAD); r.query may carry response-content-type and the like.
std::string presigned_query(const Credentials& c, SignedRequest r, std::int64_t epoch_seconds, std::int64_t expires_seconds);

}  // namespace vc::s3
