// ZIP folders (libvideocontrol/src/pipeline/archive.*): entry-name safety, natural order, and
// extraction against good and hostile archives. Every fixture is made at test time by real tools:
// the archives by Python's zipfile (and Info-ZIP's zip for the encrypted one, when installed), the
// images by ffmpeg.
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <memory>
#include <set>

#include "pipeline/archive.hpp"
#include "test_support.hpp"

using namespace vc;
using namespace vc::pipeline;
namespace fs = std::filesystem;

namespace {

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

void run(const std::string& command) {
  INFO(command);
  REQUIRE(std::system(command.c_str()) == 0);
}

// Runs a Python script (written next to the fixtures) with arguments.
void python(const test::TempDir& dir, const std::string& script, const std::vector<std::string>& args) {
  const std::string file = dir.file("gen.py");
  std::ofstream(file) << script;
  std::string command = "python3 " + shell_quote(file);
  for (const auto& a : args) command += " " + shell_quote(a);
  run(command);
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Every path under root (relative), except those under `except`: what a zip-slip would change.
std::set<std::string> listing(const fs::path& root, const fs::path& except) {
  std::set<std::string> out;
  for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator(); ++it) {
    if (it->path() == except) {
      it.disable_recursion_pending();
      continue;
    }
    out.insert(fs::relative(it->path(), root).string());
  }
  return out;
}

std::int64_t total_bytes(const fs::path& dir) {
  std::int64_t n = 0;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.is_regular_file()) n += static_cast<std::int64_t>(e.file_size());
  return n;
}

// Images made once per test process: page1..page12, PNG frames of a moving test pattern (so all
// differ), except page5 JPEG, page7 GIF, page9 WebP, and page12 a PNG without extension. The frames
// those three replace stay as frame5/7/9.png.
struct Images {
  test::TempDir dir;
  std::vector<std::string> names;  // page1.png … page12, in natural order
  fs::path src() const { return dir.path() / "src"; }
};

const Images& images() {
  static const std::unique_ptr<Images> made = [] {
    auto im = std::make_unique<Images>();
    fs::create_directories(im->src());
    const std::string src = im->src().string();
    run("ffmpeg -nostdin -v error -y -f lavfi -i testsrc2=size=64x48:rate=5 -frames:v 12 " +
        shell_quote(src + "/frame%d.png"));
    run("ffmpeg -nostdin -v error -y -f lavfi -i color=c=blue:s=64x48 -frames:v 1 " + shell_quote(src + "/page5.jpg"));
    run("ffmpeg -nostdin -v error -y -f lavfi -i color=c=green:s=64x48 -frames:v 1 " + shell_quote(src + "/page7.gif"));
    run("ffmpeg -nostdin -v error -y -f lavfi -i color=c=red:s=64x48 -frames:v 1 -c:v libwebp " +
        shell_quote(src + "/page9.webp"));
    for (int n = 1; n <= 12; ++n) {
      const std::string frame = src + "/frame" + std::to_string(n) + ".png";
      std::string name = "page" + std::to_string(n) + (n == 12 ? "" : ".png");
      if (n == 5) name = "page5.jpg";
      if (n == 7) name = "page7.gif";
      if (n == 9) name = "page9.webp";
      if (name.ends_with(".png") || n == 12) fs::rename(frame, src + "/" + name);
      im->names.push_back(name);
    }
    return im;
  }();
  return *made;
}

std::string mime_of(const std::string& name) {
  if (name.ends_with(".jpg")) return "image/jpeg";
  if (name.ends_with(".gif")) return "image/gif";
  if (name.ends_with(".webp")) return "image/webp";
  return "image/png";
}

struct Extraction {
  test::TempDir dir;
  fs::path dest = dir.path() / "work" / "dest";
  Extraction() { fs::create_directories(dest); }
  std::string zip(const std::string& name = "in.zip") const { return dir.file(name); }
  Result<ExtractReport> extract(const std::string& zip_path, const ArchiveLimits& limits = {},
                                const std::function<void(int)>& progress = {}) const {
    return extract_zip_images(zip_path, dest.string(), limits, progress);
  }
};

void check_refused(const Result<ExtractReport>& r, const std::string& message_part) {
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == ErrorCode::invalid);
  INFO(r.error().message);
  CHECK(r.error().message.find(message_part) != std::string::npos);
}

}  // namespace

