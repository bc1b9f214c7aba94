// BlobStore on an S3-compatible bucket.
//
// Why a signed-request layer of our own on cpp-httplib rather than a client library: the AWS C++
// SDK is not packaged in Debian 12, and libs3 (packaged) is unmaintained upstream and would add
// libcurl and libxml2 for the nine requests used here (HEAD/PUT/GET/DELETE object, ListObjectsV2,
// the three multipart calls, HEAD bucket). Signature V4 is the one part that must be exactly right;
// it is a small pure module (s3_signer.cpp) tested against AWS's published examples.
//
// Uploads are spooled and hashed on local disk by a disk store under cache_dir (the key is the
// SHA-256, known only at the end; S3 has no rename), then sent in parts of part_bytes: memory per
// upload is a part and the request's copy of it, whatever the file size. The local copy stays in
// the read cache, which serves locate() (the pipeline's converters, proxied downloads, backups)
// and is evicted least recently used first past cache_bytes. Bytes fetched into the cache are
// checked against their hash. Downloads are redirected to pre-signed URLs unless `redirect` is off.
#include <sys/stat.h>
#include <fcntl.h>
#include <strings.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>

#include <fmt/format.h>
#include <httplib.h>

#include "objstore/s3_signer.hpp"
#include "services/context.hpp"  // VC_ASSIGN
#include "objstore/s3_xml.hpp"
#include "videocontrol/blob_store.hpp"
#include "videocontrol/log.hpp"

namespace vc {
namespace {

namespace fs = std::filesystem;

bool valid_hash(std::string_view h) {
  return h.size() == 64 && h.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

std::int64_t epoch_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

struct Endpoint {
  std::string scheme, host;
  int port = 0;
};

Result<Endpoint> parse_endpoint(std::string_view url) {
  Endpoint e;
  if (url.starts_with("http://")) {
    e.scheme = "http";
    url.remove_prefix(7);
  } else if (url.starts_with("https://")) {
    e.scheme = "https";
    url.remove_prefix(8);
  } else {
    return make_error(ErrorCode::invalid, "S3_ENDPOINT must start with http:// or https://");
  }
  if (url.ends_with("/")) url.remove_suffix(1);
  if (url.empty() || url.find_first_of("/?#@ ") != std::string_view::npos)
    return make_error(ErrorCode::invalid, "S3_ENDPOINT must be scheme://host[:port] with no path");
  std::string_view host = url, port;
  if (host.starts_with("[")) {  // [::1]:9000
    const auto close = host.find(']');
    if (close == std::string_view::npos) return make_error(ErrorCode::invalid, "S3_ENDPOINT: unclosed '['");
    port = host.substr(close + 1);
    host = host.substr(0, close + 1);
    if (!port.empty() && !port.starts_with(":")) return make_error(ErrorCode::invalid, "S3_ENDPOINT: malformed port");
    if (!port.empty()) port.remove_prefix(1);
  } else if (auto colon = host.rfind(':'); colon != std::string_view::npos) {
    port = host.substr(colon + 1);
    host = host.substr(0, colon);
  }
  e.host = std::string(host);
  e.port = e.scheme == "https" ? 443 : 80;
  if (!port.empty()) {
    int p = 0;
    for (char ch : port) {
      if (ch < '0' || ch > '9' || p > 65535) return make_error(ErrorCode::invalid, "S3_ENDPOINT: malformed port");
      p = p * 10 + (ch - '0');
    }
    if (p < 1 || p > 65535) return make_error(ErrorCode::invalid, "S3_ENDPOINT: malformed port");
    e.port = p;
  }
  return e;
}

// One S3 request's answer (the body only when it was not streamed elsewhere).
struct Reply {
  int status = 0;
  std::string body;
  httplib::Headers headers;
  std::string header(const char* name) const {
    for (const auto& [k, v] : headers)
      if (strcasecmp(k.c_str(), name) == 0) return v;
    return {};
  }
};

class S3Client {
 public:
  S3Client(S3Options o, Endpoint e) : o_(std::move(o)), e_(std::move(e)) {
    creds_.access_key_id = o_.access_key_id;
    creds_.secret_access_key = o_.secret_access_key;
    creds_.region = o_.region;
    const bool default_port = (e_.scheme == "https" && e_.port == 443) || (e_.scheme == "http" && e_.port == 80);
    const std::string host = o_.virtual_hosted ? o_.bucket + "." + e_.host : e_.host;
    host_header_ = default_port ? host : fmt::format("{}:{}", host, e_.port);
    connect_host_ = host;
  }

  const S3Options& options() const { return o_; }

  std::string path_of(std::string_view key) const {
    if (o_.virtual_hosted) return "/" + std::string(key);
    return "/" + o_.bucket + (key.empty() ? "" : "/" + std::string(key));
  }

  std::string presign(std::string_view key, s3::Pairs query, std::int64_t ttl_s) const {
    s3::SignedRequest r;
    r.method = "GET";
    r.path = path_of(key);
    r.query = std::move(query);
    r.headers = {{"host", host_header_}};
    return fmt::format("{}://{}{}?{}", e_.scheme, host_header_, s3::uri_encode(r.path, true),
                       s3::presigned_query(creds_, r, epoch_seconds(), ttl_s));
  }

  // Retries connection failures and 5xx answers (every request here is idempotent); a receiver
  // that refuses (returns false) ends the request. `body` is sent as is.
  Result<Reply> send(const std::string& method, std::string_view key, const s3::Pairs& query, const std::string& body,
                     s3::Pairs extra_headers = {},
                     std::function<bool(const char*, std::size_t)> receiver = nullptr,
                     std::function<void()> restart = nullptr) {
    std::string last;
    for (int attempt = 0; attempt < 4; ++attempt) {
      if (attempt > 0) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100 << attempt));
        if (restart) restart();
      }
      auto r = send_once(method, key, query, body, extra_headers, receiver);
      if (r && r->status < 500) {
        failing_ = false;
        return r;
      }
      last = r ? fmt::format("the object store answered {}{}", r->status, detail(r->body)) : r.error().message;
    }
    failing_ = true;
    return make_error(ErrorCode::unavailable, fmt::format("S3 {} {}: {}", method, key.empty() ? o_.bucket : key, last));
  }

