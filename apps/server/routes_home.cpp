// GET /: a short page for a person who opens the server in a browser — where the REST API, its
// OpenAPI document, the player and the docs are. English or Russian, from Accept-Language. A
// constant per language: never blocks, so it answers on the network thread.
#include <algorithm>
#include <array>
#include <cstdlib>
#include <string>
#include <string_view>

#include "router.hpp"
#include "routes.hpp"
#include "server_context.hpp"
#include "videocontrol/text.hpp"

namespace vc::server {
namespace {

enum class Lang { en, ru };

// Every text of the page, in both languages, one entry per string.
enum Text { kTitle, kIntro, kApi, kOpenApi, kPlayer, kPlayerHint, kSignIn, kDocs, kDocsText, kTextCount };

struct Entry {
  std::string_view en, ru;
};

constexpr std::array<Entry, kTextCount> kCatalogue = {{
    /* kTitle */ {"VideoControl server", "Сервер VideoControl"},
    /* kIntro */ {"This server controls an organisation's screens. There is no web interface yet; use the REST API "
                  "or vcctl.",
                  "Этот сервер управляет экранами организации. Веб-интерфейса пока нет: пользуйтесь REST API или "
                  "vcctl."},
    /* kApi */ {"REST API", "REST API"},
    /* kOpenApi */ {"its OpenAPI description", "его описание OpenAPI"},
    /* kPlayer */ {"Player", "Плеер"},
    /* kPlayerHint */ {"open it on the screen, with the device id of a device you created",
                       "откройте на экране, указав идентификатор созданного вами устройства"},
    /* kSignIn */ {"Sign in with POST /api/v1/auth/login as admin (its password is printed at the first start) and "
                   "send the access token as 'Authorization: Bearer <token>'.",
                   "Войдите через POST /api/v1/auth/login как admin (пароль печатается при первом запуске) и "
                   "передавайте токен доступа в заголовке 'Authorization: Bearer <токен>'."},
    /* kDocs */ {"Documentation", "Документация"},
    /* kDocsText */ {"README.md and the docs/ folder of the source tree (quick start, configuration, architecture); "
                     "PROTOCOL.md for players.",
                     "README.md и папка docs/ в исходном коде (быстрый старт, настройка, архитектура); PROTOCOL.md — "
                     "для плееров."},
}};

std::string_view text(Lang lang, Text t) { return lang == Lang::ru ? kCatalogue[t].ru : kCatalogue[t].en; }

bool iequals_prefix(std::string_view tag, std::string_view primary) {
  if (tag.size() < primary.size()) return false;
  for (std::size_t i = 0; i < primary.size(); ++i)
    if ((tag[i] | 0x20) != primary[i]) return false;
  return tag.size() == primary.size() || tag[primary.size()] == '-';
}

// The supported language the client prefers most (RFC 9110 quality values); English by default.
Lang choose_language(std::string_view header) {
  double best_en = -1, best_ru = -1;
  while (!header.empty()) {
    const auto comma = header.find(',');
    std::string_view item = header.substr(0, comma);
    header = comma == std::string_view::npos ? std::string_view{} : header.substr(comma + 1);
    double q = 1.0;
    if (auto semi = item.find(';'); semi != std::string_view::npos) {
      std::string_view param = text::trim(item.substr(semi + 1));
      item = item.substr(0, semi);
      if (param.size() > 2 && (param[0] | 0x20) == 'q' && param[1] == '=') {
        const std::string value(param.substr(2));
        char* end = nullptr;
        q = std::strtod(value.c_str(), &end);
        if (end == value.c_str()) q = 0;
      }
    }
    item = text::trim(item);
    if (q <= 0) continue;
    if (iequals_prefix(item, "ru")) best_ru = std::max(best_ru, q);
    else if (iequals_prefix(item, "en") || item == "*") best_en = std::max(best_en, q);
  }
  return best_ru > best_en ? Lang::ru : Lang::en;
}

std::string page(Lang lang) {
  auto t = [lang](Text k) { return std::string(text(lang, k)); };
  std::string out;
  out += "<!DOCTYPE html>\n<html lang=\"";
  out += lang == Lang::ru ? "ru" : "en";
  out += "\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width\">\n<title>";
  out += t(kTitle) + "</title>\n</head>\n<body>\n<h1>" + t(kTitle) + "</h1>\n<p>" + t(kIntro) + "</p>\n<ul>\n";
  out += "<li>" + t(kApi) + ": <code>/api/v1</code> — <a href=\"/api/v1/openapi.json\">" + t(kOpenApi) +
         "</a> (<code>/api/v1/openapi.json</code>)</li>\n";
  out += "<li>" + t(kPlayer) + ": <code>/player?device=DEVICE_ID</code> — " + t(kPlayerHint) + "</li>\n";
  out += "<li>" + t(kDocs) + ": " + t(kDocsText) + "</li>\n</ul>\n<p>" + t(kSignIn) + "</p>\n</body>\n</html>\n";
  return out;
}

}  // namespace

void register_home_routes(Router& router, ServerContext&) {
  RouteOptions inline_route;
  inline_route.inline_handler = true;
  router.add("GET", "/", [](Request& req) {
    static const std::string en = page(Lang::en), ru = page(Lang::ru);
    const Lang lang = choose_language(req.header("accept-language"));
    Response r;
    r.content_type = "text/html; charset=utf-8";
    // No script, no style, no frame, no form: the page is text and links only.
    r.headers.emplace_back("Content-Security-Policy",
                           "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'");
    r.headers.emplace_back("X-Content-Type-Options", "nosniff");
    r.headers.emplace_back("Content-Language", lang == Lang::ru ? "ru" : "en");
    r.headers.emplace_back("Vary", "Accept-Language");
    r.headers.emplace_back("Cache-Control", "no-cache");
    r.body = lang == Lang::ru ? ru : en;
    return r;
  }, inline_route);
}

}  // namespace vc::server