TEST_CASE("check_entry_name normalises relative names") {
  const std::pair<std::string, std::string> ok[] = {
      {"a.png", "a.png"},
      {"./a//b/", "a/b"},
      {"a/./b/./c.png", "a/b/c.png"},
      {"a\\b\\c.png", "a/b/c.png"},
      {"Ordner mit Leerzeichen/Bild ä.png", "Ordner mit Leerzeichen/Bild ä.png"},
      {"日本/写真.jpg", "日本/写真.jpg"},
      {"x/C:/y.png", "x/C:/y.png"},  // only a first component names a drive
      {"...png", "...png"},          // dots inside a name are not a ".." component
      {std::string(1024, 'a'), std::string(1024, 'a')},
  };
  for (const auto& pair : ok) {
    const std::string& in = pair.first;
    const std::string& want = pair.second;
    CAPTURE(in);
    auto r = check_entry_name(in);
    REQUIRE_MESSAGE(r.ok(), r.error().message);
    CHECK(*r == want);
    auto again = check_entry_name(*r);  // idempotent
    REQUIRE(again.ok());
    CHECK(*again == *r);
  }
  std::string deep;
  for (int i = 0; i < 32; ++i) deep += (i ? "/" : "") + std::string("d");
  CHECK(check_entry_name(deep).ok());
}

TEST_CASE("check_entry_name refuses unsafe names") {
  std::string too_deep;
  for (int i = 0; i < 33; ++i) too_deep += (i ? "/" : "") + std::string("d");
  const std::string bad[] = {
      "",
      "/abs.png",
      "\\abs.png",
      "\\\\server\\share\\x.png",
      "C:\\x.png",
      "C:/x.png",
      "c:x.png",
      "./C:/x.png",
      "../evil.png",
      "..\\x.png",
      "a/../../x.png",
      "a/../b.png",  // stays inside, but ".." is refused outright
      "a/..",
      "..",
      ".",
      "./",
      "//",
      std::string("a\0b.png", 7),
      "a\x01.png",
      "a\nb.png",
      "a\x7f.png",
      "a\xc2\x85.png",   // U+0085, a C1 control
      "\xff.png",        // not UTF-8
      "\xc0\xaf.png",    // overlong '/'
      "\xed\xa0\x80.png",  // a surrogate
      "caf\xe9.png",     // Latin-1
      std::string(1025, 'a'),
      too_deep,
  };
  for (const auto& name : bad) {
    CAPTURE(name);
    auto r = check_entry_name(name);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == ErrorCode::invalid);
    // The message names the entry safely: no raw control bytes or invalid UTF-8 in it.
    for (unsigned char c : r.error().message) CHECK((c >= 0x20 && c != 0x7f));
  }
  CHECK(check_entry_name("../evil.png").error().message.find("'../evil.png'") != std::string::npos);
}

TEST_CASE("is_archive_junk knows what archivers add") {
  for (const char* junk : {"__MACOSX/book/._page1.png", "__MACOSX", "book/._page1.png", "._x", "book/.DS_Store",
                           "Thumbs.db", "a/thumbs.db", "desktop.ini", "a/Desktop.ini"})
    CHECK_MESSAGE(is_archive_junk(junk), junk);
  for (const char* fine : {"book/page1.png", "MACOSX/a.png", "a._b.png", "a/.hidden.png", "Thumbs.db.png", ""})
    CHECK_FALSE_MESSAGE(is_archive_junk(fine), fine);
}