  bool failing() const { return failing_; }

  // One HEAD of the bucket with a 2 s limit; clears the failing flag when it answers 200.
  bool probe() {
    auto r = send_once("HEAD", "", {}, {}, {}, nullptr, std::chrono::seconds(2));
    if (r && r->status == 200) failing_ = false;
    return !failing_;
  }

  static std::string detail(const std::string& body) {
    if (auto e = s3::parse_error(body)) return fmt::format(" ({}: {})", e->code, e->message);
    return {};
  }

 private:
  Result<Reply> send_once(const std::string& method, std::string_view key, const s3::Pairs& query, const std::string& body,
                          const s3::Pairs& extra_headers, const std::function<bool(const char*, std::size_t)>& receiver,
                          std::optional<std::chrono::seconds> timeout = std::nullopt) {
    s3::SignedRequest sr;
    sr.method = method;
    sr.path = path_of(key);
    sr.query = query;
    sr.payload_sha256 = s3::sha256_hex(body);
    const std::int64_t now = epoch_seconds();
    sr.headers = {{"host", host_header_}, {"x-amz-date", s3::amz_date(now)}, {"x-amz-content-sha256", sr.payload_sha256}};
    for (const auto& h : extra_headers) sr.headers.push_back(h);
    const std::string auth = s3::authorization(creds_, sr, now);

    httplib::Request req;
    req.method = method;
    const std::string q = s3::canonical_query(query);
    req.path = s3::uri_encode(sr.path, true) + (q.empty() ? "" : "?" + q);
    for (const auto& [k, v] : sr.headers)
      if (k != "host") req.set_header(k.c_str(), v.c_str());
    req.set_header("Host", host_header_.c_str());
    req.set_header("Authorization", auth.c_str());
    if (!body.empty() || method == "PUT" || method == "POST") req.body = body;
    Reply reply;
    std::size_t kept = 0;
    bool streamed_ok = true;
    req.response_handler = [&](const httplib::Response& r) {
      reply.status = r.status;
      reply.headers = r.headers;
      return true;
    };
    req.content_receiver = [&](const char* data, std::size_t n, std::uint64_t, std::uint64_t) {
      if (receiver && reply.status >= 200 && reply.status < 300) {
        streamed_ok = receiver(data, n);
        return streamed_ok;
      }
      const std::size_t room = s3::kMaxXmlBytes - std::min(s3::kMaxXmlBytes, kept);
      reply.body.append(data, std::min(n, room));
      kept += n;
      return true;
    };
    httplib::Response res;
    httplib::Error err = httplib::Error::Success;
    bool sent = false;
    try {
      auto go = [&](httplib::ClientImpl& cli) {
        const auto limit = timeout.value_or(o_.timeout);
        cli.set_connection_timeout(limit);
        cli.set_read_timeout(limit);
        cli.set_write_timeout(limit);
        cli.set_keep_alive(false);
        cli.set_follow_location(false);
        cli.set_url_encode(false);  // the path and query are encoded above, exactly as signed
        sent = cli.send(req, res, err);
      };
      if (e_.scheme == "https") {
        httplib::SSLClient cli(connect_host_, e_.port);
        cli.enable_server_certificate_verification(true);
        if (!o_.ca_file.empty()) cli.set_ca_cert_path(o_.ca_file.c_str());
        go(cli);
      } else {
        httplib::ClientImpl cli(connect_host_, e_.port);
        go(cli);
      }
    } catch (const std::exception& ex) {
      return make_error(ErrorCode::unavailable, ex.what());
    }
    if (reply.status == 0) {  // no body (HEAD, 204): the handler above was not called
      reply.status = res.status;
      reply.headers = res.headers;
    }
    if (!streamed_ok) return make_error(ErrorCode::unavailable, "the download could not be stored");
    if (!sent) return make_error(ErrorCode::unavailable, fmt::format("cannot reach the object store at {}://{}:{}: {}",
                                                                     e_.scheme, e_.host, e_.port, httplib::to_string(err)));
    return reply;
  }

