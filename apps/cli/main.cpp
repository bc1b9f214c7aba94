// vcctl: VideoControl from a shell. The same commands run in two modes (transport.hpp):
//   remote — against a server: --server URL, or the profile `vcctl login` saved; VC_API_KEY signs in
//            with an API key instead;
//   local  — --database-url / --data-dir / --local: the installation opened through the library in
//            this process (recovery while the server is down, scripts on the server host).
// Output: tables for people, --json for programs (docs/cli.md lists the fields), --quiet for ids
// only; errors on stderr with what to do; exit codes in output.hpp.
#include <CLI/CLI.hpp>
#include <termios.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <rapidjson/document.h>
#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "completion.hpp"
#include "i18n.hpp"
#include "output.hpp"
#include "server_config.hpp"
#include "session.hpp"
#include "transport.hpp"
#include "videocontrol/text.hpp"
#include "videocontrol/videocontrol.hpp"

namespace vcctl {
namespace {

using Json = rapidjson::Document;
using Value = rapidjson::Value;

// A failed command: its exit code, the message and what to do about it.
struct Failure {
  int code = exit_error;
  std::string message;
  std::string hint;
};

// ---- JSON -------------------------------------------------------------------------------------

std::string text(const Value& v) {
  if (v.IsString()) return std::string(v.GetString(), v.GetStringLength());
  if (v.IsBool()) return v.GetBool() ? "yes" : "no";
  if (v.IsInt64()) return std::to_string(v.GetInt64());
  if (v.IsUint64()) return std::to_string(v.GetUint64());
  if (v.IsNumber()) return std::to_string(v.GetDouble());
  if (v.IsNull()) return "";
  rapidjson::StringBuffer sb;
  rapidjson::Writer<rapidjson::StringBuffer> w(sb);
  v.Accept(w);
  return sb.GetString();
}

std::string field(const Value& o, const char* key) {
  if (!o.IsObject()) return "";
  auto it = o.FindMember(key);
  return it == o.MemberEnd() ? std::string() : text(it->value);
}

const Value* member(const Value& o, const char* key) {
  if (!o.IsObject()) return nullptr;
  auto it = o.FindMember(key);
  return it == o.MemberEnd() || it->value.IsNull() ? nullptr : &it->value;
}

void print_json(const Value& v) {
  rapidjson::StringBuffer sb;
  rapidjson::PrettyWriter<rapidjson::StringBuffer> w(sb);
  w.SetIndent(' ', 2);
  v.Accept(w);
  std::printf("%s\n", sb.GetString());
}

// A request body: {"k": v, …} built with RapidJSON's writer (escaping done right).
class Body {
 public:
  Body() { w_.StartObject(); }
  Body& s(const char* k, const std::string& v) { return w_.Key(k), w_.String(v.c_str(), static_cast<rapidjson::SizeType>(v.size())), *this; }
  Body& i(const char* k, std::int64_t v) { return w_.Key(k), w_.Int64(v), *this; }
  Body& b(const char* k, bool v) { return w_.Key(k), w_.Bool(v), *this; }
  Body& null(const char* k) { return w_.Key(k), w_.Null(), *this; }
  Body& list(const char* k, const std::vector<std::string>& v) {
    w_.Key(k);
    w_.StartArray();
    for (const auto& x : v) w_.String(x.c_str(), static_cast<rapidjson::SizeType>(x.size()));
    w_.EndArray();
    return *this;
  }
  std::string str() {
    if (!done_) w_.EndObject(), done_ = true;
    return sb_.GetString();
  }

