// The object store's protocol pieces: Signature V4 against AWS's published examples (the only
// check of the signing: s3rver, which the integration test runs, does not verify V4), the XML
// answers it reads, and the endpoint/option checks of make_s3_blob_store.
#include <doctest/doctest.h>

#include "objstore/s3_signer.hpp"
#include "objstore/s3_xml.hpp"
#include "test_support.hpp"
#include "videocontrol/blob_store.hpp"

using namespace vc;

namespace {
// The S3 examples' account (docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html).
s3::Credentials example_account() {
  s3::Credentials c;
  c.access_key_id = "AKIAIOSFODNN7EXAMPLE";
  c.secret_access_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
  c.region = "us-east-1";
  return c;
}
constexpr std::int64_t k20130524 = 1369353600;  // 2013-05-24T00:00:00Z
const std::string kEmptySha = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
}  // namespace

TEST_CASE("SigV4: AWS's get-vanilla example") {
  s3::Credentials c;
  c.access_key_id = "AKIDEXAMPLE";
  c.secret_access_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
  c.region = "us-east-1";
  c.service = "service";
  s3::SignedRequest r;
  r.method = "GET";
  r.path = "/";
  r.headers = {{"Host", "example.amazonaws.com"}, {"X-Amz-Date", "20150830T123600Z"}};
  r.payload_sha256 = kEmptySha;
  CHECK(s3::amz_date(1440938160) == "20150830T123600Z");
  CHECK(s3::authorization(c, r, 1440938160) ==
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
        "SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
}

TEST_CASE("SigV4: S3's GET object example (Range header)") {
  s3::SignedRequest r;
  r.method = "GET";
  r.path = "/test.txt";
  r.headers = {{"Host", "examplebucket.s3.amazonaws.com"},
               {"Range", "bytes=0-9"},
               {"x-amz-content-sha256", kEmptySha},
               {"x-amz-date", "20130524T000000Z"}};
  r.payload_sha256 = kEmptySha;
  const auto canonical = s3::canonical_request(r);
  CHECK(canonical ==
        "GET\n/test.txt\n\nhost:examplebucket.s3.amazonaws.com\nrange:bytes=0-9\nx-amz-content-sha256:" + kEmptySha +
            "\nx-amz-date:20130524T000000Z\n\nhost;range;x-amz-content-sha256;x-amz-date\n" + kEmptySha);
  CHECK(s3::string_to_sign(example_account(), "20130524T000000Z", canonical) ==
        "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
        "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972");
  CHECK(s3::authorization(example_account(), r, k20130524) ==
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
        "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
        "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
}

TEST_CASE("SigV4: S3's PUT object example (a key needing escapes, a signed body)") {
  const std::string body = "Welcome to Amazon S3.";
  s3::SignedRequest r;
  r.method = "PUT";
  r.path = "/test$file.text";
  r.payload_sha256 = s3::sha256_hex(body);
  CHECK(r.payload_sha256 == "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
  r.headers = {{"Host", "examplebucket.s3.amazonaws.com"},
               {"Date", "Fri, 24 May 2013 00:00:00 GMT"},
               {"x-amz-date", "20130524T000000Z"},
               {"x-amz-storage-class", "REDUCED_REDUNDANCY"},
               {"x-amz-content-sha256", r.payload_sha256}};
  CHECK(s3::canonical_request(r).starts_with("PUT\n/test%24file.text\n\n"));
  CHECK(s3::authorization(example_account(), r, k20130524) ==
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
        "SignedHeaders=date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class, "
        "Signature=98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");
}

TEST_CASE("SigV4: S3's list objects example (a sorted, encoded query)") {
  s3::SignedRequest r;
  r.method = "GET";
  r.path = "/";
  r.query = {{"prefix", "J"}, {"max-keys", "2"}};
  r.headers = {{"Host", "examplebucket.s3.amazonaws.com"},
               {"x-amz-content-sha256", kEmptySha},
               {"x-amz-date", "20130524T000000Z"}};
  r.payload_sha256 = kEmptySha;
  CHECK(s3::canonical_query(r.query) == "max-keys=2&prefix=J");
  CHECK(s3::authorization(example_account(), r, k20130524) ==
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
        "SignedHeaders=host;x-amz-content-sha256;x-amz-date, "
        "Signature=34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
}

TEST_CASE("SigV4: S3's pre-signed URL example") {
  s3::SignedRequest r;
  r.method = "GET";
  r.path = "/test.txt";
  r.headers = {{"host", "examplebucket.s3.amazonaws.com"}};
  CHECK(s3::presigned_query(example_account(), r, k20130524, 86400) ==
        "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
        "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host"
        "&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
}

TEST_CASE("SigV4: URI encoding keeps only unreserved characters") {
  CHECK(s3::uri_encode("a-b_c.d~e/f g+h=%", true) == "a-b_c.d~e/f%20g%2Bh%3D%25");
  CHECK(s3::uri_encode("a/b", false) == "a%2Fb");
  CHECK(s3::uri_encode("\xd0\xaf", false) == "%D0%AF");
}

TEST_CASE("S3 XML: a ListObjectsV2 page") {
  const std::string xml = R"(<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Name>vc</Name><Prefix>blobs/</Prefix><KeyCount>2</KeyCount><MaxKeys>1000</MaxKeys>
  <IsTruncated>true</IsTruncated><NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken>
  <Contents><Key>blobs/ab/abc</Key><LastModified>2026-12-03T10:00:00.250Z</LastModified><ETag>"x"</ETag><Size>42</Size></Contents>
  <Contents><Key>blobs/cd/c&amp;d</Key><LastModified>2026-12-03T10:00:01Z</LastModified><Size>0</Size></Contents>
</ListBucketResult>)";
  auto page = s3::parse_list_objects(xml);
  REQUIRE(page.ok());
  REQUIRE(page->objects.size() == 2);
  CHECK(page->objects[0].key == "blobs/ab/abc");
  CHECK(page->objects[0].size == 42);
  CHECK(page->objects[0].last_modified_ms == 1796292000250);
  CHECK(page->objects[1].key == "blobs/cd/c&d");
  CHECK(page->objects[1].last_modified_ms == 1796292001000);
  CHECK(page->truncated);
  CHECK(page->next_token == "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=");
}

TEST_CASE("S3 XML: malformed and hostile answers are refused") {
  CHECK(!s3::parse_list_objects("<ListBucketResult><Contents><Key>k</Key><Size>-1</Size></Contents></ListBucketResult>").ok());
  CHECK(!s3::parse_list_objects("<ListBucketResult><Contents><Key>k</Key></Contents></ListBucketResult>").ok());
  CHECK(!s3::parse_list_objects("<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>").ok());
  CHECK(!s3::parse_list_objects("<Other/>").ok());
  CHECK(!s3::parse_list_objects("<ListBucketResult>").ok());
  // Entities (billion laughs, external files) are never expanded: a DOCTYPE is refused.
  auto bomb = s3::parse_xml_leaves(
      R"(<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]><Error><Code>&b;</Code></Error>)");
  REQUIRE(!bomb.ok());
  CHECK(bomb.error().message.find("DOCTYPE") != std::string::npos);
  CHECK(!s3::parse_xml_leaves(R"(<!DOCTYPE x SYSTEM "file:///etc/passwd"><x/>)").ok());
  std::string deep;
  for (int i = 0; i < 40; ++i) deep += "<a>";
  for (int i = 0; i < 40; ++i) deep += "</a>";
  CHECK(!s3::parse_xml_leaves(deep).ok());
  CHECK(!s3::parse_xml_leaves(std::string(s3::kMaxXmlBytes + 1, ' ')).ok());
}

TEST_CASE("S3 XML: upload ids, errors and dates") {
  auto id = s3::parse_upload_id(
      "<InitiateMultipartUploadResult><Bucket>vc</Bucket><Key>k</Key><UploadId>VXBsb2FkIElE</UploadId>"
      "</InitiateMultipartUploadResult>");
  REQUIRE(id.ok());
  CHECK(*id == "VXBsb2FkIElE");
  CHECK(!s3::parse_upload_id("<InitiateMultipartUploadResult/>").ok());
  auto e = s3::parse_error("<Error><Code>SlowDown</Code><Message>Reduce your rate</Message></Error>");
  REQUIRE(e);
  CHECK(e->code == "SlowDown");
  CHECK(e->message == "Reduce your rate");
  CHECK(!s3::parse_error("<CompleteMultipartUploadResult><ETag>x</ETag></CompleteMultipartUploadResult>"));
  CHECK(s3::parse_iso8601_ms("1970-01-01T00:00:00Z") == 0);
  CHECK(s3::parse_iso8601_ms("2013-05-24T00:00:00.5Z") == 1369353600500);
  CHECK(!s3::parse_iso8601_ms("2013-05-24 00:00:00Z"));
  CHECK(!s3::parse_iso8601_ms("2013-13-24T00:00:00Z"));
  CHECK(!s3::parse_iso8601_ms("2013-05-24T00:00:00.Z"));
}

TEST_CASE("make_s3_blob_store refuses incomplete settings before any request") {
  test::TempDir dir;
  S3Options o;
  o.endpoint = "http://127.0.0.1:9";
  o.bucket = "vc";
  o.access_key_id = "a";
  o.secret_access_key = "b";
  o.cache_dir = dir.path();
  auto check = [&](S3Options bad, const char* words) {
    auto r = make_s3_blob_store(bad);
    REQUIRE(!r.ok());
    CHECK(r.error().code == ErrorCode::invalid);
    CHECK_MESSAGE(r.error().message.find(words) != std::string::npos, r.error().message);
  };
  S3Options b = o;
  b.bucket.clear();
  check(b, "S3_BUCKET");
  b = o;
  b.secret_access_key.clear();
  check(b, "S3_SECRET_ACCESS_KEY");
  b = o;
  b.part_bytes = 1 << 20;
  check(b, "5 MiB");
  for (const char* e : {"ftp://x", "http://", "http://h/path", "http://h:99999", "http://[::1", "http://u@h"}) {
    b = o;
    b.endpoint = e;
    check(b, "S3_ENDPOINT");
  }
  // Complete settings, nobody listening: unavailable, naming where it tried.
  auto r = make_s3_blob_store(o);
  REQUIRE(!r.ok());
  CHECK(r.error().code == ErrorCode::unavailable);
  CHECK(r.error().message.find("127.0.0.1:9") != std::string::npos);
}

TEST_CASE("S3 XML: an element name that is all prefix keeps its name (found by s3_xml_fuzz)") {
  auto leaves = s3::parse_xml_leaves("<:/>");
  REQUIRE(leaves.ok());
  REQUIRE(leaves->size() == 1);
  CHECK((*leaves)[0].path == ":");
}