  S3Options o_;
  Endpoint e_;
  s3::Credentials creds_;
  std::string host_header_, connect_host_;
  std::atomic<bool> failing_{false};
};

Error s3_error(std::string_view what, const Reply& r) {
  return make_error(r.status == 404 ? ErrorCode::not_found : ErrorCode::unavailable,
                    fmt::format("{}: the object store answered {}{}", what, r.status, S3Client::detail(r.body)));
}

class S3BlobStore;

class S3BlobWriter final : public BlobWriter {
 public:
  S3BlobWriter(S3BlobStore& store, std::unique_ptr<BlobWriter> spool) : store_(store), spool_(std::move(spool)) {}
  Result<void> write(std::string_view bytes) override { return spool_->write(bytes); }
  Result<BlobInfo> finish() override {
    auto r = spool_->finish();
    if (r) info_ = *r;
    return r;
  }
  Result<bool> stage() override;
  Result<void> commit() override;
  std::string temporary_path() const override { return spool_->temporary_path(); }

 private:
  S3BlobStore& store_;
  std::unique_ptr<BlobWriter> spool_;
  BlobInfo info_;
};

class S3BlobStore final : public BlobStore {
 public:
  S3BlobStore(S3Options o, Endpoint e, std::unique_ptr<BlobStore> cache)
      : client_(std::move(o), std::move(e)), cache_(std::move(cache)) {}

  const S3Options& options() const { return client_.options(); }

  std::string key_of(std::string_view hash) const {
    return options().prefix + std::string(hash.substr(0, 2)) + "/" + std::string(hash);
  }

  // After a failed request, the bucket is asked again (HEAD, at most every 2 s, short timeout) so
  // that readiness comes back by itself once the store answers.
  bool healthy() const override {
    if (!cache_->healthy()) return false;
    if (!client_.failing()) return true;
    std::lock_guard lock(probe_mu_);
    const auto now = std::chrono::steady_clock::now();
    if (now - last_probe_ < std::chrono::seconds(2)) return false;
    last_probe_ = now;
    return client_.probe();
  }