 private:
  rapidjson::StringBuffer sb_;
  rapidjson::Writer<rapidjson::StringBuffer> w_{sb_};
  bool done_ = false;
};


// ---- global options and the connection --------------------------------------------------------

struct Global {
  std::string server, profile, database_url, data_dir, organization;
  bool local = false;
  int timeout_s = 60;
};
Global g;

std::string now_utc_iso(std::int64_t offset_s = 0) {
  const std::time_t t = std::time(nullptr) + offset_s;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

bool local_mode() { return g.local || !g.database_url.empty() || !g.data_dir.empty(); }

Failure failure_of(const vc::Error& e) {
  int code = exit_error;
  switch (e.code) {
    case vc::ErrorCode::invalid: case vc::ErrorCode::too_large: case vc::ErrorCode::unsupported: code = exit_usage; break;
    case vc::ErrorCode::not_found: code = exit_not_found; break;
    case vc::ErrorCode::unauthenticated: case vc::ErrorCode::forbidden: case vc::ErrorCode::quota: code = exit_permission; break;
    case vc::ErrorCode::conflict: code = exit_conflict; break;
    case vc::ErrorCode::unavailable: code = exit_unavailable; break;
    case vc::ErrorCode::rate_limited: code = exit_rate_limited; break;
    case vc::ErrorCode::internal: code = exit_error; break;
  }
  std::string hint;
  if (e.code == vc::ErrorCode::unavailable && !local_mode())
    hint = tr("is the server running there? Name it with --server URL (or VC_SERVER); on the server host, --data-dir or --database-url works without it");
  return {code, e.message, hint};
}

std::string profile_name() {
  if (!g.profile.empty()) return g.profile;
  if (const char* p = std::getenv("VC_PROFILE"); p && *p) return p;
  return "";
}

// The transport, opened on first use.
class Connection {
 public:
  Transport& get() {
    if (!transport_) open();
    return *transport_;
  }
  // Closes the installation (local mode) before static destruction begins.
  void close() { transport_.reset(); }

 private:
  void open() {
    if (local_mode()) {
      auto t = local_transport({.database_url = g.database_url, .data_dir = g.data_dir, .content_dir = {}, .organization = g.organization});
      if (!t) throw failure_of(t.error());
      transport_ = std::move(*t);
      return;
    }
    RemoteOptions o;
    o.timeout_s = g.timeout_s;
    const char* key = std::getenv("VC_API_KEY");
    auto profiles = read_profiles();
    if (!profiles) throw failure_of(profiles.error());
    const std::string name = profile_name().empty() ? profiles->current : profile_name();
    const Profile* p = nullptr;
    if (auto it = profiles->items.find(name); it != profiles->items.end()) p = &it->second;
    else if (!profile_name().empty())
      throw Failure{exit_usage, trf("no profile '{}'", profile_name()), trf("sign in with: vcctl login --server URL --profile {}", profile_name())};
    o.server = !g.server.empty() ? g.server : std::getenv("VC_SERVER") ? std::getenv("VC_SERVER") : p ? p->server : "";
    while (!o.server.empty() && o.server.back() == '/') o.server.pop_back();
    if (o.server.empty())
      throw Failure{exit_usage, tr("no server named"), tr("sign in with: vcctl login --server URL   (or pass --server, or use --data-dir for local mode)")};
    if (key && *key) {
      o.api_key = key;
    } else if (p && p->server == o.server) {
      o.access_token = access_token(name);
    } else {
      throw Failure{exit_permission, trf("not signed in to {}", o.server), trf("sign in with: vcctl login --server {}   (or set VC_API_KEY)", o.server)};
    }
    if (!g.organization.empty()) o.organization_id = g.organization;
    auto t = remote_transport(o);
    if (!t) throw failure_of(t.error());
    transport_ = std::move(*t);
    server_ = o.server;
    if (!g.organization.empty()) resolve_organization_header(o);
  }

  // A superadmin names another organisation by slug or id; the header takes the id.
  void resolve_organization_header(RemoteOptions o);

  // The saved access token, refreshed under the profiles lock when it is about to expire.
  std::string access_token(const std::string& name) {
    std::string token;
    auto r = update_profiles([&](Profiles& ps) -> vc::Result<bool> {
      auto& p = ps.items[name];
      if (!p.access_token.empty() && p.access_expires_at > std::time(nullptr) + 30) {
        token = p.access_token;
        return false;
      }
      if (p.refresh_token.empty()) return vc::make_error(vc::ErrorCode::unauthenticated, tr("the saved session has ended"));
      auto t = remote_transport(p.server, g.timeout_s);
      if (!t) return t.error();
      auto reply = (*t)->request("POST", "/api/v1/auth/refresh", Body().s("refresh_token", p.refresh_token).str());
      if (!reply) return reply.error();
      if (reply->status != 200) {
        p.refresh_token.clear();
        p.access_token.clear();
        return vc::make_error(vc::ErrorCode::unauthenticated, tr("the saved session has ended (signed out, expired or revoked)"));
      }
      Json d;
      d.Parse(reply->body.c_str());
      p.access_token = field(d, "access_token");
      p.refresh_token = field(d, "refresh_token");
      const std::string exp = field(d, "expires_in");
      p.access_expires_at = std::time(nullptr) + (exp.empty() ? 60 : std::stoll(exp));
      token = p.access_token;
      return true;
    });
    if (!r) {
      auto f = failure_of(r.error());
      if (r.error().code == vc::ErrorCode::unauthenticated) f.hint = tr("sign in again with: vcctl login");
      throw f;
    }
    return token;
  }

  std::unique_ptr<Transport> transport_;
  std::string server_;
};
Connection conn;

// ---- API calls ----------------------------------------------------------------------------------

Failure failure_of_reply(const Reply& r) {
  Json d;
  d.Parse(r.body.c_str());
  std::string message, code;
  if (!d.HasParseError()) {
    if (const Value* e = member(d, "error")) {
      message = field(*e, "message");
      code = field(*e, "code");
    }
  }
  if (message.empty()) message = "HTTP " + std::to_string(r.status) + (r.body.empty() ? "" : ": " + r.body.substr(0, 200));
  Failure f{exit_for_status(r.status), message, {}};
  if (r.status == 401) f.hint = tr("sign in with: vcctl login   (or set VC_API_KEY)");
  else if (r.status == 403 && code != "quota") f.hint = tr("your role or API key scopes do not allow this");
  else if (r.status == 429) f.hint = tr("too many requests: wait a minute and try again");
  return f;
}

// Calls the API; a non-2xx answer throws its Failure. An empty body (204) gives a null document.
Json call(std::string_view method, const std::string& target, const std::string& body = {}) {
  auto r = conn.get().request(method, target, body);
  if (!r) throw failure_of(r.error());
  if (r->status < 200 || r->status >= 300) throw failure_of_reply(*r);
  Json d;
  if (r->body.empty()) return d;
  d.Parse(r->body.c_str(), r->body.size());
  if (d.HasParseError()) throw Failure{exit_error, trf("the server's answer to {} is not JSON", target), ""};
  return d;
}

// Every page of a list: `{items, next_cursor}` followed until next_cursor is null.
Json list_all(const std::string& path, const std::string& query = {}) {
  Json all(rapidjson::kArrayType);
  std::string cursor;
  for (int guard = 0; guard < 100000; ++guard) {
    std::string target = path + "?limit=200" + (query.empty() ? "" : "&" + query) + (cursor.empty() ? "" : "&cursor=" + vc::text::url_encode_component(cursor));
    Json page = call("GET", target);
    if (const Value* items = member(page, "items"); items && items->IsArray())
      for (auto& v : const_cast<Value*>(items)->GetArray()) all.PushBack(Value(v, all.GetAllocator()), all.GetAllocator());
    const Value* next = member(page, "next_cursor");
    if (!next || !next->IsString() || next->GetStringLength() == 0) break;
    cursor = next->GetString();
  }
  return all;
}

void Connection::resolve_organization_header(RemoteOptions o) {
  const std::string wanted = g.organization;
  o.organization_id.clear();
  auto plain = remote_transport(o);
  if (!plain) throw failure_of(plain.error());
  std::swap(transport_, *plain);  // list organisations without the header
  Json orgs = list_all("/api/v1/organizations");
  std::string id;
  for (const auto& org : orgs.GetArray())
    if (field(org, "slug") == wanted || field(org, "id") == wanted) id = field(org, "id");
  if (id.empty()) throw Failure{exit_not_found, trf("no organisation '{}' that you can see", wanted), tr("list them with: vcctl orgs ls")};
  o.organization_id = id;
  auto scoped = remote_transport(o);
  if (!scoped) throw failure_of(scoped.error());
  transport_ = std::move(*scoped);
}

// Prints a list: --json the array, --quiet the key column, else a table of `columns`.
struct Column {
  std::string title;
  std::function<std::string(const Value&)> cell;
};
int print_list(const Json& items, const std::vector<Column>& columns, const char* key) {
  if (output().json) {
    print_json(items);
    return exit_ok;
  }
  if (output().quiet) {
    for (const auto& v : items.GetArray()) std::printf("%s\n", field(v, key).c_str());
    return exit_ok;
  }
  Table t;
  for (const auto& c : columns) t.header.push_back(c.title);
  for (const auto& v : items.GetArray()) {
    std::vector<std::string> row;
    for (const auto& c : columns) row.push_back(c.cell(v));
    t.rows.push_back(std::move(row));
  }
  t.print();
  return exit_ok;
}
// A value for people: JSON booleans as the catalogue's yes/no, everything else as field() gives it.
std::string shown(const Value& o, const char* key) {
  const Value* v = member(o, key);
  if (v && v->IsBool()) return v->GetBool() ? tr("yes") : tr("no");
  return field(o, key);
}
Column col(std::string title, const char* key) {
  return {std::move(title), [key](const Value& v) { return shown(v, key); }};
}
std::string short_time(const std::string& iso) {  // "2026-12-03T08:01:02.123Z" → "2026-12-03 08:01:02"
  if (iso.size() < 19) return iso;
  std::string s = iso.substr(0, 19);
  s[10] = ' ';
  return s;
}

// Prints one object: --json as is, --quiet its key, else "key: value" lines of `keys`.
int print_object(const Value& v, const std::vector<std::pair<std::string, const char*>>& keys, const char* id_key) {
  if (output().json) print_json(v);
  else if (output().quiet) std::printf("%s\n", field(v, id_key).c_str());
  else {
    Table t;
    t.header = {"FIELD", "VALUE"};
    for (const auto& [title, k] : keys) t.rows.push_back({title, shown(v, k)});
    // Without a header row: "name   value" lines read better for one object.
    std::size_t w = 0;
    for (const auto& r : t.rows) w = std::max(w, display_width(r[0]));
    for (const auto& r : t.rows) std::printf("%s:%s %s\n", r[0].c_str(), std::string(w - display_width(r[0]), ' ').c_str(), r[1].c_str());
  }
  return exit_ok;
}

std::string read_password(const std::string& prompt, bool from_stdin) {
  std::string pw;
  if (from_stdin || !isatty(STDIN_FILENO)) {
    std::getline(std::cin, pw);
    if (!pw.empty() && pw.back() == '\r') pw.pop_back();
    return pw;
  }
  std::fprintf(stderr, "%s", prompt.c_str());
  termios old{};
  tcgetattr(STDIN_FILENO, &old);
  termios quiet = old;
  quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
  tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
  std::getline(std::cin, pw);
  tcsetattr(STDIN_FILENO, TCSANOW, &old);
  std::fprintf(stderr, "\n");
  return pw;
}

// Finds an object in a list by id or by the value of `name_key`.
std::string resolve(const std::string& path, const std::string& wanted, const char* name_key, const char* id_key, const char* what) {
  Json items = list_all(path);
  std::string found;
  int matches = 0;
  for (const auto& v : items.GetArray()) {
    if (field(v, id_key) == wanted) return wanted;
    if (field(v, name_key) == wanted) found = field(v, id_key), ++matches;
  }
  if (matches == 1) return found;
  if (matches > 1) throw Failure{exit_conflict, trf("several objects ({}) are named '{}'", what, wanted), tr("name it by id")};
  throw Failure{exit_not_found, trf("no {} '{}'", what, wanted), trf("list them with: vcctl {}s ls", what)};
}

// Deletes the object of `list_path` named or numbered `wanted` (its id in `list_path`/<id>) and says so.
int remove_named(const std::string& list_path, const std::string& wanted, const char* name_key, const char* what,
                 const std::string& done_text) {
  const std::string id = resolve(list_path, wanted, name_key, "id", what);
  call("DELETE", list_path + "/" + vc::text::url_encode_component(id));
  say(done_text);
  return exit_ok;
}

std::string now_playing(const Value& d) {
  const Value* np = member(d, "now_playing");
  if (!np || !np->IsObject()) return "";
  std::string s = field(*np, "file");
  if (s.empty()) return field(*np, "state");
  const std::string page = field(*np, "page");
  if (!page.empty() && page != "0" && page != "1") s += " p." + page;
  const std::string state = field(*np, "state");
  if (!state.empty() && state != "playing") s += " (" + state + ")";
  return s;
}


std::string to_json(const Value& v) {
  rapidjson::StringBuffer sb;
  rapidjson::Writer<rapidjson::StringBuffer> w(sb);
  v.Accept(w);
  return sb.GetString();
}

// A media item of the organisation's library by name or id.
std::string media_id_of(const std::string& wanted) {
  Json all = list_all("/api/v1/media");
  std::string found;
  int matches = 0;
  for (const auto& m : all.GetArray()) {
    if (field(m, "id") == wanted) return wanted;
    if (field(m, "name") == wanted) found = field(m, "id"), ++matches;
  }
  if (matches == 1) return found;
  if (matches > 1) throw Failure{exit_conflict, trf("several media items are named '{}'", wanted), tr("name it by id (vcctl --json media ls --all)")};
  throw Failure{exit_not_found, trf("no media item '{}' in the organisation's library", wanted), tr("list them with: vcctl media ls --all")};
}

std::vector<std::string> split_commas(const std::string& s) {
  std::vector<std::string> out;
  std::size_t at = 0;
  while (at <= s.size()) {
    auto comma = s.find(',', at);
    if (comma == std::string::npos) comma = s.size();
    if (comma > at) out.push_back(s.substr(at, comma - at));
    at = comma + 1;
  }
  return out;
}

// ---- the commands -------------------------------------------------------------------------------

struct Args {
  std::string a, b, c;
  std::vector<std::string> list;
  std::string role = "viewer", scopes = "read", to, name, slug, timezone, plan, from, until, action, kind, group, expires;
  std::string device, media, message, daily, weekdays, cron, url, events;
  int page = 0, limit = 50, days = 1, priority = 0, duration_s = 0, minutes = 60;
  bool no_loop = false, shuffle = false;
  bool yes = false, clear = false, remove = false, force = false, password_stdin = false, all = false, disable = false;
  bool legacy = false, off = false;
  bool check = false, enable = false;
};
Args A;
std::function<int()> run;

// The server's settings for the commands that always work on the installation's own files
// (migrate, backup, restore): --database-url / --data-dir, else DATABASE_URL / DATA_DIR.
vc::Config local_config() {
  std::vector<std::string> args;
  if (!g.database_url.empty()) args.push_back("--database-url=" + g.database_url);
  if (!g.data_dir.empty()) args.push_back("--data-dir=" + g.data_dir);
  auto config = vc::load_config(vc::process_env(), args);
  if (!config) throw failure_of(config.error());
  return std::move(*config);
}

// With BLOB_STORE=s3, the bucket the media bytes are in (its local cache: the server's, under
// CONTENT_DIR/s3); null for the disk store.
std::shared_ptr<vc::BlobStore> object_store_of(const vc::Config& config) {
  const auto io = vc::to_installation_options(config);
  if (!io.s3) return nullptr;
  vc::S3Options s3 = *io.s3;
  s3.cache_dir = (std::filesystem::path(config.content_dir) / "s3").string();
  auto store = vc::make_s3_blob_store(s3);
  if (!store) throw failure_of(store.error());
  return std::shared_ptr<vc::BlobStore>(std::move(*store));
}

// A progress bar per phase of a backup or restore (on a terminal only); called with an empty phase
// at the end.
std::function<void(std::string_view, std::uint64_t, std::uint64_t)> phase_progress() {
  auto bar = std::make_shared<std::unique_ptr<Progress>>();
  auto current = std::make_shared<std::string>();
  return [bar, current](std::string_view phase, std::uint64_t done, std::uint64_t total) {
    if (phase.empty()) {
      bar->reset();
      return;
    }
    if (*current != phase) {
      *current = std::string(phase);
      bar->reset();
      const char* label = phase == "database" ? tr("database") : phase == "content" ? tr("content") : phase == "verify" ? tr("verifying") : tr("restoring");
      *bar = std::make_unique<Progress>(label);
    }
    if (total > 0) (*bar)->update(done, total);
  };
}

CLI::App* leaf(CLI::App* parent, const std::string& name, const std::string& help, std::function<int()> fn) {
  auto* c = parent->add_subcommand(name, help);
  c->callback([fn = std::move(fn)] { run = fn; });
  return c;
}

void confirm_or_yes(const std::string& what) {
  if (A.yes) return;
  if (!isatty(STDIN_FILENO))
    throw Failure{exit_usage, trf("{}: needs confirmation", what), tr("add --yes to confirm without a question")};
  std::fprintf(stderr, "%s", trf("{}? [y/N] ", what).c_str());
  std::string answer;
  std::getline(std::cin, answer);
  if (answer != "y" && answer != "Y" && answer != "yes" && answer != tr("y")) throw Failure{exit_error, tr("cancelled"), ""};
}

// Uploads files and folders (recursively) to a device, one request per file: a failure names the
// file and the rest still go. Returns the first failure's exit code.
int upload(const std::string& device, const std::vector<std::string>& paths) {
  std::vector<std::filesystem::path> files;
  for (const auto& p : paths) {
    std::error_code ec;
    if (std::filesystem::is_directory(p, ec)) {
      std::vector<std::filesystem::path> in_dir;
      for (auto it = std::filesystem::recursive_directory_iterator(p, ec); !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec))
        if (it->is_regular_file() && it->path().filename().string()[0] != '.') in_dir.push_back(it->path());
      std::sort(in_dir.begin(), in_dir.end());
      files.insert(files.end(), in_dir.begin(), in_dir.end());
    } else if (std::filesystem::is_regular_file(p, ec)) {
      files.emplace_back(p);
    } else {
      throw Failure{exit_usage, trf("{}: no such file or folder", p), ""};
    }
  }
  Json results(rapidjson::kArrayType);
  int status = exit_ok;
  for (const auto& f : files) {
    Progress progress(f.filename().string());
    Upload u{.path = f.string(), .filename = f.filename().string(), .field = "files",
             .progress = [&progress](std::uint64_t done, std::uint64_t total) { progress.update(done, total); }};
    auto r = conn.get().upload("/api/v1/devices/" + vc::text::url_encode_component(device) + "/media", u);
    progress.finish();
    if (!r) {
      auto fl = failure_of(r.error());
      error_line(f.string() + ": " + fl.message, fl.hint);
      if (status == exit_ok) status = fl.code;
      continue;
    }
    if (r->status < 200 || r->status >= 300) {
      auto fl = failure_of_reply(*r);
      error_line(f.string() + ": " + fl.message, fl.hint);
      if (status == exit_ok) status = fl.code;
      continue;
    }
    Json d;
    d.Parse(r->body.c_str());
    if (const Value* items = member(d, "items"); items && items->IsArray()) {
      for (const auto& it : items->GetArray()) {
        const std::string size = human_bytes(std::stoull(field(it, "size").empty() ? "0" : field(it, "size")));
        say(field(it, "deduplicated") == "yes" ? trf("uploaded {} → {}: {} ({}, already stored)", f.string(), device, field(it, "name"), size)
                                               : trf("uploaded {} → {}: {} ({})", f.string(), device, field(it, "name"), size));
        if (output().quiet && !output().json) std::printf("%s\n", field(it, "name").c_str());
        results.PushBack(Value(it, results.GetAllocator()), results.GetAllocator());
      }
    }
  }
  if (output().json) print_json(results);
  return status;
}

int command(const std::string& device, const std::string& action, const std::string& file = {}, int page = 0) {
  Body body;
  body.s("action", action);
  if (!file.empty()) body.s("file", file);
  if (page > 0) body.i("page", page);
  if (!A.group.empty()) {
    const std::string gid = resolve("/api/v1/groups", A.group, "name", "id", "group");
    Json r = call("POST", "/api/v1/groups/" + vc::text::url_encode_component(gid) + "/control", body.str());
    if (output().json) return print_json(r), exit_ok;
    int failed = 0;
    if (const Value* results = member(r, "results"); results && results->IsArray()) {
      Table t{{tr("DEVICE"), tr("RESULT")}, {}};
      for (const auto& m : results->GetArray()) {
        const bool ok = field(m, "ok") == "yes";
        failed += ok ? 0 : 1;
        t.rows.push_back({field(m, "device_id"), ok ? tr("ok") : field(m, "error")});
      }
      if (!output().quiet) t.print();
    }
    return failed ? exit_error : exit_ok;
  }
  if (device.empty()) throw Failure{exit_usage, tr("name a device, or a group with --group"), ""};
  Json r = call("POST", "/api/v1/devices/" + vc::text::url_encode_component(device) + "/commands", body.str());
  if (output().json) return print_json(r), exit_ok;
  const Value* st = member(r, "state");
  say(device + ": " + (st ? field(*st, "state") : action) + (st && !field(*st, "file").empty() ? " " + field(*st, "file") : ""));
  return exit_ok;
}

void define(CLI::App& app) {
  // login / logout / whoami
  auto* login = leaf(&app, "login", tr("Sign in to a server and save the session (a profile, mode 0600)"), [] {
    std::string server = !g.server.empty() ? g.server : std::getenv("VC_SERVER") ? std::getenv("VC_SERVER") : "";
    if (server.empty()) throw Failure{exit_usage, tr("name the server: vcctl login --server URL (or VC_SERVER)"), ""};
    while (!server.empty() && server.back() == '/') server.pop_back();
    std::string user = A.a;
    if (user.empty()) {
      if (!isatty(STDIN_FILENO)) throw Failure{exit_usage, tr("name the user: vcctl login --username NAME"), ""};
      std::fprintf(stderr, "%s", tr("Username: "));
      std::getline(std::cin, user);
    }
    const std::string pw = read_password(tr("Password: "), A.password_stdin);
    auto t = remote_transport(server, g.timeout_s);
    if (!t) throw failure_of(t.error());
    auto r = (*t)->request("POST", "/api/v1/auth/login", Body().s("username", user).s("password", pw).str());
    if (!r) throw failure_of(r.error());
    if (r->status != 200) throw failure_of_reply(*r);
    Json d;
    d.Parse(r->body.c_str());
    const std::string name = profile_name().empty() ? "default" : profile_name();
    auto saved = update_profiles([&](Profiles& ps) -> vc::Result<bool> {
      auto& p = ps.items[name];
      p.server = server;
      p.username = user;
      p.refresh_token = field(d, "refresh_token");
      p.access_token = field(d, "access_token");
      p.access_expires_at = std::time(nullptr) + std::stoll(field(d, "expires_in").empty() ? "60" : field(d, "expires_in"));
      ps.current = name;
      return true;
    });
    if (!saved) throw failure_of(saved.error());
    const Value* u = member(d, "user");
    if (output().json && u) print_json(*u);
    say(trf("Signed in to {} as {} ({}); profile '{}' in {}", server, user, u ? field(*u, "role") : std::string("?"), name, profiles_path()));
    return exit_ok;
  });
  login->add_option("--username,-u", A.a, tr("user name (asked when not given)"));
  login->add_flag("--password-stdin", A.password_stdin, tr("read the password from standard input"));

  leaf(&app, "logout", tr("End the saved session on the server and forget it"), [] {
    const std::string name = [] {
      if (!profile_name().empty()) return profile_name();
      auto ps = read_profiles();
      return ps ? ps->current : std::string();
    }();
    std::string refresh, server;
    auto r = update_profiles([&](Profiles& ps) -> vc::Result<bool> {
      auto it = ps.items.find(name);
      if (it == ps.items.end()) return false;
      refresh = it->second.refresh_token;
      server = it->second.server;
      ps.items.erase(it);
      if (ps.current == name) ps.current.clear();
      return true;
    });
    if (!r) throw failure_of(r.error());
    if (server.empty()) throw Failure{exit_not_found, name.empty() ? std::string(tr("not signed in")) : trf("not signed in (profile '{}')", name), ""};
    if (!refresh.empty()) {
      if (auto t = remote_transport(server, g.timeout_s))
        (void)(*t)->request("POST", "/api/v1/auth/logout", Body().s("refresh_token", refresh).str());
    }
    say(trf("Signed out of {}.", server));
    return exit_ok;
  });

  leaf(&app, "whoami", tr("Who the commands act as"), [] {
    if (local_mode()) {
      const std::string where = conn.get().describe();
      if (output().json) {
        Json out(rapidjson::kObjectType);
        auto& al = out.GetAllocator();
        out.AddMember("mode", "local", al);
        out.AddMember("actor", "system", al);
        out.AddMember("target", Value(where.c_str(), al), al);
        print_json(out);
      } else {
        say(trf("the installation itself ({})", where));
      }
      return exit_ok;
    }
    Json me = call("GET", "/api/v1/auth/me");
    return print_object(me, {{tr("username"), "username"}, {tr("role"), "role"}, {tr("organization"), "organization_id"}, {"id", "id"}}, "username");
  });

  // status
  leaf(&app, "status", tr("The installation: backend, schema, devices online, what plays"), [] {
    Json devices = list_all("/api/v1/devices");
    int online = 0;
    for (const auto& d : devices.GetArray()) online += field(d, "status") == "online";
    // The content pipeline's queue as this organisation sees it: its files still converting.
    Json library = list_all("/api/v1/media");
    int processing = 0, failed = 0;
    for (const auto& m : library.GetArray()) {
      processing += field(m, "status") == "processing";
      failed += field(m, "status") == "error";
    }
    std::string backend, schema;
    if (local_mode()) {
      auto cfg = vc::load_config(vc::process_env(), g.database_url.empty() ? std::vector<std::string>{} : std::vector<std::string>{"--database-url=" + g.database_url});
      backend = cfg && cfg->database.kind == vc::DatabaseUrl::Kind::postgresql ? "postgresql" : "sqlite";
      schema = std::to_string(vc::latest_schema_version());
    } else {
      auto r = conn.get().request("GET", "/readyz");
      if (!r) throw failure_of(r.error());
      Json ready;
      ready.Parse(r->body.c_str());
      backend = field(ready, "backend");
      schema = field(ready, "status");
    }
    if (output().json) {
      Json out(rapidjson::kObjectType);
      auto& al = out.GetAllocator();
      out.AddMember("mode", Value(local_mode() ? "local" : "remote", al), al);
      out.AddMember("target", Value(conn.get().describe().c_str(), al), al);
      out.AddMember("backend", Value(backend.c_str(), al), al);
      out.AddMember("devices", static_cast<int>(devices.Size()), al);
      out.AddMember("online", online, al);
      Value media(rapidjson::kObjectType);
      media.AddMember("total", static_cast<int>(library.Size()), al);
      media.AddMember("processing", processing, al);
      media.AddMember("failed", failed, al);
      out.AddMember("media", media, al);
      Value playing(rapidjson::kArrayType);
      for (const auto& d : devices.GetArray())
        if (field(d, "status") == "online") {
          Value o(rapidjson::kObjectType);
          o.AddMember("device_id", Value(field(d, "device_id").c_str(), al), al);
          o.AddMember("now_playing", member(d, "now_playing") ? Value(*member(d, "now_playing"), al) : Value(), al);
          playing.PushBack(o, al);
        }
      out.AddMember("online_devices", playing, al);
      print_json(out);
      return exit_ok;
    }
    std::printf("%s (%s, %s)\n", conn.get().describe().c_str(), backend.c_str(), (local_mode() ? trf("schema {}", schema) : schema).c_str());
    std::printf("%s\n", trf("devices: {}, online: {}", devices.Size(), online).c_str());
    std::printf("%s\n", trf("media: {} files, {} processing (queued or converting), {} failed", library.Size(), processing, failed).c_str());
    Table t{{tr("ONLINE"), tr("NAME"), tr("PLAYING")}, {}};
    for (const auto& d : devices.GetArray())
      if (field(d, "status") == "online") t.rows.push_back({field(d, "device_id"), field(d, "name"), now_playing(d)});
    if (!t.rows.empty() && !output().quiet) t.print();
    return exit_ok;
  });

  // organisations
  auto* orgs = app.add_subcommand("orgs", tr("Organisations (superadmin)"))->require_subcommand(1);
  orgs->alias("organizations");
  leaf(orgs, "ls", tr("List organisations"), [] {
    return print_list(list_all("/api/v1/organizations"),
                      {col(tr("SLUG"), "slug"), col(tr("NAME"), "name"), col(tr("PLAN"), "plan"), col(tr("TIME ZONE"), "timezone"), col(tr("ACTIVE"), "active"), col(tr("ID"), "id")}, "slug");
  });
  auto* org_add = leaf(orgs, "add", tr("Create an organisation"), [] {
    Body b;
    b.s("name", A.a).s("slug", A.slug.empty() ? A.a : A.slug);
    if (!A.plan.empty()) b.s("plan", A.plan);
    if (!A.timezone.empty()) b.s("timezone", A.timezone);
    Json o = call("POST", "/api/v1/organizations", b.str());
    if (output().json || output().quiet) return print_object(o, {}, "id");
    say(trf("Organisation {} created ({}).", field(o, "slug"), field(o, "id")));
    return exit_ok;
  });
  org_add->add_option("name", A.a, tr("display name"))->required();
  org_add->add_option("--slug", A.slug, tr("short name in URLs (default: the name)"));
  org_add->add_option("--plan", A.plan, tr("FREE, STARTER, PRO or ENTERPRISE"));
  org_add->add_option("--timezone", A.timezone, tr("IANA time zone, e.g. Europe/Moscow"));
  auto* org_rm = leaf(orgs, "rm", tr("Delete an organisation and everything in it"), [] {
    const std::string id = resolve("/api/v1/organizations", A.a, "slug", "id", "org");
    confirm_or_yes(trf("Delete organisation {} with all its devices, media and users", A.a));
    call("DELETE", "/api/v1/organizations/" + vc::text::url_encode_component(id));
    say(trf("Organisation {} deleted.", A.a));
    return exit_ok;
  });
  org_rm->add_option("org", A.a, tr("slug or id"))->required();
  org_rm->add_flag("--yes,-y", A.yes, tr("do not ask"));

  // users
  auto* users = app.add_subcommand("users", tr("People who sign in"))->require_subcommand(1);
  leaf(users, "ls", tr("List users"), [] {
    return print_list(list_all("/api/v1/users"), {col(tr("USERNAME"), "username"), col(tr("ROLE"), "role"), col(tr("ACTIVE"), "active"), col(tr("ID"), "id")}, "username");
  });
  auto* user_add = leaf(users, "add", tr("Create a user (the password is read from the terminal or stdin)"), [] {
    const std::string pw = read_password(trf("Password for {}: ", A.a), A.password_stdin);
    Json u = call("POST", "/api/v1/users", Body().s("username", A.a).s("password", pw).s("role", A.role).str());
    if (output().json || output().quiet) return print_object(u, {}, "id");
    say(trf("User {} created ({}).", A.a, field(u, "role")));
    return exit_ok;
  });
  user_add->add_option("username", A.a, tr("user name"))->required();
  user_add->add_option("--role", A.role, tr("viewer, speaker, operator or admin"))->capture_default_str();
  user_add->add_flag("--password-stdin", A.password_stdin, tr("read the password from standard input"));
  auto user_patch = [](const std::string& what, const std::string& body) {
    const std::string id = resolve("/api/v1/users", A.a, "username", "id", "user");
    Json u = call("PATCH", "/api/v1/users/" + vc::text::url_encode_component(id), body);
    if (output().json || output().quiet) return print_object(u, {}, "id");
    say(trf("User {}: {}.", A.a, what));
    return exit_ok;
  };
  auto* user_pw = leaf(users, "passwd", tr("Set a user's password (in local mode: recovery when nobody can sign in)"), [user_patch] {
    const std::string pw = read_password(trf("New password for {}: ", A.a), A.password_stdin);
    return user_patch(tr("password set; its sessions are signed out"), Body().s("password", pw).str());
  });
  user_pw->add_option("username", A.a, tr("user name or id"))->required();
  user_pw->add_flag("--password-stdin", A.password_stdin, tr("read the password from standard input"));
  auto* user_role = leaf(users, "role", tr("Change a user's role"), [user_patch] {
    return user_patch(trf("role {}", A.role), Body().s("role", A.role).str());
  });
  user_role->add_option("username", A.a, tr("user name or id"))->required();
  user_role->add_option("role", A.role, tr("viewer, speaker, operator or admin"))->required();
  auto* user_disable = leaf(users, "disable", tr("Disable a user (signs them out)"), [user_patch] {
    return user_patch(tr("disabled"), Body().b("active", false).str());
  });
  user_disable->add_option("username", A.a, tr("user name or id"))->required();
  auto* user_enable = leaf(users, "enable", tr("Enable a disabled user"), [user_patch] {
    return user_patch(tr("enabled"), Body().b("active", true).str());
  });
  user_enable->add_option("username", A.a, tr("user name or id"))->required();
  auto* user_rm = leaf(users, "rm", tr("Delete a user"), [] {
    const std::string id = resolve("/api/v1/users", A.a, "username", "id", "user");
    confirm_or_yes(trf("Delete user {}", A.a));
    call("DELETE", "/api/v1/users/" + vc::text::url_encode_component(id));
    say(trf("User {} deleted.", A.a));
    return exit_ok;
  });
  user_rm->add_option("username", A.a, tr("user name or id"))->required();
  user_rm->add_flag("--yes,-y", A.yes, tr("do not ask"));

  // API keys
  auto* keys = app.add_subcommand("api-keys", tr("API keys for scripts and integrations"))->require_subcommand(1);
  leaf(keys, "ls", tr("List API keys"), [] {
    return print_list(list_all("/api/v1/api-keys"),
                      {col(tr("NAME"), "name"), col(tr("PREFIX"), "prefix"),
                       {tr("SCOPES"), [](const Value& v) { std::string s = field(v, "scopes"); for (char& c : s) if (c == '[' || c == ']' || c == '"') c = ' '; return std::string(s.begin() + (s.empty() ? 0 : 1), s.end() - (s.size() > 1 ? 1 : 0)); }},
                       {tr("REVOKED"), [](const Value& v) { return short_time(field(v, "revoked_at")); }},
                       {tr("LAST USED"), [](const Value& v) { return short_time(field(v, "last_used_at")); }}, col(tr("ID"), "id")},
                      "id");
  });
  auto* key_create = leaf(keys, "create", tr("Create an API key; its secret is printed once"), [] {
    std::vector<std::string> scopes;
    for (std::size_t at = 0; at <= A.scopes.size();) {
      auto comma = A.scopes.find(',', at);
      if (comma == std::string::npos) comma = A.scopes.size();
      if (comma > at) scopes.push_back(A.scopes.substr(at, comma - at));
      at = comma + 1;
    }
    Body b;
    b.s("name", A.a).list("scopes", scopes);
    if (!A.expires.empty()) b.s("expires_at", A.expires);
    Json k = call("POST", "/api/v1/api-keys", b.str());
    if (output().json) return print_json(k), exit_ok;
    if (output().quiet) return std::printf("%s\n", field(k, "key").c_str()), exit_ok;
    std::printf("%s\n%s\n", trf("API key {} created ({}). Its secret, shown only now:", A.a, A.scopes).c_str(), field(k, "key").c_str());
    return exit_ok;
  });
  key_create->add_option("name", A.a, tr("what it is for"))->required();
  key_create->add_option("--scopes", A.scopes, tr("read, write, control (comma-separated)"))->capture_default_str();
  key_create->add_option("--expires", A.expires, tr("expiry time, RFC 3339 (default: never)"));
  auto* key_revoke = leaf(keys, "revoke", tr("Revoke an API key"), [] {
    return remove_named("/api/v1/api-keys", A.a, "name", "api-key", trf("API key {} revoked.", A.a));
  });
  key_revoke->add_option("key", A.a, tr("name or id"))->required();

  // webhooks (organisation admins; docs/operations.md "Webhooks")
  auto* hooks = app.add_subcommand("webhooks", tr("Signed HTTP calls to your systems when something happens"))->require_subcommand(1);
  static const auto hook_path = [](const std::string& wanted) {
    return "/api/v1/webhooks/" + vc::text::url_encode_component(resolve("/api/v1/webhooks", wanted, "url", "id", "webhook"));
  };
  static const auto joined = [](const Value& v, const char* key) {
    std::string out;
    if (const Value* a = member(v, key); a && a->IsArray())
      for (const auto& e : a->GetArray())
        if (e.IsString()) out += (out.empty() ? "" : ",") + std::string(e.GetString());
    return out;
  };
  static const auto print_secret = [](const Value& h, const std::string& headline) {
    if (output().json) return print_json(h), exit_ok;
    if (output().quiet) return std::printf("%s\n", field(h, "secret").c_str()), exit_ok;
    std::printf("%s\n%s\n", headline.c_str(), field(h, "secret").c_str());
    return exit_ok;
  };
  leaf(hooks, "ls", tr("List the organisation's webhooks"), [] {
    return print_list(list_all("/api/v1/webhooks"),
                      {col(tr("URL"), "url"), {tr("EVENTS"), [](const Value& v) { return joined(v, "events"); }},
                       {tr("STATE"), [](const Value& v) {
                          if (shown(v, "enabled") == "true") return std::string(tr("enabled"));
                          const std::string why = field(v, "disabled_reason");
                          return why.empty() ? std::string(tr("disabled")) : trf("disabled: {}", why);
                        }},
                       col(tr("FAILURES"), "failure_count"), col(tr("ID"), "id")},
                      "id");
  });
  auto* hook_add = leaf(hooks, "add", tr("Register a webhook; its signing secret is printed once"), [] {
    Body b;
    b.s("url", A.a).list("events", split_commas(A.events));
    if (A.disable) b.b("enabled", false);
    Json h = call("POST", "/api/v1/webhooks", b.str());
    return print_secret(h, trf("Webhook {} created for {}. Its signing secret, shown only now:", field(h, "id"), A.a));
  });
  hook_add->add_option("url", A.a, tr("https:// (or http://) address that receives the events"))->required();
  hook_add->add_option("--events", A.events, tr("comma-separated event names, e.g. device.online,media.ready (see docs/operations.md)"))->required();
  hook_add->add_flag("--disabled", A.disable, tr("create it disabled"));
  auto* hook_show = leaf(hooks, "show", tr("One webhook"), [] {
    Json h = call("GET", hook_path(A.a));
    if (output().json || output().quiet) return print_object(h, {}, "id");
    const std::string events = joined(h, "events");
    if (Value* e = const_cast<Value*>(member(h, "events")))
      e->SetString(events.c_str(), static_cast<rapidjson::SizeType>(events.size()), h.GetAllocator());
    return print_object(h, {{tr("id"), "id"}, {tr("url"), "url"}, {tr("events"), "events"}, {tr("enabled"), "enabled"},
                            {tr("failures"), "failure_count"}, {tr("disabled because"), "disabled_reason"},
                            {tr("created"), "created_at"}, {tr("changed"), "updated_at"}},
                        "id");
  });
  hook_show->add_option("webhook", A.a, tr("id or URL"))->required();
  auto* hook_set = leaf(hooks, "set", tr("Change a webhook's URL or events, or enable/disable it"), [] {
    if (A.enable && A.disable) throw Failure{exit_usage, tr("--enable and --disable exclude each other"), ""};
    Body b;
    if (!A.url.empty()) b.s("url", A.url);
    if (!A.events.empty()) b.list("events", split_commas(A.events));
    if (A.enable) b.b("enabled", true);
    if (A.disable) b.b("enabled", false);
    Json h = call("PATCH", hook_path(A.a), b.str());
    if (output().json || output().quiet) return print_object(h, {}, "id");
    say(shown(h, "enabled") == "true" ? trf("Webhook {} ({}) is enabled.", field(h, "id"), field(h, "url"))
                                      : trf("Webhook {} ({}) is disabled.", field(h, "id"), field(h, "url")));
    return exit_ok;
  });
  hook_set->add_option("webhook", A.a, tr("id or URL"))->required();
  hook_set->add_option("--url", A.url, tr("new address"));
  hook_set->add_option("--events", A.events, tr("the events from now on (comma-separated)"));
  hook_set->add_flag("--enable", A.enable, tr("enable it (clears the failure count)"));
  hook_set->add_flag("--disable", A.disable, tr("disable it"));
  auto* hook_rm = leaf(hooks, "rm", tr("Delete a webhook and its delivery log"), [] {
    const std::string path = hook_path(A.a);
    confirm_or_yes(trf("Delete webhook {}", A.a));
    call("DELETE", path);
    say(trf("Webhook {} deleted.", A.a));
    return exit_ok;
  });
  hook_rm->add_option("webhook", A.a, tr("id or URL"))->required();
  hook_rm->add_flag("--yes,-y", A.yes, tr("do not ask"));
  auto* hook_rotate = leaf(hooks, "rotate-secret", tr("Replace a webhook's signing secret (the old one stops working at once)"), [] {
    Json h = call("POST", hook_path(A.a) + "/rotate-secret");
    return print_secret(h, trf("New signing secret of webhook {}, shown only now:", field(h, "id")));
  });
  hook_rotate->add_option("webhook", A.a, tr("id or URL"))->required();
  auto* hook_test = leaf(hooks, "test", tr("Send a ping event now"), [] {
    Json d = call("POST", hook_path(A.a) + "/test");
    if (output().json || output().quiet) return print_object(d, {}, "id");
    say(trf("Ping queued as delivery {}; see it with: vcctl webhooks deliveries {}", field(d, "id"), A.a));
    return exit_ok;
  });
  hook_test->add_option("webhook", A.a, tr("id or URL"))->required();
  auto* hook_log = leaf(hooks, "deliveries", tr("A webhook's deliveries, newest first"), [] {
    Json page = call("GET", hook_path(A.a) + "/deliveries?limit=" + std::to_string(A.limit));
    Json items(rapidjson::kArrayType);
    if (const Value* i = member(page, "items"); i && i->IsArray()) items.CopyFrom(*i, items.GetAllocator());
    return print_list(items,
                      {{tr("TIME"), [](const Value& v) { return short_time(field(v, "created_at")); }}, col(tr("EVENT"), "event"),
                       col(tr("STATUS"), "status"), col(tr("ATTEMPTS"), "attempts"), col(tr("CODE"), "response_code"),
                       {tr("NEXT"), [](const Value& v) { return short_time(field(v, "next_attempt_at")); }},
                       col(tr("ERROR"), "last_error"), col(tr("ID"), "id")},
                      "id");
  });
  hook_log->add_option("webhook", A.a, tr("id or URL"))->required();
  hook_log->add_option("--limit", A.limit, tr("how many (1..200)"))->capture_default_str();
  auto* hook_again = leaf(hooks, "redeliver", tr("Send a finished delivery again (same id and body)"), [] {
    Json d = call("POST", hook_path(A.a) + "/deliveries/" + vc::text::url_encode_component(A.b) + "/redeliver");
    if (output().json || output().quiet) return print_object(d, {}, "id");
    say(trf("Delivery {} queued again.", field(d, "id")));
    return exit_ok;
  });
  hook_again->add_option("webhook", A.a, tr("id or URL"))->required();
  hook_again->add_option("delivery", A.b, tr("delivery id"))->required();

  // devices
  auto* devices = app.add_subcommand("devices", tr("Screens"))->require_subcommand(1);
  leaf(devices, "ls", tr("List devices with their online state and what they play"), [] {
    return print_list(list_all("/api/v1/devices"),
                      {col(tr("DEVICE"), "device_id"), col(tr("NAME"), "name"), {tr("STATUS"), [](const Value& v) { return field(v, "status") == "online" ? std::string(tr("online")) : field(v, "status") == "offline" ? std::string(tr("offline")) : field(v, "status"); }},
                       {tr("PLAYING"), now_playing},
                       {tr("LAST SEEN"), [](const Value& v) { return short_time(field(v, "last_seen_at")); }},
                       {tr("CREDENTIAL"), [](const Value& v) { return shown(v, "has_credential"); }}},
                      "device_id");
  });
  auto* dev_show = leaf(devices, "show", tr("One device"), [] {
    Json d = call("GET", "/api/v1/devices/" + vc::text::url_encode_component(A.a));
    return print_object(d, {{tr("device"), "device_id"}, {tr("name"), "name"}, {tr("status"), "status"}, {tr("type"), "device_type"},
                            {tr("platform"), "platform"}, {tr("last seen"), "last_seen_at"}, {tr("credential"), "has_credential"},
                            {tr("legacy player"), "legacy_player"},
                            {tr("placeholder"), "placeholder_media_id"}},
                        "device_id");
  });
  dev_show->add_option("device", A.a, tr("device id"))->required();
  auto* dev_add = leaf(devices, "add", tr("Create a device"), [] {
    Body b;
    b.s("device_id", A.a);
    if (!A.name.empty()) b.s("name", A.name);
    if (A.legacy) b.b("legacy_player", true);
    Json d = call("POST", "/api/v1/devices", b.str());
    if (output().json) return print_json(d), exit_ok;  // with the credential, shown only now
    if (output().quiet) return print_object(d, {}, "device_id");
    say(trf("Device {} created.", field(d, "device_id")));
    if (!field(d, "credential").empty())
      std::printf("%s\n%s\n", trf("Credential of {}, shown only now:", field(d, "device_id")).c_str(),
                  field(d, "credential").c_str());
    else
      say(tr("A legacy player: it connects by its id alone, without a credential."));
    return exit_ok;
  });
  dev_add->add_option("device", A.a, tr("device id: letters, digits, - and _"))->required();
  dev_add->add_option("--name", A.name, tr("display name (default: the id)"));
  dev_add->add_flag("--legacy", A.legacy, tr("a 2.x player that connects by its id alone (no credential)"));
  auto* dev_legacy = leaf(devices, "legacy", tr("Let a 2.x player connect by its id alone, or --off to require its credential"), [] {
    Json d = call("PATCH", "/api/v1/devices/" + vc::text::url_encode_component(A.a), Body().b("legacy_player", !A.off).str());
    if (output().json || output().quiet) return print_object(d, {}, "device_id");
    say(A.off ? trf("Device {} needs its credential now.", A.a) : trf("Device {} connects by its id alone now.", A.a));
    return exit_ok;
  });
  dev_legacy->add_option("device", A.a, tr("device id"))->required();
  dev_legacy->add_flag("--off", A.off, tr("require the credential again"));
  auto* dev_rename = leaf(devices, "rename", tr("Rename a device"), [] {
    Json d = call("PATCH", "/api/v1/devices/" + vc::text::url_encode_component(A.a), Body().s("name", A.b).str());
    if (output().json || output().quiet) return print_object(d, {}, "device_id");
    say(trf("Device {} is now called {}.", A.a, A.b));
    return exit_ok;
  });
  dev_rename->add_option("device", A.a, tr("device id"))->required();
  dev_rename->add_option("name", A.b, tr("new name"))->required();
  auto* dev_rm = leaf(devices, "rm", tr("Delete a device and its files' links"), [] {
    confirm_or_yes(trf("Delete device {}", A.a));
    call("DELETE", "/api/v1/devices/" + vc::text::url_encode_component(A.a));
    say(trf("Device {} deleted.", A.a));
    return exit_ok;
  });
  dev_rm->add_option("device", A.a, tr("device id"))->required();
  dev_rm->add_flag("--yes,-y", A.yes, tr("do not ask"));
  auto* dev_cred = leaf(devices, "credential", tr("Create or replace a device's credential (printed once), or --remove it"), [] {
    if (A.remove) {
      call("DELETE", "/api/v1/devices/" + vc::text::url_encode_component(A.a) + "/credential");
      say(trf("Device {} has no credential now.", A.a));
      return exit_ok;
    }
    Json c = call("POST", "/api/v1/devices/" + vc::text::url_encode_component(A.a) + "/credential");
    if (output().json) return print_json(c), exit_ok;
    if (output().quiet) return std::printf("%s\n", field(c, "credential").c_str()), exit_ok;
    std::printf("%s\n%s\n", trf("Credential of {}, shown only now:", A.a).c_str(), field(c, "credential").c_str());
    return exit_ok;
  });
  dev_cred->add_option("device", A.a, tr("device id"))->required();
  dev_cred->add_flag("--remove", A.remove, tr("remove the credential instead"));

  // media
  auto* media = app.add_subcommand("media", tr("Files on devices"))->require_subcommand(1);
  auto* media_ls = leaf(media, "ls", tr("A device's files (or the organisation's library with --all)"), [] {
    if (A.all)
      return print_list(list_all("/api/v1/media", A.kind.empty() ? "" : "kind=" + vc::text::url_encode_component(A.kind)),
                        {col(tr("NAME"), "name"), col(tr("KIND"), "kind"), {tr("SIZE"), [](const Value& v) { return human_bytes(std::stoull("0" + field(v, "size"))); }},
                         col(tr("STATUS"), "status"), col(tr("ID"), "id")},
                        "id");
    if (A.a.empty()) throw Failure{exit_usage, tr("name a device (or --all for the organisation's library)"), ""};
    return print_list(list_all("/api/v1/devices/" + vc::text::url_encode_component(A.a) + "/media", A.kind.empty() ? "" : "kind=" + vc::text::url_encode_component(A.kind)),
                      {col(tr("NAME"), "name"), col(tr("KIND"), "kind"), {tr("SIZE"), [](const Value& v) { return human_bytes(std::stoull("0" + field(v, "size"))); }},
                       {tr("STATUS"), [](const Value& v) { auto s = field(v, "status"); return s == "processing" ? s + " " + field(v, "progress") + "%" : s; }},
                       {tr("PAGES"), [](const Value& v) { auto p = field(v, "page_count"); return p == "0" ? std::string() : p; }}},
                      "name");
  });
  media_ls->add_option("device", A.a, tr("device id"));
  media_ls->add_flag("--all", A.all, tr("the organisation's whole library"));
  media_ls->add_option("--kind", A.kind, tr("video, audio, image, pdf, pptx, document or zip"));
  auto* media_up = leaf(media, "upload", tr("Upload files and folders (recursively) to a device"), [] { return upload(A.a, A.list); });
  media_up->add_option("device", A.a, tr("device id"))->required();
  media_up->add_option("paths", A.list, tr("files or folders"))->required()->check(CLI::ExistingPath);
  auto* media_rm = leaf(media, "rm", tr("Remove a file from a device"), [] {
    call("DELETE", "/api/v1/devices/" + vc::text::url_encode_component(A.a) + "/media/" + vc::text::url_encode_component(A.b));
    say(trf("Removed {} from {}.", A.b, A.a));
    return exit_ok;
  });
  media_rm->add_option("device", A.a, tr("device id"))->required();
  media_rm->add_option("name", A.b, tr("file name on the device"))->required();
  auto* media_mv = leaf(media, "mv", tr("Move a file to another device"), [] {
    Json r = call("POST", "/api/v1/devices/" + vc::text::url_encode_component(A.a) + "/media/" + vc::text::url_encode_component(A.b) + "/move", Body().s("to_device", A.c).str());
    if (output().json) return print_json(r), exit_ok;
    say(trf("Moved {} from {} to {}.", A.b, A.a, A.c));
    return exit_ok;
  });
  media_mv->add_option("device", A.a, tr("device id"))->required();
  media_mv->add_option("name", A.b, tr("file name on the device"))->required();
  media_mv->add_option("to", A.c, tr("target device id"))->required();
  auto* media_cp = leaf(media, "cp", tr("Copy a file to another device (the bytes are shared, not copied)"), [] {
    Json files = list_all("/api/v1/devices/" + vc::text::url_encode_component(A.a) + "/media");
    std::string id;
    for (const auto& f : files.GetArray())
      if (field(f, "name") == A.b) id = field(f, "id");
    if (id.empty()) throw Failure{exit_not_found, trf("no file '{}' on {}", A.b, A.a), trf("list them with: vcctl media ls {}", A.a)};
    Json r = call("POST", "/api/v1/media/" + vc::text::url_encode_component(id) + "/devices", Body().s("device_id", A.c).s("name", A.b).str());
    if (output().json) return print_json(r), exit_ok;
    say(trf("Copied {} from {} to {}.", A.b, A.a, A.c));
    return exit_ok;
  });
  media_cp->add_option("device", A.a, tr("device id"))->required();
  media_cp->add_option("name", A.b, tr("file name on the device"))->required();
  media_cp->add_option("to", A.c, tr("target device id"))->required();
  auto* media_ph = leaf(media, "placeholder", tr("Show, set (a file of the device) or --clear a device's placeholder"), [] {
    const std::string base = "/api/v1/devices/" + vc::text::url_encode_component(A.a) + "/placeholder";
    if (A.clear) {
      call("DELETE", base);
      say(trf("Device {} has no placeholder now.", A.a));
      return exit_ok;
    }
    if (A.b.empty()) {
      Json d = call("GET", "/api/v1/devices/" + vc::text::url_encode_component(A.a));
      const std::string ph = field(d, "placeholder_media_id");
      if (output().json) return std::printf("{\"placeholder_media_id\":%s}\n", ph.empty() ? "null" : ("\"" + ph + "\"").c_str()), exit_ok;
      std::printf("%s\n", ph.empty() ? (output().quiet ? "" : tr("(none)")) : ph.c_str());
      return exit_ok;
    }
    Json files = list_all("/api/v1/devices/" + vc::text::url_encode_component(A.a) + "/media");
    std::string id;
    for (const auto& f : files.GetArray())
      if (field(f, "name") == A.b || field(f, "id") == A.b) id = field(f, "id");
    if (id.empty()) throw Failure{exit_not_found, trf("no file '{}' on {}", A.b, A.a), trf("list them with: vcctl media ls {}", A.a)};
    Json r = call("PUT", base, Body().s("media_id", id).str());
    if (output().json) return print_json(r), exit_ok;
    say(trf("{} is now the placeholder of {}.", A.b, A.a));
    return exit_ok;
  });
  media_ph->add_option("device", A.a, tr("device id"))->required();
  media_ph->add_option("file", A.b, tr("file name on the device (omit to show the current one)"));
  media_ph->add_flag("--clear", A.clear, tr("remove the placeholder"));

  // playback
  auto add_group = [](CLI::App* c) { c->add_option("--group", A.group, tr("a group (name or id) instead of one device: every member")); };
  auto* play = leaf(&app, "play", tr("Play a file on a device (or resume without one)"), [] { return command(A.a, "play", A.b, A.page); });
  play->add_option("device", A.a, tr("device id"));
  play->add_option("file", A.b, tr("file name on the device"));
  play->add_option("--page", A.page, tr("page of a document or slide deck"));
  add_group(play);
  for (const auto& [name, help] : std::vector<std::pair<std::string, std::string>>{{"pause", tr("Pause")}, {"resume", tr("Resume after a pause")},
                                                                                  {"restart", tr("Play the current file from the start")},
                                                                                  {"stop", tr("Stop and show the placeholder")}, {"next", tr("Next page")}, {"prev", tr("Previous page")}}) {
    auto* c = leaf(&app, name, trf("{} (a device, or --group)", help), [name] { return command(A.a, name); });
    c->add_option("device", A.a, tr("device id"));
    add_group(c);
  }
  auto* page = leaf(&app, "page", tr("Go to a page of the current document"), [] { return command(A.a, "page", {}, A.page); });
  page->add_option("device", A.a, tr("device id"))->required();
  page->add_option("n", A.page, tr("page number (from 1)"))->required()->check(CLI::PositiveNumber);

  // scheduling
  auto* groups = app.add_subcommand("groups", tr("Device groups"))->require_subcommand(1);
  leaf(groups, "ls", tr("List groups with their members"), [] {
    return print_list(list_all("/api/v1/groups"),
                      {col(tr("NAME"), "name"),
                       {tr("DEVICES"), [](const Value& v) { std::string s; if (const Value* d = member(v, "device_ids")) for (const auto& x : d->GetArray()) s += (s.empty() ? "" : " ") + text(x); return s; }},
                       col(tr("ID"), "id")},
                      "id");
  });
  auto* group_add = leaf(groups, "add", tr("Create a group"), [] {
    Json r = call("POST", "/api/v1/groups", Body().s("name", A.a).list("device_ids", A.list).str());
    if (output().json || output().quiet) return print_object(r, {}, "id");
    say(trf("Group {} created with {} devices.", A.a, A.list.size()));
    return exit_ok;
  });
  group_add->add_option("name", A.a, tr("group name"))->required();
  group_add->add_option("devices", A.list, tr("member device ids"));
  auto* group_rm = leaf(groups, "rm", tr("Delete a group (its devices stay)"), [] {
    return remove_named("/api/v1/groups", A.a, "name", "group", trf("Group {} deleted.", A.a));
  });
  group_rm->add_option("group", A.a, tr("name or id"))->required();
  auto* group_set = leaf(groups, "set", tr("Rename a group (--name) and/or replace its members"), [] {
    const std::string id = resolve("/api/v1/groups", A.a, "name", "id", "group");
    Body b;
    if (!A.name.empty()) b.s("name", A.name);
    if (!A.list.empty() || A.clear) b.list("device_ids", A.list);
    Json r = call("PATCH", "/api/v1/groups/" + vc::text::url_encode_component(id), b.str());
    if (output().json || output().quiet) return print_object(r, {}, "id");
    const Value* d = member(r, "device_ids");
    say(trf("Group {}: {} devices.", field(r, "name"), d && d->IsArray() ? d->Size() : 0));
    return exit_ok;
  });
  group_set->add_option("group", A.a, tr("name or id"))->required();
  group_set->add_option("devices", A.list, tr("the members from now on (device ids)"));
  group_set->add_option("--name", A.name, tr("new name"));
  group_set->add_flag("--clear", A.clear, tr("remove every member"));
  auto* playlists = app.add_subcommand("playlists", tr("Playlists"))->require_subcommand(1);
  leaf(playlists, "ls", tr("List playlists"), [] {
    return print_list(list_all("/api/v1/playlists"),
                      {col(tr("NAME"), "name"), {tr("ITEMS"), [](const Value& v) { const Value* i = member(v, "items"); return std::to_string(i && i->IsArray() ? i->Size() : 0); }},
                       col(tr("LOOP"), "loop"), col(tr("SHUFFLE"), "shuffle"), col(tr("ID"), "id")},
                      "id");
  });
  auto* pl_show = leaf(playlists, "show", tr("A playlist with its items"), [] {
    const std::string id = resolve("/api/v1/playlists", A.a, "name", "id", "playlist");
    Json p = call("GET", "/api/v1/playlists/" + vc::text::url_encode_component(id));
    if (output().json) return print_json(p), exit_ok;
    if (output().quiet) return std::printf("%s\n", field(p, "id").c_str()), exit_ok;
    std::printf("%s (%s%s%s)\n", field(p, "name").c_str(), field(p, "loop") == "yes" ? tr("loop") : tr("once"),
                field(p, "shuffle") == "yes" ? tr(", shuffle") : "", field(p, "transition") == "fade" ? tr(", fade") : "");
    Table t{{"#", tr("MEDIA"), tr("SECONDS")}, {}};
    int n = 0;
    if (const Value* items = member(p, "items"))
      for (const auto& it : items->GetArray()) {
        const std::string ms = field(it, "duration_ms");
        t.rows.push_back({std::to_string(++n), field(it, "media_id"), ms.empty() ? tr("(own length)") : std::to_string(std::stoll(ms) / 1000)});
      }
    t.print();
    return exit_ok;
  });
  pl_show->add_option("playlist", A.a, tr("name or id"))->required();
  auto* pl_add = leaf(playlists, "add", tr("Create a playlist from media of the organisation's library"), [] {
    Json body(rapidjson::kObjectType);
    auto& al = body.GetAllocator();
    body.AddMember("name", Value(A.a.c_str(), al), al);
    body.AddMember("loop", !A.no_loop, al);
    body.AddMember("shuffle", A.shuffle, al);
    Value items(rapidjson::kArrayType);
    for (const auto& m : A.list) {
      Value it(rapidjson::kObjectType);
      it.AddMember("media_id", Value(media_id_of(m).c_str(), al), al);
      if (A.duration_s > 0) it.AddMember("duration_ms", static_cast<std::int64_t>(A.duration_s) * 1000, al);
      items.PushBack(it, al);
    }
    body.AddMember("items", items, al);
    Json p = call("POST", "/api/v1/playlists", to_json(body));
    if (output().json || output().quiet) return print_object(p, {}, "id");
    say(trf("Playlist {} created with {} items ({}).", field(p, "name"), A.list.size(), field(p, "id")));
    return exit_ok;
  });
  pl_add->add_option("name", A.a, tr("playlist name"))->required();
  pl_add->add_option("media", A.list, tr("media items in play order (names or ids in the library)"));
  pl_add->add_option("--duration", A.duration_s, tr("seconds each item plays (default: a video's own length, the image default)"))->check(CLI::Range(1, 86400));
  pl_add->add_flag("--no-loop", A.no_loop, tr("play once instead of looping"));
  pl_add->add_flag("--shuffle", A.shuffle, tr("shuffle (the same order on every instance)"));
  auto* pl_rm = leaf(playlists, "rm", tr("Delete a playlist (its assignments go with it)"), [] {
    return remove_named("/api/v1/playlists", A.a, "name", "playlist", trf("Playlist {} deleted.", A.a));
  });
  pl_rm->add_option("playlist", A.a, tr("name or id"))->required();
  auto* schedules = app.add_subcommand("schedules", tr("Assignments of playlists to devices and groups"))->require_subcommand(1);
  schedules->alias("assignments");
  leaf(schedules, "ls", tr("List assignments, highest priority first"), [] {
    return print_list(list_all("/api/v1/assignments"),
                      {col(tr("PRIORITY"), "priority"), {tr("TARGET"), [](const Value& v) { auto d = field(v, "device_id"); return d.empty() ? "group " + field(v, "group_id") : d; }},
                       col(tr("PLAYLIST"), "playlist_id"), col(tr("WHEN"), "description"), col(tr("ID"), "id")},
                      "id");
  });
  auto* as_add = leaf(schedules, "add", tr("Assign a playlist to a device or group: always, daily/weekly hours, or cron"), [] {
    if (A.device.empty() == A.group.empty()) throw Failure{exit_usage, tr("name exactly one of --device and --group"), ""};
    Json body(rapidjson::kObjectType);
    auto& al = body.GetAllocator();
    body.AddMember("playlist_id", Value(resolve("/api/v1/playlists", A.a, "name", "id", "playlist").c_str(), al), al);
    if (!A.device.empty()) body.AddMember("device_id", Value(A.device.c_str(), al), al);
    else body.AddMember("group_id", Value(resolve("/api/v1/groups", A.group, "name", "id", "group").c_str(), al), al);
    body.AddMember("priority", A.priority, al);
    Value schedule(rapidjson::kObjectType);
    if (!A.cron.empty()) {
      schedule.AddMember("kind", "cron", al);
      schedule.AddMember("cron", Value(A.cron.c_str(), al), al);
      schedule.AddMember("duration_minutes", A.minutes, al);
    } else if (!A.daily.empty()) {
      const auto dash = A.daily.find('-');
      if (dash == std::string::npos) throw Failure{exit_usage, tr("--hours takes START-END, e.g. 09:00-18:00"), ""};
      schedule.AddMember("kind", "weekly", al);
      Value range(rapidjson::kObjectType);
      if (!A.weekdays.empty()) {
        Value days(rapidjson::kArrayType);
        for (const auto& d : split_commas(A.weekdays)) days.PushBack(Value(d.c_str(), al), al);
        range.AddMember("days", days, al);
      }
      range.AddMember("start", Value(A.daily.substr(0, dash).c_str(), al), al);
      range.AddMember("end", Value(A.daily.substr(dash + 1).c_str(), al), al);
      Value ranges(rapidjson::kArrayType);
      ranges.PushBack(range, al);
      schedule.AddMember("ranges", ranges, al);
    } else {
      schedule.AddMember("kind", "always", al);
    }
    body.AddMember("schedule", schedule, al);
    Json a = call("POST", "/api/v1/assignments", to_json(body));
    if (output().json || output().quiet) return print_object(a, {}, "id");
    say(trf("Assigned: {}, priority {} ({}).", field(a, "description"), field(a, "priority"), field(a, "id")));
    return exit_ok;
  });
  as_add->add_option("playlist", A.a, tr("playlist name or id"))->required();
  as_add->add_option("--device", A.device, tr("a device id"));
  as_add->add_option("--group", A.group, tr("a group name or id"));
  as_add->add_option("--priority", A.priority, tr("higher wins (-1000..1000)"))->capture_default_str()->check(CLI::Range(-1000, 1000));
  as_add->add_option("--hours", A.daily, tr("daily hours START-END in the organisation's time zone, e.g. 09:00-18:00 (crossing midnight allowed)"));
  as_add->add_option("--days", A.weekdays, tr("with --hours: only these days, e.g. mon,tue,wed,thu,fri"));
  as_add->add_option("--cron", A.cron, tr("a 5-field cron expression (names allowed), e.g. '30 8 * * mon-fri'"));
  as_add->add_option("--minutes", A.minutes, tr("with --cron: how long each run lasts"))->capture_default_str()->check(CLI::Range(1, 10080));
  auto* as_rm = leaf(schedules, "rm", tr("Remove an assignment"), [] {
    call("DELETE", "/api/v1/assignments/" + vc::text::url_encode_component(A.a));
    say(trf("Assignment {} removed.", A.a));
    return exit_ok;
  });
  as_rm->add_option("id", A.a, tr("assignment id (vcctl schedules ls)"))->required();
  auto* overrides = app.add_subcommand("overrides", tr("Emergency overrides"))->require_subcommand(1);
  auto* ov_add = leaf(overrides, "add", tr("Show a message or media on every screen (or a group's) at once, above every schedule"), [] {
    if (A.message.empty() && A.media.empty()) throw Failure{exit_usage, tr("give --message, --media or both"), ""};
    confirm_or_yes(A.group.empty() ? std::string(tr("Interrupt every screen of the organisation")) : trf("Interrupt every screen of group {}", A.group));
    Body b;
    if (!A.message.empty()) b.s("message", A.message);
    if (!A.media.empty()) b.s("media_id", media_id_of(A.media));
    if (!A.group.empty()) b.s("group_id", resolve("/api/v1/groups", A.group, "name", "id", "group"));
    if (!A.until.empty()) b.s("ends_at", A.until);
    Json o = call("POST", "/api/v1/overrides", b.str());
    if (output().json || output().quiet) return print_object(o, {}, "id");
    say(trf("Override in force ({0}); clear it with: vcctl overrides clear {0}", field(o, "id")));
    return exit_ok;
  });
  ov_add->add_option("--message", A.message, tr("text shown on the screens"));
  ov_add->add_option("--media", A.media, tr("a media item of the library (name or id)"));
  ov_add->add_option("--group", A.group, tr("only this group (default: every device)"));
  ov_add->add_option("--until", A.until, tr("end time, RFC 3339 (default: until cleared)"));
  ov_add->add_flag("--yes,-y", A.yes, tr("do not ask"));
  auto* ov_clear = leaf(overrides, "clear", tr("End an override"), [] {
    call("DELETE", "/api/v1/overrides/" + vc::text::url_encode_component(A.a));
    say(trf("Override {} cleared.", A.a));
    return exit_ok;
  });
  ov_clear->add_option("id", A.a, tr("override id (vcctl overrides ls)"))->required();
  leaf(overrides, "ls", tr("List overrides in force"), [] {
    return print_list(list_all("/api/v1/overrides"),
                      {col(tr("MESSAGE"), "message"), col(tr("MEDIA"), "media_id"), {tr("GROUP"), [](const Value& v) { auto gr = field(v, "group_id"); return gr.empty() ? std::string("all") : gr; }},
                       {tr("UNTIL"), [](const Value& v) { return short_time(field(v, "ends_at")); }}, col(tr("ID"), "id")},
                      "id");
  });
  auto* timeline = leaf(&app, "timeline", tr("What a device plays and why, from now (default one day)"), [] {
    std::string from = A.from.empty() ? now_utc_iso() : A.from;
    std::string to = A.until.empty() ? now_utc_iso(static_cast<std::int64_t>(A.days) * 86400) : A.until;
    Json t = call("GET", "/api/v1/devices/" + vc::text::url_encode_component(A.a) + "/timeline?from=" + vc::text::url_encode_component(from) + "&to=" + vc::text::url_encode_component(to));
    if (output().json) return print_json(t), exit_ok;
    const Value* entries = member(t, "entries");
    if (!output().quiet) std::printf("%s\n", trf("{}, time zone {}", A.a, field(t, "timezone")).c_str());
    Table tb{{tr("FROM"), tr("TO"), tr("WHAT"), tr("WHY")}, {}};
    if (entries)
      for (const auto& e : entries->GetArray()) {
        const std::string src = field(e, "source");
        std::string what = !field(e, "message").empty() ? field(e, "message") : !field(e, "playlist_id").empty() ? "playlist " + field(e, "playlist_id") : field(e, "media_id");
        std::string why = src;
        if (src == "assignment") why += " " + field(e, "assignment_id") + " (priority " + field(e, "priority") + ")";
        tb.rows.push_back({short_time(field(e, "local_from")), short_time(field(e, "local_to")), what, why});
      }
    tb.print();
    return exit_ok;
  });
  timeline->add_option("device", A.a, tr("device id"))->required();
  timeline->add_option("--from", A.from, tr("start, RFC 3339 (default: now)"));
  timeline->add_option("--to", A.until, tr("end, RFC 3339 (default: --days after the start)"));
  timeline->add_option("--days", A.days, tr("length when --to is not given"))->capture_default_str()->check(CLI::Range(1, 14));

  // audit
  auto* audit = leaf(&app, "audit", tr("The audit log, newest first"), [] {
    std::string q = "limit=" + std::to_string(A.limit);
    if (!A.action.empty()) q += "&action=" + vc::text::url_encode_component(A.action);
    if (!A.from.empty()) q += "&since=" + vc::text::url_encode_component(A.from);
    Json page = call("GET", "/api/v1/audit?" + q);
    const Value* items = member(page, "items");
    Json arr(rapidjson::kArrayType);
    if (items) arr.CopyFrom(*items, arr.GetAllocator());
    return print_list(arr, {{tr("AT"), [](const Value& v) { return short_time(field(v, "at")); }}, col(tr("ACTION"), "action"), col(tr("ACTOR"), "actor_kind"),
                            col(tr("OBJECT"), "object_type"), col(tr("ID"), "object_id"), col(tr("ADDRESS"), "address")},
                      "id");
  });
  audit->add_option("--action", A.action, tr("only this action, e.g. device.create"));
  audit->add_option("--since", A.from, tr("only entries from this time, RFC 3339"));
  audit->add_option("--limit", A.limit, tr("how many (1-200)"))->capture_default_str()->check(CLI::Range(1, 200));

  // the database (local)
  leaf(&app, "migrate", tr("Apply pending database migrations (the server's DATABASE_URL, or --database-url)"), [] {
    std::vector<std::string> args;
    if (!g.database_url.empty()) args.push_back("--database-url=" + g.database_url);
    if (!g.data_dir.empty()) args.push_back("--data-dir=" + g.data_dir);
    auto config = vc::load_config(vc::process_env(), args);
    if (!config) throw failure_of(config.error());
    auto storage = vc::open_storage({.url = config->database, .pool_size = 1});
    if (!storage) throw failure_of(storage.error());
    auto report = (*storage)->migrate();
    if (!report) throw failure_of(report.error());
    if (output().json) {
      std::printf("{\"from\":%d,\"to\":%d,\"applied\":%zu}\n", report->from_version, report->to_version, report->applied.size());
      return exit_ok;
    }
    for (const auto& m : report->applied) say(trf("applied {}", m));
    say(trf("schema version {} (was {})", report->to_version, report->from_version));
    return exit_ok;
  });

  // backup and restore (always local: the server's DATABASE_URL and content folder, or --data-dir / --database-url)
  auto* backup = leaf(&app, "backup", tr("Write a consistent backup archive of the installation while it runs"), [] {
    auto config = local_config();
    vc::BackupOptions o;
    o.database_url = config.database_url;
    o.content_dir = config.content_dir;
    o.blobs = object_store_of(config);
    o.organization = g.organization;
    o.incremental_from = A.b;
    auto progress = phase_progress();
    o.progress = [&](std::string_view phase, std::uint64_t done, std::uint64_t total) { progress(phase, done, total); };
    const auto started = std::chrono::steady_clock::now();
    auto r = vc::backup_installation(o, A.to);
    progress({}, 0, 0);
    if (!r) throw failure_of(r.error());
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    for (const auto& m : r->missing) error_line(trf("deleted during the backup, not in the archive: {}", m));
    if (output().json) {
      std::printf("{\"archive\":%s,\"id\":\"%s\",\"base_id\":\"%s\",\"backend\":\"%s\",\"schema\":%d,\"rows\":%lld,"
                  "\"blobs\":%lld,\"blobs_copied\":%lld,\"blob_bytes_copied\":%lld,\"derived_files\":%lld,\"derived_copied\":%lld,"
                  "\"archive_bytes\":%llu,\"missing\":%zu,\"seconds\":%.3f}\n",
                  vc::json_quote(A.to).c_str(), r->id.c_str(), r->base_id.c_str(), r->backend.c_str(), r->schema_version,
                  static_cast<long long>(r->rows), static_cast<long long>(r->blobs), static_cast<long long>(r->blobs_copied),
                  static_cast<long long>(r->blob_bytes_copied), static_cast<long long>(r->derived_files),
                  static_cast<long long>(r->derived_copied), static_cast<unsigned long long>(r->archive_bytes), r->missing.size(), secs);
      return exit_ok;
    }
    if (output().quiet) return exit_ok;
    say(trf("Backup {} written to {}: {} rows, {} of {} blobs ({}), {} of {} derived files; {} in {:.1f} s.", r->id, A.to, r->rows,
            r->blobs_copied, r->blobs, human_bytes(static_cast<std::uint64_t>(r->blob_bytes_copied)), r->derived_copied,
            r->derived_files, human_bytes(r->archive_bytes), secs));
    if (!r->base_id.empty()) say(trf("Incremental on top of {}: restore with --base naming that archive.", r->base_id));
    return exit_ok;
  });
  backup->add_option("--to", A.to, tr("the archive to write (written as FILE.partial, renamed when complete)"))->required();
  backup->add_option("--incremental-from", A.b, tr("an earlier archive of this installation: copy only the blobs and derived files its chain lacks"));
  auto* restore = leaf(&app, "restore", tr("Restore a backup archive into an empty installation (verified completely first)"), [] {
    vc::RestoreOptions o;
    if (!A.check) {
      auto config = local_config();
      o.database_url = config.database_url;
      o.content_dir = config.content_dir;
      o.blobs = object_store_of(config);
    }
    o.bases = A.list;
    o.verify_only = A.check;
    auto progress = phase_progress();
    o.progress = [&](std::string_view phase, std::uint64_t done, std::uint64_t total) { progress(phase, done, total); };
    const auto started = std::chrono::steady_clock::now();
    auto r = vc::restore_installation(A.a, o);
    progress({}, 0, 0);
    if (!r) throw failure_of(r.error());
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    for (const auto& m : r->missing) error_line(trf("the backup recorded as deleted during it, not restored: {}", m));
    if (output().json) {
      std::printf("{\"archive\":%s,\"id\":\"%s\",\"backend\":\"%s\",\"organization\":%s,\"schema\":%d,\"rows\":%lld,"
                  "\"blobs\":%lld,\"derived_files\":%lld,\"bytes\":%llu,\"missing\":%zu,\"verified_only\":%s,\"seconds\":%.3f}\n",
                  vc::json_quote(A.a).c_str(), r->id.c_str(), r->backend.c_str(), vc::json_quote(r->organization).c_str(),
                  r->schema_version, static_cast<long long>(r->rows), static_cast<long long>(r->blobs),
                  static_cast<long long>(r->derived_files), static_cast<unsigned long long>(r->bytes), r->missing.size(),
                  A.check ? "true" : "false", secs);
      return exit_ok;
    }
    if (output().quiet) return exit_ok;
    if (A.check)
      say(trf("{} is complete and intact: {} rows, {} blobs, {} derived files ({}), schema {}, from {}.", A.a, r->rows, r->blobs,
              r->derived_files, human_bytes(r->bytes), r->schema_version, r->backend));
    else
      say(trf("Restored {} ({} rows, {} blobs, {} derived files, {}) in {:.1f} s; start the server on it now.", A.a, r->rows,
              r->blobs, r->derived_files, human_bytes(r->bytes), secs));
    return exit_ok;
  });
  restore->add_option("archive", A.a, tr("the archive (vcctl backup --to)"))->required();
  restore->add_option("--base", A.list, tr("an archive the incremental archive builds on (repeat for the whole chain)"));
  restore->add_flag("--check", A.check, tr("only verify the archive (and its bases) completely; change nothing"));

  leaf(&app, "version", tr("vcctl's and the library's versions"), [] {
    if (output().json) std::printf("{\"vcctl\":\"%s\",\"library\":\"%s\",\"schema\":%d}\n", VIDEOCONTROL_VERSION, vc::version(), vc::latest_schema_version());
    else std::printf("vcctl %s (library %s, schema %d)\n", VIDEOCONTROL_VERSION, vc::version(), vc::latest_schema_version());
    return exit_ok;
  });
  static std::string shell;
  auto* completion = leaf(&app, "completion", tr("Print a shell completion script (bash or zsh)"), [&app] {
    std::printf("%s", completion_script(app, shell).c_str());
    return exit_ok;
  });
  completion->add_option("shell", shell, tr("bash or zsh"))->required()->check(CLI::IsMember({"bash", "zsh"}));
}

}  // namespace
}  // namespace vcctl