TEST_CASE("natural_less orders digit runs by value") {
  CHECK(natural_less("page2", "page10"));
  CHECK_FALSE(natural_less("page10", "page2"));
  CHECK(natural_less("page.2", "page.10"));
  CHECK(natural_less("page2.png", "page10.png"));
  CHECK(natural_less("a/page9.png", "a/page10.png"));
  CHECK(natural_less("page", "page1"));
  CHECK(natural_less("page1", "page1a"));
  CHECK(natural_less("", "a"));
  CHECK_FALSE(natural_less("", ""));
  // Case-insensitive for ASCII; the bytes decide between "A" and "a" so the order stays total.
  CHECK(natural_less("a", "B"));
  CHECK(natural_less("B", "c"));
  CHECK(natural_less("A", "a"));
  CHECK_FALSE(natural_less("a", "A"));
  CHECK(natural_less("Page2", "page10"));
  // Leading zeros: equal values tie, fewer zeros first; deterministic either way round.
  CHECK(natural_less("1", "01"));
  CHECK_FALSE(natural_less("01", "1"));
  CHECK(natural_less("01", "2"));
  CHECK(natural_less("x1y01", "x01y1"));
  CHECK(natural_less("img007", "img8"));
  // Digit runs longer than any integer: by length once zeros are stripped, then digit by digit.
  CHECK(natural_less("99999999999999999999999", "100000000000000000000000"));
  CHECK_FALSE(natural_less("100000000000000000000000", "99999999999999999999999"));
  CHECK(natural_less("p99999999999999999999999999999999x", "p0000100000000000000000000000000000000"));
  CHECK(natural_less("p123456789012345678901234567890", "p123456789012345678901234567891"));
}

TEST_CASE("natural_less is a strict total order") {
  const std::vector<std::string> s = {
      "", "0", "00", "000", "1", "01", "001", "10", "010", "2", "a", "A", "b", "B", "a0", "a00", "a1", "a01", "a01b",
      "a1b", "a1B", "A1b", "a10", "a2", "page", "Page", "page1", "page01", "page2", "page10", "page.2", "page.10",
      "page 2", "page_2", "page-2", "page2.png", "page10.png", "99999999999999999999999",
      "100000000000000000000000", "0099999999999999999999999", "x1y01", "x01y1", "x1y1", "\xc3\xa4", "z", "Z",
      std::string("a\0b", 3), "\x7f", "~", "[", "_", "9", ":", "/",
  };
  for (const auto& x : s) {
    CAPTURE(x);
    CHECK_FALSE(natural_less(x, x));
    for (const auto& y : s) {
      CAPTURE(y);
      const bool xy = natural_less(x, y), yx = natural_less(y, x);
      CHECK(!(xy && yx));
      if (x != y) CHECK((xy || yx));  // total: distinct strings are never equivalent
      for (const auto& z : s)
        if (xy && natural_less(y, z)) CHECK(natural_less(x, z));  // transitive
    }
  }
  std::vector<std::string> pages = {"page10.png", "page1.png", "page2.png", "Page3.png", "page20.png", "page02.png"};
  std::sort(pages.begin(), pages.end(), natural_less);
  CHECK(pages == std::vector<std::string>{"page1.png", "page2.png", "page02.png", "Page3.png", "page10.png", "page20.png"});
}