  Result<std::unique_ptr<BlobWriter>> create(std::uint64_t max_bytes) override {
    VC_ASSIGN(auto spool, cache_->create(max_bytes));
    return std::unique_ptr<BlobWriter>(std::make_unique<S3BlobWriter>(*this, std::move(spool)));
  }

  Result<BlobFile> locate(std::string_view hash) override {
    if (!valid_hash(hash)) return make_error(ErrorCode::invalid, "malformed blob hash");
    if (auto hit = cache_->locate(hash)) {
      touch(hit->path);
      return hit;
    }
    VC_TRY(fetch(hash));
    return cache_->locate(hash);
  }

  Result<BlobFile> locate_for_delivery(std::string_view hash, const BlobDelivery& how) override {
    if (!options().redirect) return locate(hash);
    if (!valid_hash(hash)) return make_error(ErrorCode::invalid, "malformed blob hash");
    s3::Pairs q;
    if (!how.content_type.empty()) q.emplace_back("response-content-type", how.content_type);
    BlobFile f;
    f.size = how.size;
    f.url = client_.presign(key_of(hash), std::move(q), options().url_ttl.count());
    return f;
  }

  Result<void> remove(std::string_view hash) override {
    if (!valid_hash(hash)) return make_error(ErrorCode::invalid, "malformed blob hash");
    VC_ASSIGN(auto r, client_.send("DELETE", key_of(hash), {}, {}));
    if (r.status != 204 && r.status != 200 && r.status != 404) return s3_error("deleting media bytes", r);
    return cache_->remove(hash);
  }

  Result<std::vector<StoredBlob>> list() override {
    std::vector<StoredBlob> out;
    std::string token;
    for (int pages = 0; pages < 1'000'000; ++pages) {
      s3::Pairs q{{"list-type", "2"}, {"prefix", options().prefix}, {"max-keys", "1000"}};
      if (!token.empty()) q.emplace_back("continuation-token", token);
      VC_ASSIGN(auto r, client_.send("GET", "", q, {}));
      if (r.status != 200) return s3_error("listing the bucket", r);
      auto page = s3::parse_list_objects(r.body);
      if (!page) return make_error(ErrorCode::unavailable, "listing the bucket: " + page.error().message);
      for (auto& o : page->objects) {
        std::string_view k = o.key;
        if (!k.starts_with(options().prefix)) continue;
        k.remove_prefix(options().prefix.size());
        // ab/<hash>
        if (k.size() != 67 || k[2] != '/' || !valid_hash(k.substr(3)) || k.substr(0, 2) != k.substr(3, 2)) continue;
        out.push_back(StoredBlob{std::string(k.substr(3)), o.size, o.last_modified_ms});
      }
      if (!page->truncated) return out;
      token = page->next_token;
    }
    return make_error(ErrorCode::unavailable, "listing the bucket did not end");
  }

  Result<int> remove_leftovers() override { return cache_->remove_leftovers(); }

  Result<Reply> head_bucket() { return client_.send("HEAD", "", {}, {}); }

  // Sends the spooled bytes unless the bucket has them already (one HEAD); returns whether it sent.
  Result<bool> send_bytes(BlobWriter& spool, const BlobInfo& info) {
    const std::string key = key_of(info.hash);
    VC_ASSIGN(auto head, client_.send("HEAD", key, {}, {}));
    if (head.status == 200 && head.header("Content-Length") == std::to_string(info.size)) return false;
    if (head.status != 200 && head.status != 404) return s3_error("checking for media bytes", head);
    const std::string path = spool.temporary_path();
    if (static_cast<std::uint64_t>(info.size) <= options().part_bytes) {
      VC_ASSIGN(auto body, read_part(path, 0, static_cast<std::size_t>(info.size)));
      VC_ASSIGN(auto r, client_.send("PUT", key, {}, body, {{"content-type", "application/octet-stream"}}));
      if (r.status != 200) return s3_error("storing media bytes", r);
    } else {
      VC_TRY(multipart(key, path, static_cast<std::uint64_t>(info.size)));
    }
    return true;
  }

  // In the upload's transaction: the bytes are (still) in the bucket, sent again if a concurrent
  // collection took them since stage(); then the local copy joins the cache.
  Result<void> place(BlobWriter& spool, const BlobInfo& info) {
    VC_TRY(send_bytes(spool, info));
    VC_TRY(spool.commit());
    evict(info.hash);
    return {};
  }

