// Fuzzes the Range header parser: any header against any size gives a range inside the resource.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "file_response.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 8) return 0;
  std::int64_t resource = 0;
  std::memcpy(&resource, data, 8);
  resource = resource < 0 ? -(resource + 1) : resource;
  resource %= (std::int64_t{1} << 50);
  std::string_view header(reinterpret_cast<const char*>(data + 8), size - 8);
  auto r = vc::server::parse_range(header, resource);
  if (r.kind == vc::server::RangeRequest::Kind::single) {
    if (!(r.first >= 0 && r.first <= r.last && r.last < resource)) std::abort();
  }
  return 0;
}