TEST_CASE("a folder archive yields its images in natural order") {
  const Images& im = images();
  Extraction x;
  // Entries in a shuffled order, nested folders, directory entries, a text file, a non-image named
  // .png, and the junk macOS and Windows add (one of them holding PNG bytes).
  python(x.dir, R"PY(
import sys, zipfile
out, src = sys.argv[1], sys.argv[2]
names = sys.argv[3:]
order = [7, 12, 1, 10, 2, 11, 3, 9, 4, 8, 5, 6]
with zipfile.ZipFile(out, 'w', zipfile.ZIP_DEFLATED) as z:
    z.writestr('book/', b'')
    z.writestr('book/scans/', b'')
    for n in order:
        z.write(src + '/' + names[n - 1], 'book/scans/' + names[n - 1])
    z.writestr('book/readme.txt', 'scanned in 2024\n' * 100)
    z.writestr('book/scans/notes.png', 'not really an image')
    z.write(src + '/page1.png', '__MACOSX/book/scans/._page1.png')
    z.writestr('book/.DS_Store', b'\0\0\0\1Bud1' + b'\0' * 100)
    z.writestr('book/scans/Thumbs.db', b'\xd0\xcf\x11\xe0' + b'\0' * 100)
)PY",
         [&] {
           std::vector<std::string> a{x.zip(), im.src().string()};
           a.insert(a.end(), im.names.begin(), im.names.end());
           return a;
         }());
  std::vector<int> percents;
  auto r = x.extract(x.zip(), {}, [&](int p) { percents.push_back(p); });
  REQUIRE_MESSAGE(r.ok(), r.error().message);
  REQUIRE(r->images.size() == 12);
  std::int64_t image_bytes = 0;
  for (std::size_t i = 0; i < 12; ++i) {
    const ExtractedImage& img = r->images[i];
    const std::string& name = im.names[i];
    CAPTURE(name);
    CHECK(img.path == "book/scans/" + name);
    CHECK(img.mime == mime_of(name));
    char expected[32];
    std::snprintf(expected, sizeof expected, "%06zu.", i + 1);
    const std::string ext = img.mime == "image/jpeg" ? "jpg" : img.mime.substr(6);
    CHECK(fs::path(img.file) == x.dest / (expected + ext));
    CHECK(slurp(img.file) == slurp(im.src() / name));
    CHECK(img.size == static_cast<std::int64_t>(fs::file_size(img.file)));
    image_bytes += img.size;
  }
  CHECK(r->skipped == 5);  // readme.txt, notes.png, ._page1.png, .DS_Store, Thumbs.db
  CHECK(r->expanded_bytes > image_bytes);  // skipped files were inflated too
  // Only the numbered files are left in the folder.
  std::set<std::string> files;
  for (const auto& e : fs::directory_iterator(x.dest)) files.insert(e.path().filename().string());
  CHECK(files.size() == 12);
  CHECK(files.count("000001.png") == 1);
  CHECK(files.count("000010.png") == 1);
  CHECK(files.count("000012.png") == 1);
  // Progress only grows, and ends at 100.
  REQUIRE_FALSE(percents.empty());
  CHECK(std::is_sorted(percents.begin(), percents.end()));
  CHECK(std::adjacent_find(percents.begin(), percents.end()) == percents.end());
  CHECK(percents.back() == 100);
}

TEST_CASE("entry names: UTF-8 is kept, other encodings are refused clearly") {
  const Images& im = images();
  Extraction x;
  // zipfile flags non-ASCII names as UTF-8 (bit 11). An old Windows archiver writes its OEM code
  // page without the flag instead: made here by encoding one name as CP437.
  python(x.dir, R"PY(
import sys, zipfile
out, png = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(out, 'w') as z:
    z.write(png, 'Urlaub/Straße 2.png')
)PY",
         {x.zip(), (im.src() / "page1.png").string()});
  auto r = x.extract(x.zip());
  REQUIRE_MESSAGE(r.ok(), r.error().message);
  REQUIRE(r->images.size() == 1);
  CHECK(r->images[0].path == "Urlaub/Straße 2.png");

  Extraction y;
  python(y.dir, R"PY(
import sys, zipfile
out, png = sys.argv[1], sys.argv[2]
class Cp437Info(zipfile.ZipInfo):
    def _encodeFilenameFlags(self):
        return self.filename.encode('cp437'), self.flag_bits
with zipfile.ZipFile(out, 'w') as z:
    z.write(png, 'Urlaub/Straße 2.png')
    z.writestr(Cp437Info('Urlaub/Straße 10.png'), open(png, 'rb').read())
)PY",
         {y.zip(), (im.src() / "page1.png").string()});
  check_refused(y.extract(y.zip()), "has a name that is not valid UTF-8");
}

TEST_CASE("zip-slip names refuse the archive and nothing lands outside the folder") {
  const Images& im = images();
  const std::vector<std::string> names = {"../evil.png", "/abs.png", "a/../../x.png", "C:\\x.png", "..\\x.png",
                                          "C:/x.png", "\\\\server\\share\\x.png", "../../../../../../../tmp/evil.png"};
  // slipN.zip: one good image, then an entry under names[N] (PNG bytes).
  test::TempDir zips;
  std::vector<std::string> args = {zips.path().string(), (im.src() / "page1.png").string()};
  args.insert(args.end(), names.begin(), names.end());
  python(zips, R"PY(
import sys, zipfile
out_dir, png, names = sys.argv[1], sys.argv[2], sys.argv[3:]
data = open(png, 'rb').read()
for i, name in enumerate(names):
    with zipfile.ZipFile('%s/slip%d.zip' % (out_dir, i), 'w', zipfile.ZIP_DEFLATED) as z:
        z.writestr('ok.png', data)
        z.writestr(zipfile.ZipInfo(name), data)   # ZipInfo keeps the name as given
)PY",
         args);
  for (std::size_t i = 0; i < names.size(); ++i) {
    const std::string& name = names[i];
    CAPTURE(name);
    Extraction x;
    fs::copy_file(zips.file("slip" + std::to_string(i) + ".zip"), x.zip());
    const bool abs_existed = fs::exists("/abs.png"), tmp_existed = fs::exists("/tmp/evil.png");
    const auto before = listing(x.dir.path(), x.dest);
    auto r = x.extract(x.zip());
    check_refused(r, "archive entry '");
    CHECK(listing(x.dir.path(), x.dest) == before);
    CHECK(fs::exists("/abs.png") == abs_existed);
    CHECK(fs::exists("/tmp/evil.png") == tmp_existed);
    // What was written before the refusal is a numbered temporary, inside the folder.
    for (const auto& e : fs::directory_iterator(x.dest)) {
      CHECK(e.is_regular_file());
      CHECK(e.path().filename().string().starts_with("tmp-"));
    }
  }
}