 private:
  static Result<std::string> read_part(const std::string& path, std::uint64_t offset, std::size_t n) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return make_error(ErrorCode::unavailable, fmt::format("cannot read the upload back: {}", std::strerror(errno)));
    std::string buf(n, '\0');
    std::size_t got = 0;
    while (got < n) {
      ssize_t r = ::pread(fd, buf.data() + got, n - got, static_cast<off_t>(offset + got));
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) {
        ::close(fd);
        return make_error(ErrorCode::unavailable, "cannot read the upload back: the file ended early");
      }
      got += static_cast<std::size_t>(r);
    }
    ::close(fd);
    return buf;
  }

  Result<void> multipart(const std::string& key, const std::string& path, std::uint64_t size) {
    VC_ASSIGN(auto init, client_.send("POST", key, {{"uploads", ""}}, {}, {{"content-type", "application/octet-stream"}}));
    if (init.status != 200) return s3_error("starting a multipart upload", init);
    VC_ASSIGN(auto upload_id, s3::parse_upload_id(init.body));
    auto abort = [&] {
      auto r = client_.send("DELETE", key, {{"uploadId", upload_id}}, {});
      if (!r || (r->status != 204 && r->status != 200 && r->status != 404))
        log_warn("object store: cannot abort an unfinished multipart upload", {{"key", key}});
    };
    std::string done = "<CompleteMultipartUpload>";
    int part = 0;
    for (std::uint64_t off = 0; off < size; off += options().part_bytes) {
      ++part;
      const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(options().part_bytes, size - off));
      auto body = read_part(path, off, n);
      if (!body) {
        abort();
        return std::move(body).error();
      }
      auto r = client_.send("PUT", key, {{"partNumber", std::to_string(part)}, {"uploadId", upload_id}}, *body);
      if (!r || r->status != 200 || r->header("ETag").empty()) {
        abort();
        if (!r) return std::move(r).error();
        return s3_error(fmt::format("sending part {} of media bytes", part), *r);
      }
      done += fmt::format("<Part><PartNumber>{}</PartNumber><ETag>{}</ETag></Part>", part, r->header("ETag"));
    }
    done += "</CompleteMultipartUpload>";
    auto r = client_.send("POST", key, {{"uploadId", upload_id}}, done, {{"content-type", "application/xml"}});
    // A failed completion may still answer 200, with an <Error> document.
    if (!r || r->status != 200 || s3::parse_error(r->body)) {
      abort();
      if (!r) return std::move(r).error();
      return s3_error("completing a multipart upload", *r);
    }
    return {};
  }

  // Fetches the object into the cache, checking its SHA-256 on the way.
  Result<void> fetch(std::string_view hash) {
    VC_ASSIGN(auto w, cache_->create(UINT64_MAX));
    bool write_failed = false;
    auto receiver = [&](const char* data, std::size_t n) {
      if (!w->write(std::string_view(data, n))) write_failed = true;
      return !write_failed;
    };
    // A retried download starts again in a new file.
    auto restart = [&] {
      if (auto fresh = cache_->create(UINT64_MAX)) w = std::move(*fresh);
    };
    VC_ASSIGN(auto r, client_.send("GET", key_of(hash), {}, {}, {}, receiver, restart));
    if (r.status == 404) return make_error(ErrorCode::not_found, "media bytes are missing from the object store");
    if (r.status != 200) return s3_error("fetching media bytes", r);
    if (write_failed) return make_error(ErrorCode::unavailable, "cannot store fetched media bytes in the cache");
    VC_ASSIGN(auto info, w->finish());
    if (info.hash != hash) {
      log_error("object store: an object's bytes do not match its name (SHA-256)", {{"key", key_of(hash)}, {"sha256", info.hash}});
      return make_error(ErrorCode::unavailable, "the object store returned damaged media bytes");
    }
    VC_TRY(w->commit());
    evict(hash);
    return {};
  }

  // The access time says when the cache last served a blob (set here: mounts often use relatime).
  static void touch(const std::string& path) {
    struct timespec ts[2] = {{0, UTIME_NOW}, {0, UTIME_OMIT}};
    ::utimensat(AT_FDCWD, path.c_str(), ts, 0);
  }

  // Least recently used first, until the cache is within its budget; `keep` (the blob just placed,
  // about to be read) stays even when it alone is over the budget. It is named rather than found
  // as the newest: file times are coarse (a clock tick), so a blob served a moment earlier can have
  // the same access time, and the one just fetched was sometimes evicted before it was read.
  void evict(std::string_view keep) {
    std::lock_guard lock(evict_mu_);
    auto files = cache_->list();
    if (!files) return;
    std::uint64_t total = 0;
    struct Entry {
      std::string hash;
      std::int64_t size;
      std::int64_t atime_ns;
    };
    std::vector<Entry> entries;
    for (const auto& f : *files) {
      total += static_cast<std::uint64_t>(f.size);
      auto at = cache_->locate(f.hash);
      if (!at) continue;
      struct stat st {};
      if (::stat(at->path.c_str(), &st) != 0) continue;
      entries.push_back({f.hash, f.size, static_cast<std::int64_t>(st.st_atim.tv_sec) * 1'000'000'000 + st.st_atim.tv_nsec});
    }
    if (total <= options().cache_bytes) return;
    std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) { return a.atime_ns < b.atime_ns; });
    for (std::size_t i = 0; i < entries.size() && total > options().cache_bytes; ++i) {
      if (entries[i].hash == keep) continue;
      if (cache_->remove(entries[i].hash)) total -= static_cast<std::uint64_t>(entries[i].size);
    }
  }

  mutable S3Client client_;  // healthy() may probe
  std::unique_ptr<BlobStore> cache_;
  std::mutex evict_mu_;
  mutable std::mutex probe_mu_;
  mutable std::chrono::steady_clock::time_point last_probe_{};
  friend class S3BlobWriter;
};

