#include "i18n.hpp"

#include <unistd.h>

#include <clocale>
#include <cstdlib>
#include <filesystem>

#ifndef VCCTL_LOCALEDIR
#define VCCTL_LOCALEDIR "/usr/local/share/locale"
#endif

namespace vcctl {

void init_i18n() {
  std::setlocale(LC_MESSAGES, "");
  std::setlocale(LC_CTYPE, "");
  std::string dir;
  if (const char* env = std::getenv("VCCTL_LOCALEDIR"); env && *env) {
    dir = env;
  } else {
    std::error_code ec;
    const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
    for (const auto& candidate : {exe.parent_path() / "locale", exe.parent_path() / ".." / "share" / "locale"}) {
      if (!ec && std::filesystem::exists(candidate / "ru" / "LC_MESSAGES" / "vcctl.mo", ec)) {
        dir = candidate.lexically_normal().string();
        break;
      }
    }
    if (dir.empty()) dir = VCCTL_LOCALEDIR;
  }
  bindtextdomain("vcctl", dir.c_str());
  bind_textdomain_codeset("vcctl", "UTF-8");
}

}  // namespace vcctl