TEST_CASE("a symbolic link entry refuses the archive") {
  const Images& im = images();
  Extraction x;
  python(x.dir, R"PY(
import sys, zipfile
out, png = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(out, 'w') as z:
    z.write(png, 'a.png')
    link = zipfile.ZipInfo('b.png')
    link.create_system = 3                  # Unix, so the mode in external_attr counts
    link.external_attr = 0o120777 << 16     # S_IFLNK | 0777
    z.writestr(link, '../../../../etc/passwd')
)PY",
         {x.zip(), (im.src() / "page1.png").string()});
  check_refused(x.extract(x.zip()), "entry 'b.png' is a symbolic link; links are not allowed");
}

TEST_CASE("device and socket entries refuse the archive") {
  // (libarchive's ZIP reader turns a FIFO mode into a regular file, which is harmless: only bytes
  // are ever written.)
  const Images& im = images();
  test::TempDir zips;
  python(zips, R"PY(
import sys, zipfile
out_dir, png = sys.argv[1], sys.argv[2]
for name, mode in [('tty', 0o020644), ('disk', 0o060644), ('sock', 0o140644)]:
    with zipfile.ZipFile('%s/%s.zip' % (out_dir, name), 'w') as z:
        z.write(png, 'a.png')
        special = zipfile.ZipInfo(name)
        special.create_system = 3               # Unix, so the mode in external_attr counts
        special.external_attr = mode << 16
        z.writestr(special, '')
)PY",
         {zips.path().string(), (im.src() / "page1.png").string()});
  for (const std::string name : {"tty", "disk", "sock"}) {
    CAPTURE(name);
    Extraction x;
    check_refused(x.extract(zips.file(name + ".zip")), "entry '" + name + "' is a device, FIFO or socket");
  }
}

TEST_CASE("too many entries refuse the archive") {
  const Images& im = images();
  Extraction x;
  python(x.dir, R"PY(
import sys, zipfile
out, png = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(out, 'w') as z:
    z.write(png, 'a.png')
    for i in range(60):
        z.writestr('t/%d.txt' % i, 'x')
)PY",
         {x.zip(), (im.src() / "page1.png").string()});
  ArchiveLimits limits;
  limits.max_entries = 50;
  check_refused(x.extract(x.zip(), limits), "more than 50 entries");
  fs::remove_all(x.dest);
  fs::create_directories(x.dest);
  limits.max_entries = 61;
  CHECK(x.extract(x.zip(), limits).ok());
}

TEST_CASE("zip bombs are refused early") {
  const Images& im = images();
  Extraction x;
  // 200 MB of zeros deflate to about 200 KB: a 1000:1 ratio, well over the default 200:1. Written in
  // chunks so Python does not hold it; stored as a .txt, so it is drained, not written.
  python(x.dir, R"PY(
import sys, zipfile
out, png = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(out, 'w', zipfile.ZIP_DEFLATED, compresslevel=9) as z:
    z.write(png, 'a.png')
    with z.open('zeros.txt', 'w', force_zip64=True) as f:
        chunk = bytes(1 << 20)
        for _ in range(200):
            f.write(chunk)
)PY",
         {x.zip("bomb.zip"), (im.src() / "page1.png").string()});
  const auto zip_size = static_cast<std::int64_t>(fs::file_size(x.zip("bomb.zip")));
  CHECK(zip_size < (1 << 20));
  const auto t0 = std::chrono::steady_clock::now();
  check_refused(x.extract(x.zip("bomb.zip")), "compression ratio over 200:1 (a zip bomb?)");
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(20));
  CHECK(total_bytes(x.dest) < (1 << 20));

  // A small expansion limit refuses it too, before the ratio is looked at (under 16 MiB).
  fs::remove_all(x.dest);
  fs::create_directories(x.dest);
  ArchiveLimits limits;
  limits.max_expanded_bytes = 4 << 20;
  check_refused(x.extract(x.zip("bomb.zip"), limits), "the archive expands to more than 4194304 bytes");
  CHECK(total_bytes(x.dest) < (1 << 20));
}

