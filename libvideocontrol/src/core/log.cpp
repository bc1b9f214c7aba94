#include "videocontrol/log.hpp"

#include <atomic>
#include <cstdio>
#include <mutex>

#include <fmt/format.h>

#include "videocontrol/clock.hpp"

namespace vc {
namespace {

std::atomic<LogLevel> g_level{LogLevel::info};
std::atomic<LogFormat> g_format{LogFormat::text};
std::mutex g_write_mutex;

void append_json_string(std::string& out, std::string_view s) {
  out.push_back('"');
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) out += fmt::format("\\u{:04x}", c);
        else out.push_back(static_cast<char>(c));
    }
  }
  out.push_back('"');
}

bool needs_quotes(std::string_view v) {
  if (v.empty()) return true;
  for (unsigned char c : v)
    if (c <= ' ' || c == '"' || c == '=' || c == '\\' || c >= 0x7f) return true;
  return false;
}

}  // namespace

std::optional<LogLevel> parse_log_level(std::string_view text) noexcept {
  for (LogLevel l : {LogLevel::trace, LogLevel::debug, LogLevel::info, LogLevel::warn, LogLevel::error, LogLevel::off})
    if (text == to_string(l)) return l;
  if (text == "warning") return LogLevel::warn;
  return std::nullopt;
}

std::string_view to_string(LogLevel level) noexcept {
  switch (level) {
    case LogLevel::trace: return "trace";
    case LogLevel::debug: return "debug";
    case LogLevel::info: return "info";
    case LogLevel::warn: return "warn";
    case LogLevel::error: return "error";
    case LogLevel::off: return "off";
  }
  return "info";
}

void set_log_level(LogLevel level) noexcept { g_level.store(level); }
void set_log_format(LogFormat format) noexcept { g_format.store(format); }
LogLevel log_level() noexcept { return g_level.load(); }

std::string format_log_line(LogFormat format, std::int64_t epoch_ms, LogLevel level, std::string_view message,
                            std::initializer_list<LogField> fields) {
  std::string out;
  out.reserve(128);
  if (format == LogFormat::json) {
    out += "{\"ts\":";
    append_json_string(out, format_rfc3339(epoch_ms));
    out += ",\"level\":";
    append_json_string(out, to_string(level));
    out += ",\"msg\":";
    append_json_string(out, message);
    for (const auto& f : fields) {
      out.push_back(',');
      append_json_string(out, f.key);
      out.push_back(':');
      if (f.quoted) append_json_string(out, f.value);
      else out += f.value;
    }
    out += "}\n";
    return out;
  }
  out += format_rfc3339(epoch_ms);
  out.push_back(' ');
  std::string lvl(to_string(level));
  for (auto& c : lvl) c = static_cast<char>(c - 'a' + 'A');
  out += fmt::format("{:<5} ", lvl);
  out += message;
  for (const auto& f : fields) {
    out.push_back(' ');
    out += f.key;
    out.push_back('=');
    if (needs_quotes(f.value)) append_json_string(out, f.value);
    else out += f.value;
  }
  out.push_back('\n');
  return out;
}

void log(LogLevel level, std::string_view message, std::initializer_list<LogField> fields) {
  if (level == LogLevel::off || !log_enabled(level)) return;
  const std::string line = format_log_line(g_format.load(), system_clock()->now_ms(), level, message, fields);
  std::lock_guard lock(g_write_mutex);
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
}

}  // namespace vc