int main(int argc, char** argv) {
  using namespace vcctl;
  init_i18n();
  output().stdout_tty = isatty(STDOUT_FILENO);
  output().stderr_tty = isatty(STDERR_FILENO);
  CLI::App app{tr("vcctl: manage VideoControl devices, media, users and playback from a shell.\n"
                  "Remote mode talks to a server (vcctl login --server URL, or VC_API_KEY); local mode (--data-dir,\n"
                  "--database-url or --local) opens the installation's database directly."),
               "vcctl"};
  app.option_defaults()->group(tr("Options"));  // the options' group heading, inherited by every command
  app.set_help_flag("-h,--help", tr("Print this help message and exit"));
  app.set_version_flag("--version", std::string("vcctl ") + VIDEOCONTROL_VERSION, tr("Display program version information and exit"));
  // CLI11's own words in the help (N_ marks them for the catalogue; tr looks them up).
  // (TEXT, INT and the like stay: CLI11 pads the columns by bytes, not by letters.)
  for (const char* label : {N_("Usage"), N_("Options"), N_("Subcommands"), N_("Positionals"), N_("OPTIONS"), N_("SUBCOMMAND"),
                            N_("SUBCOMMANDS"), N_("REQUIRED")})
    app.get_formatter()->label(label, tr(label));
  app.fallthrough();
  app.require_subcommand(1);
  app.add_option("--server,-s", g.server, tr("server URL, e.g. http://127.0.0.1:3000 (env VC_SERVER; default: the saved profile's)"));
  app.add_option("--profile,-p", g.profile, tr("saved sign-in to use (env VC_PROFILE; default: the last login)"));
  app.add_option("--database-url", g.database_url, tr("local mode: the installation's database (sqlite://… or postgresql://…)"));
  app.add_option("--data-dir", g.data_dir, tr("local mode: the server's DATA_DIR (its database and content)"));
  app.add_flag("--local", g.local, tr("local mode with the server's settings from the environment (DATABASE_URL, DATA_DIR)"));
  app.add_option("--organization,-o", g.organization, tr("act in this organisation (slug or id): superadmins, and local mode"));
  app.add_flag("--json", output().json, tr("machine-readable output (see docs/cli.md)"));
  app.add_flag("--quiet,-q", output().quiet, tr("no confirmations or progress; lists print ids only"));
  app.add_option("--timeout", g.timeout_s, tr("seconds to wait for the server"))->capture_default_str()->check(CLI::Range(1, 3600));
  vc::set_log_level(vc::LogLevel::warn);
  define(app);
  // Headings in the catalogue's language on every command: each help flag's group and each
  // subcommand's group (CLI11 names both in English when the command is made).
  std::function<void(CLI::App&)> localise = [&](CLI::App& a) {
    if (auto* h = a.get_help_ptr()) h->group(tr("Options"));
    for (auto* sub : a.get_subcommands([](CLI::App*) { return true; })) {
      sub->group(tr("Subcommands"));
      localise(*sub);
    }
  };
  localise(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? exit_ok : exit_usage;
  }
  if (!run) return exit_usage;
  int rc = exit_ok;
  try {
    rc = run();
  } catch (const Failure& f) {
    error_line(f.message, f.hint);
    rc = f.code;
  } catch (const std::exception& e) {
    error_line(trf("unexpected failure: {}", e.what()));
    rc = exit_error;
  }
  conn.close();
  std::fflush(stdout);
  return rc;
}
