// Input rules shared by the services. Each returns invalid with a message naming the field.
#pragma once

#include <string>
#include <string_view>

#include "videocontrol/domain.hpp"
#include "videocontrol/result.hpp"

namespace vc {

Result<void> validate_name(std::string_view field, std::string_view value, std::size_t max = 200);
Result<void> validate_slug(std::string_view value);       // [a-z0-9-]{2,63}, no leading/trailing '-'
Result<void> validate_username(std::string_view value);   // [A-Za-z0-9_.@-]{3,64}
Result<void> validate_timezone(std::string_view value);   // "UTC" or an IANA name known to the system
Result<void> validate_plan(std::string_view value);
Result<void> validate_page(const PageRequest& page);      // limit 1..200
Result<void> validate_limit_override(std::string_view field, const std::optional<std::int64_t>& v);

// Turns rows fetched with limit+1 into a page whose cursor is the last item's id.
template <class T>
Page<T> make_page(std::vector<T> rows, int limit) {
  Page<T> page;
  if (static_cast<int>(rows.size()) > limit) {
    rows.resize(static_cast<std::size_t>(limit));
    page.next_cursor = rows.back().id;
  }
  page.items = std::move(rows);
  return page;
}

}  // namespace vc
