// The few S3 answers the object store reads (ListObjectsV2, InitiateMultipartUpload, Error),
// parsed with expat: no DTDs or entities, bounded depth and size. Fuzzed (fuzz/s3_xml_fuzz.cpp).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "videocontrol/result.hpp"

namespace vc::s3 {

inline constexpr std::size_t kMaxXmlBytes = 4u << 20;  // a ListObjectsV2 page of 1000 keys is ~350 KB

// Each element holding text, as "Root/Child/Leaf" (names without namespace prefixes) and its text.
struct XmlLeaf {
  std::string path;
  std::string text;
};
// Errors: invalid for malformed XML, a DOCTYPE, more than 32 levels, or more than kMaxXmlBytes.
Result<std::vector<XmlLeaf>> parse_xml_leaves(std::string_view xml);

struct ListedObject {
  std::string key;
  std::int64_t size = 0;
  std::int64_t last_modified_ms = 0;
};
struct ListPage {
  std::vector<ListedObject> objects;
  bool truncated = false;
  std::string next_token;  // NextContinuationToken when truncated
};
// Errors: invalid when it is not a ListBucketResult or a field is malformed.
Result<ListPage> parse_list_objects(std::string_view xml);

// InitiateMultipartUploadResult's UploadId. Errors: invalid when absent.
Result<std::string> parse_upload_id(std::string_view xml);

// An <Error> document (also the 200 answer a failed CompleteMultipartUpload may give).
struct ErrorInfo {
  std::string code;
  std::string message;
};
std::optional<ErrorInfo> parse_error(std::string_view xml);

// 2009-10-12T17:50:30.000Z (or without fraction) → ms since the epoch; nullopt when malformed.
std::optional<std::int64_t> parse_iso8601_ms(std::string_view s);

}  // namespace vc::s3
