// libFuzzer target for what the object store reads from an S3 endpoint (objstore/s3_xml): an
// answer is parsed as a ListObjectsV2 page, an InitiateMultipartUpload result and an Error, and
// an ISO 8601 time. A hostile or broken endpoint must never crash the server or make it read a
// key/size that is not in the document.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "objstore/s3_xml.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  auto leaves = vc::s3::parse_xml_leaves(in);
  if (leaves) {
    for (const auto& l : *leaves) {
      FUZZ_CHECK(!l.path.empty());
      FUZZ_CHECK(l.text.size() <= size);
    }
  }
  auto page = vc::s3::parse_list_objects(in);
  if (page) {
    FUZZ_CHECK(leaves.ok());
    FUZZ_CHECK(!page->truncated || !page->next_token.empty());
    for (const auto& o : page->objects) {
      FUZZ_CHECK(o.size >= 0);
      FUZZ_CHECK(o.key.size() <= size);
    }
  }
  if (auto id = vc::s3::parse_upload_id(in)) FUZZ_CHECK(!id->empty() && id->size() <= size);
  if (auto e = vc::s3::parse_error(in)) FUZZ_CHECK(e->code.size() + e->message.size() <= size);
  if (auto t = vc::s3::parse_iso8601_ms(in)) FUZZ_CHECK(*t >= 0);
  return 0;
}