TEST_CASE("a bomb posing as an image is cut off at the limits") {
  Extraction x;
  // PNG magic followed by 20 MB of zeros: sniffed as an image, so its bytes are written until a
  // limit stops them.
  python(x.dir, R"PY(
import sys, zipfile
out = sys.argv[1]
with zipfile.ZipFile(out, 'w', zipfile.ZIP_DEFLATED, compresslevel=9) as z:
    with z.open('bomb.png', 'w') as f:
        f.write(b'\x89PNG\r\n\x1a\n')
        for _ in range(20):
            f.write(bytes(1 << 20))
)PY",
         {x.zip()});
  ArchiveLimits limits;
  limits.max_expanded_bytes = 1 << 20;
  check_refused(x.extract(x.zip(), limits), "the archive expands to more than 1048576 bytes");
  CHECK(total_bytes(x.dest) <= (1 << 20));

  // One image over max_entry_bytes.
  fs::remove_all(x.dest);
  fs::create_directories(x.dest);
  ArchiveLimits one;
  one.max_entry_bytes = 2 << 20;
  check_refused(x.extract(x.zip(), one), "entry 'bomb.png' expands to more than 2097152 bytes");
  CHECK(total_bytes(x.dest) <= (2 << 20));
}

TEST_CASE("an encrypted entry refuses the archive") {
  // Python's zipfile cannot write encrypted archives; Info-ZIP's zip (ZipCrypto) can, when installed.
  if (std::system("command -v zip >/dev/null 2>&1") != 0) {
    MESSAGE("skipped: Info-ZIP's zip is not installed");
    return;
  }
  const Images& im = images();
  Extraction x;
  run("cd " + shell_quote(im.src().string()) + " && zip -q -P secret " + shell_quote(x.zip()) + " page1.png page2.png");
  check_refused(x.extract(x.zip()), "entry 'page1.png' is encrypted");
}

TEST_CASE("corrupt, truncated and foreign files are invalid") {
  const Images& im = images();
  Extraction x;
  python(x.dir, R"PY(
import sys, zipfile
out, src = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(out, 'w', zipfile.ZIP_DEFLATED) as z:
    for n in range(1, 5):
        z.write('%s/page%d.png' % (src, n), 'page%d.png' % n)
)PY",
         {x.zip(), im.src().string()});
  const std::string good = slurp(x.zip());
  REQUIRE(good.size() > 2000);
  REQUIRE(x.extract(x.zip()).ok());

  std::string flipped = good;  // the first entry's deflated bytes start after its 30+9-byte header
  for (std::size_t i = 60; i < 300; i += 7) flipped[i] = static_cast<char>(flipped[i] ^ 0x5a);
  const std::size_t central = good.find("PK\x01\x02");
  REQUIRE(central != std::string::npos);
  std::ofstream(x.zip("cut.zip"), std::ios::binary) << good.substr(0, good.size() / 2);
  std::ofstream(x.zip("cut-last.zip"), std::ios::binary) << good.substr(0, central - 20);  // inside the last entry
  std::ofstream(x.zip("flip.zip"), std::ios::binary) << flipped;
  std::ofstream(x.zip("empty.zip")) << "";
  for (const std::string& bad : {x.zip("cut.zip"), x.zip("cut-last.zip"), x.zip("flip.zip"), x.zip("empty.zip"),
                                 (im.src() / "page1.png").string()}) {
    CAPTURE(bad);
    Extraction y;
    auto r = y.extract(bad);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == ErrorCode::invalid);
  }

  // Without its end record the central directory is not found, and libarchive reads the entries
  // from their local headers instead: every entry is complete and CRC-checked, so that is fine.
  std::ofstream(x.zip("no-end.zip"), std::ios::binary) << good.substr(0, good.size() - 10);
  Extraction z;
  auto r = z.extract(x.zip("no-end.zip"));
  REQUIRE_MESSAGE(r.ok(), r.error().message);
  CHECK(r->images.size() == 4);
}

