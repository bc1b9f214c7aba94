#include "session.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <rapidjson/document.h>
#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>

namespace vcctl {
namespace {

std::string config_dir() {
  if (const char* x = std::getenv("XDG_CONFIG_HOME"); x && *x) return std::string(x) + "/vcctl";
  if (const char* h = std::getenv("HOME"); h && *h) return std::string(h) + "/.config/vcctl";
  return ".vcctl";
}

vc::Error io_error(const std::string& what) {
  return vc::make_error(vc::ErrorCode::internal, what + ": " + std::strerror(errno));
}

std::string str(const rapidjson::Value& o, const char* k) {
  auto it = o.FindMember(k);
  return it != o.MemberEnd() && it->value.IsString() ? std::string(it->value.GetString(), it->value.GetStringLength()) : std::string();
}

vc::Result<Profiles> parse(std::string_view text) {
  Profiles p;
  if (text.empty()) return p;
  rapidjson::Document d;
  d.Parse(text.data(), text.size());
  if (d.HasParseError() || !d.IsObject())
    return vc::make_error(vc::ErrorCode::invalid, profiles_path() + " is not valid JSON: fix or remove it, then sign in again");
  p.current = str(d, "current");
  if (auto it = d.FindMember("profiles"); it != d.MemberEnd() && it->value.IsObject()) {
    for (auto& m : it->value.GetObject()) {
      if (!m.value.IsObject()) continue;
      Profile pr;
      pr.server = str(m.value, "server");
      pr.username = str(m.value, "username");
      pr.refresh_token = str(m.value, "refresh_token");
      pr.access_token = str(m.value, "access_token");
      if (auto e = m.value.FindMember("access_expires_at"); e != m.value.MemberEnd() && e->value.IsInt64())
        pr.access_expires_at = e->value.GetInt64();
      p.items[std::string(m.name.GetString(), m.name.GetStringLength())] = std::move(pr);
    }
  }
  return p;
}

std::string serialize(const Profiles& p) {
  rapidjson::StringBuffer sb;
  rapidjson::PrettyWriter<rapidjson::StringBuffer> w(sb);
  w.StartObject();
  w.Key("current");
  w.String(p.current.data(), static_cast<rapidjson::SizeType>(p.current.size()));
  w.Key("profiles");
  w.StartObject();
  for (const auto& [name, pr] : p.items) {
    w.Key(name.data(), static_cast<rapidjson::SizeType>(name.size()));
    w.StartObject();
    w.Key("server"), w.String(pr.server.data(), static_cast<rapidjson::SizeType>(pr.server.size()));
    w.Key("username"), w.String(pr.username.data(), static_cast<rapidjson::SizeType>(pr.username.size()));
    w.Key("refresh_token"), w.String(pr.refresh_token.data(), static_cast<rapidjson::SizeType>(pr.refresh_token.size()));
    w.Key("access_token"), w.String(pr.access_token.data(), static_cast<rapidjson::SizeType>(pr.access_token.size()));
    w.Key("access_expires_at"), w.Int64(pr.access_expires_at);
    w.EndObject();
  }
  w.EndObject();
  w.EndObject();
  return std::string(sb.GetString(), sb.GetSize()) + "\n";
}

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

std::string profiles_path() { return config_dir() + "/profiles.json"; }

vc::Result<Profiles> parse_profiles(std::string_view text) { return parse(text); }
std::string serialize_profiles(const Profiles& profiles) { return serialize(profiles); }

vc::Result<Profiles> read_profiles() { return parse(read_all(profiles_path())); }

vc::Result<Profiles> update_profiles(const std::function<vc::Result<bool>(Profiles&)>& change) {
  const std::string dir = config_dir();
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return vc::make_error(vc::ErrorCode::internal, dir + ": " + ec.message());
  ::chmod(dir.c_str(), 0700);
  const std::string lock_path = dir + "/profiles.lock";
  const int lock = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lock < 0) return io_error(lock_path);
  struct Unlock {
    int fd;
    ~Unlock() { ::close(fd); }  // closing releases the flock
  } unlock{lock};
  if (::flock(lock, LOCK_EX) != 0) return io_error(lock_path);

  const std::string path = profiles_path();
  auto profiles = parse(read_all(path));
  if (!profiles) return profiles;
  auto changed = change(*profiles);
  if (!changed) return changed.error();
  if (!*changed) return profiles;

  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return io_error(tmp);
  const std::string text = serialize(*profiles);
  const bool ok = ::fchmod(fd, 0600) == 0 && ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
                  ::fsync(fd) == 0;
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
    auto e = io_error(path);
    ::unlink(tmp.c_str());
    return e;
  }
  return profiles;
}

}  // namespace vcctl