Result<bool> S3BlobWriter::stage() {
  if (info_.hash.empty()) return make_error(ErrorCode::internal, "stage before finish");
  return store_.send_bytes(*spool_, info_);
}

Result<void> S3BlobWriter::commit() {
  if (info_.hash.empty()) return make_error(ErrorCode::internal, "commit before finish");
  return store_.place(*spool_, info_);
}

}  // namespace

Result<std::unique_ptr<BlobStore>> make_s3_blob_store(const S3Options& o) {
  if (o.bucket.empty()) return make_error(ErrorCode::invalid, "S3_BUCKET: name the bucket");
  if (o.access_key_id.empty() || o.secret_access_key.empty())
    return make_error(ErrorCode::invalid, "S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY are required");
  if (o.cache_dir.empty()) return make_error(ErrorCode::invalid, "the object store needs a local cache folder");
  if (o.part_bytes < (5ull << 20) || o.part_bytes > (5ull << 30))
    return make_error(ErrorCode::invalid, "S3_PART_BYTES: parts are 5 MiB .. 5 GiB");
  if (o.url_ttl.count() < 1 || o.url_ttl.count() > 7 * 24 * 3600)
    return make_error(ErrorCode::invalid, "S3_URL_TTL_S: pre-signed URLs last 1 s .. 7 days");
  VC_ASSIGN(auto endpoint, parse_endpoint(o.endpoint));
  VC_ASSIGN(auto cache, make_disk_blob_store(o.cache_dir));
  auto store = std::make_unique<S3BlobStore>(o, std::move(endpoint), std::move(cache));
  // The bucket must answer (and these credentials be accepted) before the server starts.
  VC_ASSIGN(auto r, store->head_bucket());
  if (r.status == 404) return make_error(ErrorCode::unavailable, fmt::format("S3_BUCKET: bucket '{}' does not exist", o.bucket));
  if (r.status == 403)
    return make_error(ErrorCode::unavailable, fmt::format("S3: the credentials are refused for bucket '{}'", o.bucket));
  if (r.status != 200) return s3_error(fmt::format("S3: checking bucket '{}'", o.bucket), r);
  return std::unique_ptr<BlobStore>(std::move(store));
}

}  // namespace vc