TEST_CASE("an archive without images is invalid") {
  Extraction x;
  python(x.dir, R"PY(
import sys, zipfile
with zipfile.ZipFile(sys.argv[1], 'w', zipfile.ZIP_DEFLATED) as z:
    z.writestr('docs/readme.txt', 'hello')
    z.writestr('docs/fake.png', 'not a png')
    z.writestr('docs/', b'')
)PY",
         {x.zip()});
  check_refused(x.extract(x.zip()), "the archive holds no images (PNG, JPEG, GIF, WebP)");
}

TEST_CASE("extraction needs an empty folder") {
  const Images& im = images();
  Extraction x;
  std::ofstream(x.dest / "000001.png") << "old";
  auto r = x.extract((im.src() / "page1.png").string());
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == ErrorCode::internal);
  CHECK(slurp(x.dest / "000001.png") == "old");
}

TEST_CASE("write_zip packs files that extract to the same bytes in natural order") {
  const Images& im = images();
  Extraction x;
  const fs::path src = im.src();
  const std::vector<std::pair<std::string, std::string>> entries = {
      {"upload/page10.png", (src / "page10.png").string()},
      {"upload/page2.png", (src / "page2.png").string()},
      {"upload/./Seite ä 1.jpg", (src / "page5.jpg").string()},
      {"upload/notes.png", (src / "frame5.png").string()},  // not renamed: frame5 is page5's unused PNG
  };
  REQUIRE(fs::exists(src / "frame5.png"));
  auto w = write_zip(x.zip("out.zip"), entries);
  REQUIRE_MESSAGE(w.ok(), w.error().message);

  // Another reader agrees: every entry stored (no compression), names in UTF-8, CRCs right.
  python(x.dir, R"PY(
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    assert z.testzip() is None
    infos = z.infolist()
    assert [i.filename for i in infos] == ['upload/page10.png', 'upload/page2.png', 'upload/Seite ä 1.jpg',
                                           'upload/notes.png'], [i.filename for i in infos]
    assert all(i.compress_type == zipfile.ZIP_STORED for i in infos)
)PY",
         {x.zip("out.zip")});

  auto r = x.extract(x.zip("out.zip"));
  REQUIRE_MESSAGE(r.ok(), r.error().message);
  REQUIRE(r->images.size() == 4);
  CHECK(r->images[0].path == "upload/notes.png");
  CHECK(r->images[1].path == "upload/page2.png");
  CHECK(r->images[2].path == "upload/page10.png");
  CHECK(r->images[3].path == "upload/Seite ä 1.jpg");
  CHECK(slurp(r->images[0].file) == slurp(src / "frame5.png"));
  CHECK(slurp(r->images[1].file) == slurp(src / "page2.png"));
  CHECK(slurp(r->images[2].file) == slurp(src / "page10.png"));
  CHECK(slurp(r->images[3].file) == slurp(src / "page5.jpg"));
  CHECK(r->images[3].mime == "image/jpeg");
  CHECK(fs::path(r->images[3].file).filename() == "000004.jpg");

  SUBCASE("a bad name is refused before anything is written") {
    auto bad = write_zip(x.zip("bad.zip"), {{"ok.png", (src / "page1.png").string()}, {"../x.png", (src / "page2.png").string()}});
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.error().code == ErrorCode::invalid);
    CHECK_FALSE(fs::exists(x.zip("bad.zip")));
  }
  SUBCASE("a missing file is unavailable and leaves no partial ZIP") {
    auto bad = write_zip(x.zip("bad.zip"), {{"ok.png", (src / "page1.png").string()}, {"gone.png", x.dir.file("gone.png")}});
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.error().code == ErrorCode::unavailable);
    CHECK_FALSE(fs::exists(x.zip("bad.zip")));
  }
}
