// The OpenAPI 3 description of every route (docs/openapi.json), compiled into the binary.
#pragma once

#include <string_view>

namespace vc::server {

// The document's bytes, exactly as in docs/openapi.json when the binary was built.
std::string_view openapi_document();

}  // namespace vc::server
