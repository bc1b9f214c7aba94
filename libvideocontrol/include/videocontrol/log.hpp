// Structured logging: one line per event, a message plus key=value fields, as text (for people)
// or JSON lines (for collectors). Safe to call from any thread.
#pragma once

#include "videocontrol/export.hpp"

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace vc {

enum class LogLevel { trace, debug, info, warn, error, off };
enum class LogFormat { text, json };

VC_API std::optional<LogLevel> parse_log_level(std::string_view text) noexcept;
VC_API std::string_view to_string(LogLevel level) noexcept;

struct VC_API LogField {
  std::string_view key;
  std::string value;
  bool quoted = true;  // false for numbers and booleans (matters for JSON)

  LogField(std::string_view k, std::string_view v) : key(k), value(v) {}
  LogField(std::string_view k, const char* v) : key(k), value(v) {}
  LogField(std::string_view k, const std::string& v) : key(k), value(v) {}
  template <class N, class = decltype(std::to_string(N{}))>
  LogField(std::string_view k, N n) : key(k), value(std::to_string(n)), quoted(false) {}
};

// Process-wide logger configuration; lines go to stderr.
VC_API void set_log_level(LogLevel level) noexcept;
VC_API void set_log_format(LogFormat format) noexcept;
VC_API LogLevel log_level() noexcept;
inline bool log_enabled(LogLevel level) noexcept { return level >= log_level(); }

VC_API void log(LogLevel level, std::string_view message, std::initializer_list<LogField> fields = {});

inline void log_debug(std::string_view m, std::initializer_list<LogField> f = {}) { log(LogLevel::debug, m, f); }
inline void log_info(std::string_view m, std::initializer_list<LogField> f = {}) { log(LogLevel::info, m, f); }
inline void log_warn(std::string_view m, std::initializer_list<LogField> f = {}) { log(LogLevel::warn, m, f); }
inline void log_error(std::string_view m, std::initializer_list<LogField> f = {}) { log(LogLevel::error, m, f); }

// Renders one line without writing it (what log() writes); exposed for tests.
VC_API std::string format_log_line(LogFormat format, std::int64_t epoch_ms, LogLevel level, std::string_view message,
                            std::initializer_list<LogField> fields);

}  // namespace vc
