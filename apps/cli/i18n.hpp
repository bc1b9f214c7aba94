// vcctl's messages through GNU gettext (the "vcctl" domain; po/ru.po holds the Russian catalogue).
// The language follows the usual variables (LANGUAGE, LC_ALL, LC_MESSAGES, LANG); only messages and
// character handling change with it, never number formats, so --json and the library are unaffected.
#pragma once

#include <fmt/format.h>
#include <libintl.h>

#include <string>
#include <utility>

namespace vcctl {

// Picks the catalogue folder: VCCTL_LOCALEDIR, else next to the binary (the build tree's locale/, or
// ../share/locale of an installation), else the configured install path.
void init_i18n();

inline const char* tr(const char* english) { return dgettext("vcctl", english); }

// Marks a string for the catalogue where it is looked up later with tr().
#define N_(english) (english)

// A translated format string ("Device {} created.") filled in with fmt.
template <class... Args>
std::string trf(const char* english, Args&&... args) {
  return fmt::format(fmt::runtime(tr(english)), std::forward<Args>(args)...);
}

}  // namespace vcctl
