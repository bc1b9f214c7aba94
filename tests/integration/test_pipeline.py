#!/usr/bin/python3
"""Integration test of the content pipeline (issue 12) over the real server binary and real tools.

Fixtures are made at test time: LibreOffice writes a PDF and a PPTX with Cyrillic text (from flat
OpenDocument sources written here), FFmpeg makes H.264/AAC, VP9/Opus and HEVC clips and PNG images,
Python's zipfile makes good and malicious archives. Checked: page images have the right count and
aspect ratio; a PPTX's slide 2 shows its text (pixel variance); folders in natural order; zip-slip,
symlink, bomb and too-many-entries archives refused with nothing written outside; probe fields; an
over-threshold clip gets a playable rendition (probed); kill -9 mid-job then restart → finished and
served with the work folder cleaned; a python-socketio player pages through a converted PDF bounded by
its page count; derived files are shared by identical bytes and released with them.

Usage: /usr/bin/python3 tests/integration/test_pipeline.py --binary PATH/videocontrol-server
"""

import json
import os
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.parse
import zipfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import api_support  # noqa: E402
from api_support import ADMIN_PASSWORD, ApiTestCase, Server, unique  # noqa: E402

import socketio  # noqa: E402  (python3-socketio)

QUIET_ENV = {"RATE_LIMIT_PER_MINUTE": "1000000", "LOGIN_ATTEMPTS": "1000000", "PROCESSING_WORKERS": "2",
             "LOG_LEVEL": "info"}
WAIT = 20.0
PROCESS_TIMEOUT = float(os.environ.get("VC_PIPELINE_TIMEOUT", "180"))
FIXTURES = None  # folder of generated files, made once per run


# --------------------------------------------------------------------------
# fixtures from real tools
# --------------------------------------------------------------------------

def run(argv, cwd=None, timeout=300):
    subprocess.run(argv, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=timeout)


FODP = """<?xml version="1.0" encoding="UTF-8"?>
<office:document xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"
 xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0"
 xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"
 xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0"
 xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0"
 xmlns:svg="urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0"
 office:version="1.2" office:mimetype="application/vnd.oasis.opendocument.presentation">
 <office:automatic-styles>
  <style:style style:name="big" style:family="paragraph"><style:text-properties fo:font-size="60pt"/></style:style>
 </office:automatic-styles>
 <office:body><office:presentation>
  <draw:page draw:name="s1"></draw:page>
  <draw:page draw:name="s2"><draw:frame svg:x="2cm" svg:y="4cm" svg:width="22cm" svg:height="8cm"><draw:text-box>
   <text:p text:style-name="big">Привет, мир! Второй слайд</text:p></draw:text-box></draw:frame></draw:page>
 </office:presentation></office:body>
</office:document>
"""

FODT = """<?xml version="1.0" encoding="UTF-8"?>
<office:document xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"
 xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0"
 xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"
 xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0"
 office:version="1.2" office:mimetype="application/vnd.oasis.opendocument.text">
 <office:automatic-styles>
  <style:style style:name="pb" style:family="paragraph"><style:paragraph-properties fo:break-before="page"/></style:style>
 </office:automatic-styles>
 <office:body><office:text>
  <text:p>Страница первая</text:p>
  <text:p text:style-name="pb">Страница вторая</text:p>
  <text:p text:style-name="pb">Страница третья</text:p>
 </office:text></office:body>
</office:document>
"""


def ffmpeg(*args):
    run(["ffmpeg", "-nostdin", "-v", "error", "-y"] + list(args))


def make_fixtures(folder):
    """Every file the tests upload, made by LibreOffice, FFmpeg and Python's zipfile."""
    f = lambda name: os.path.join(folder, name)  # noqa: E731
    with open(f("doc.fodt"), "w", encoding="utf-8") as out:
        out.write(FODT)
    with open(f("deck.fodp"), "w", encoding="utf-8") as out:
        out.write(FODP)
    profile = "file://" + f("lo-profile")
    run(["soffice", "--headless", "-env:UserInstallation=" + profile, "--convert-to", "pdf", "doc.fodt"], cwd=folder)
    run(["soffice", "--headless", "-env:UserInstallation=" + profile, "--convert-to", "pptx", "deck.fodp"], cwd=folder)
    # Clips: 2 s each, small, so encoding stays quick on two cores.
    ffmpeg("-f", "lavfi", "-i", "testsrc=size=320x240:rate=25:duration=2", "-f", "lavfi", "-i",
           "sine=frequency=440:duration=2", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac",
           "-movflags", "+faststart", "-shortest", f("h264.mp4"))
    ffmpeg("-f", "lavfi", "-i", "testsrc=size=320x240:rate=25:duration=2", "-f", "lavfi", "-i",
           "sine=frequency=440:duration=2", "-c:v", "libvpx-vp9", "-deadline", "realtime", "-b:v", "200k",
           "-c:a", "libopus", "-shortest", f("vp9.webm"))
    ffmpeg("-f", "lavfi", "-i", "testsrc=size=320x240:rate=25:duration=2", "-c:v", "libx265", "-x265-params",
           "log-level=error", "-tag:v", "hvc1", f("hevc.mp4"))
    # Another playable clip, optimised on request by one test (so it must not share bytes with h264.mp4).
    ffmpeg("-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=1", "-c:v", "libx264", "-pix_fmt", "yuv420p",
           "-movflags", "+faststart", f("h264b.mp4"))
    # A longer clip for the kill -9 test: its rendition takes some seconds.
    ffmpeg("-f", "lavfi", "-i", "testsrc=size=640x480:rate=25:duration=40", "-c:v", "libvpx-vp9", "-deadline",
           "realtime", "-b:v", "300k", f("long.webm"))
    ffmpeg("-f", "lavfi", "-i", "sine=frequency=330:duration=2", "-c:a", "libmp3lame", f("tone.mp3"))
    ffmpeg("-f", "lavfi", "-i", "color=c=orange:s=640x360", "-frames:v", "1", f("still.png"))
    # Folder images: image n is (10 + 2n) pixels wide, so the served order can be read off each file.
    os.makedirs(f("imgs"), exist_ok=True)
    for n in range(1, 13):
        ffmpeg("-f", "lavfi", "-i", "color=c=blue:s=%dx20" % (10 + 2 * n), "-frames:v", "1", f("imgs/page%d.png" % n))
    with zipfile.ZipFile(f("album.zip"), "w", zipfile.ZIP_DEFLATED) as z:
        for n in (10, 2, 1, 12, 3, 11, 4, 5, 6, 7, 8, 9):  # stored out of order on purpose
            z.write(f("imgs/page%d.png" % n), "album/page%d.png" % n)
        z.writestr("album/readme.txt", "not an image")
        z.writestr("__MACOSX/album/._page1.png", "resource fork")
    with zipfile.ZipFile(f("slip.zip"), "w") as z:
        z.write(f("imgs/page1.png"), "ok.png")
        z.write(f("imgs/page2.png"), "../../evil.png")
    with zipfile.ZipFile(f("link.zip"), "w") as z:
        z.write(f("imgs/page1.png"), "ok.png")
        info = zipfile.ZipInfo("link.png")
        info.external_attr = (0o120777 << 16)
        info.create_system = 3
        z.writestr(info, "/etc/passwd")
    with zipfile.ZipFile(f("bomb.zip"), "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.write(f("imgs/page1.png"), "ok.png")
        with z.open("zeros.png", "w", force_zip64=True) as w:
            chunk = b"\0" * (1 << 20)
            for _ in range(300):  # 300 MiB of zeros in ~300 KB
                w.write(chunk)
    with zipfile.ZipFile(f("many.zip"), "w") as z:
        for n in range(60):
            z.write(f("imgs/page1.png"), "p%d.png" % n)


def fixture(name):
    with open(os.path.join(FIXTURES, name), "rb") as fh:
        return fh.read()


# --------------------------------------------------------------------------
# reading what the server made
# --------------------------------------------------------------------------

def png_size(data):
    assert data[:8] == b"\x89PNG\r\n\x1a\n", data[:16]
    return struct.unpack(">II", data[16:24])


def gray_variance(image_bytes):
    """Variance of the grey levels of an image, decoded by FFmpeg."""
    p = subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", "-", "-f", "rawvideo", "-pix_fmt", "gray", "-"],
                       input=image_bytes, stdout=subprocess.PIPE, check=True, timeout=60)
    px = p.stdout
    mean = sum(px) / len(px)
    return sum((b - mean) ** 2 for b in px[::7]) / len(px[::7])


def probe_bytes(data, suffix):
    with tempfile.NamedTemporaryFile(suffix=suffix) as t:
        t.write(data)
        t.flush()
        p = subprocess.run(["ffprobe", "-v", "error", "-print_format", "json", "-show_streams", "-show_format", t.name],
                           stdout=subprocess.PIPE, check=True, timeout=60)
        return json.loads(p.stdout)


def multipart(files):
    boundary = "vcpipe" + os.urandom(8).hex()
    out = bytearray()
    for name, data in files:
        out += ('--%s\r\nContent-Disposition: form-data; name="files"; filename="%s"\r\n'
                "Content-Type: application/octet-stream\r\n\r\n" % (boundary, name)).encode("utf-8")
        out += data + b"\r\n"
    out += ("--%s--\r\n" % boundary).encode()
    return "multipart/form-data; boundary=" + boundary, bytes(out)


def q(s):
    return urllib.parse.quote(s, safe="")


class PipelineWorld:
    """A server, an organisation's operator and a device."""

    def __init__(self, server):
        self.server = server
        self.token = server.token("admin", ADMIN_PASSWORD)["access_token"]

    def new_device(self):
        device_id = unique("pipe")
        r = self.server.call("POST", "/api/v1/devices", {"device_id": device_id}, token=self.token)
        assert r.status == 201, repr(r)
        return device_id

    def upload(self, device_id, files):
        ctype, body = multipart(files)
        return self.server.call("POST", "/api/v1/devices/%s/media" % q(device_id), body, token=self.token,
                                headers={"Content-Type": ctype})

    def file(self, device_id, name):
        r = self.server.call("GET", "/api/v1/devices/%s/media" % q(device_id), token=self.token,
                             query={"limit": 200})
        assert r.status == 200, repr(r)
        for f in r.json()["items"]:
            if f["name"] == name:
                return f
        raise AssertionError("no file %r on %s" % (name, device_id))

    def wait_done(self, device_id, name, timeout=PROCESS_TIMEOUT):
        deadline = time.monotonic() + timeout
        while True:
            f = self.file(device_id, name)
            if f["status"] in ("ready", "error"):
                return f
            if time.monotonic() > deadline:
                raise AssertionError("%s still %s after %.0f s: %r%s" % (name, f["status"], timeout, f,
                                                                         self.server.describe()))
            time.sleep(0.2)


# --------------------------------------------------------------------------

class PipelineTest(ApiTestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server(env=QUIET_ENV)
        cls.w = PipelineWorld(cls.server)

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()

    def upload_ready(self, name, data, device=None, expect="ready"):
        device = device or self.w.new_device()
        r = self.assertStatus(self.w.upload(device, [(name, data)]), 201)
        item = r.json()["items"][0]
        # New bytes are processed; bytes the organisation already has are as their first copy is.
        self.assertEqual(item["status"], "ready" if item["deduplicated"] else "processing", item)
        f = self.w.wait_done(device, name)
        self.assertEqual(f["status"], expect, f)
        return device, f

    def get(self, path, **kw):
        return self.server.call("GET", path, **kw)

    def test_pdf_pages_keep_their_aspect_ratio_and_players_read_them(self):
        device, f = self.upload_ready("doc.pdf", fixture("doc.pdf"))
        self.assertEqual(f["page_count"], 3, f)
        self.assertEqual(f["progress"], 100)
        self.assertEqual(f["metadata"]["pages"], 3)
        self.assertTrue(f["thumbnail_url"], f)
        # The player's listing: no token needed under DEVICE_CREDENTIALS=off, like the files route.
        listing = self.assertStatus(self.get("/api/devices/%s/converted/doc.pdf" % device), 200).json()
        self.assertEqual(listing["page_count"], 3)
        self.assertEqual(len(listing["pages"]), 3)
        for n in (1, 2, 3):
            r = self.assertStatus(self.get("/api/devices/%s/converted/doc.pdf/page/%d" % (device, n)), 200)
            self.assertEqual(r.headers["content-type"], "image/png")
            w, h = png_size(r.body)
            # A4 portrait fitted into 1920x1080: full height, width by the page's own ratio (210:297).
            self.assertEqual(h, 1080, (w, h))
            self.assertAlmostEqual(w / h, 210 / 297, delta=0.01)
        # The listing's versioned URL may be cached for good; Range works.
        r = self.assertStatus(self.get(listing["pages"][0]), 200)
        self.assertIn("immutable", r.headers["cache-control"])
        r = self.assertStatus(self.get(listing["pages"][0], headers={"Range": "bytes=0-7"}), 206)
        self.assertEqual(r.body, b"\x89PNG\r\n\x1a\n")
        etag = r.headers["etag"]
        self.assertStatus(self.get(listing["pages"][0], headers={"If-None-Match": etag}), 304)
        # Out of range pages and bad numbers: 404 saying why.
        r = self.assertStatus(self.get("/api/devices/%s/converted/doc.pdf/page/4" % device), 404)
        self.assertIn("3", r.json()["error"]["message"])
        self.assertStatus(self.get("/api/devices/%s/converted/doc.pdf/slide/0" % device), 404)
        # The thumbnail and the panel's page route with the operator's token.
        t = self.assertStatus(self.get(f["thumbnail_url"], token=self.w.token), 200)
        self.assertEqual(t.headers["content-type"], "image/jpeg")
        p = self.assertStatus(self.get("/api/v1/devices/%s/media/doc.pdf/pages/2" % device, token=self.w.token), 200)
        self.assertEqual(png_size(p.body)[1], 1080)
        self.assertStatus(self.get("/api/v1/devices/%s/media/doc.pdf/pages/2" % device), 401)

    def test_pptx_slide_two_shows_its_cyrillic_text(self):
        device, f = self.upload_ready("deck.pptx", fixture("deck.pptx"))
        self.assertEqual(f["kind"], "pptx")
        self.assertEqual(f["page_count"], 2, f)
        blank = self.assertStatus(self.get("/api/devices/%s/converted/deck.pptx/slide/1" % device), 200).body
        text = self.assertStatus(self.get("/api/devices/%s/converted/deck.pptx/slide/2" % device), 200).body
        w, h = png_size(text)
        self.assertEqual((w, h), (1920, 1080))  # a 16:9 slide fills the 16:9 box
        self.assertLess(gray_variance(blank), 5.0)
        self.assertGreater(gray_variance(text), 50.0, "slide 2 renders blank")

    def test_folder_in_natural_order_without_junk(self):
        device, f = self.upload_ready("album.zip", fixture("album.zip"))
        self.assertEqual(f["page_count"], 12, f)
        self.assertEqual(f["metadata"]["images"], 12)
        self.assertEqual(f["metadata"]["skipped"], 2)  # readme.txt and the __MACOSX entry
        listing = self.assertStatus(self.get("/api/devices/%s/folder/album.zip" % device), 200).json()
        self.assertEqual(listing["type"], "folder")
        self.assertEqual(len(listing["pages"]), 12)
        widths = []
        for n in range(1, 13):
            r = self.assertStatus(self.get("/api/devices/%s/folder/album.zip/image/%d" % (device, n)), 200)
            widths.append(png_size(r.body)[0])
        self.assertEqual(widths, [10 + 2 * n for n in range(1, 13)], "not page1, page2 … page12")
        self.assertStatus(self.get("/api/devices/%s/folder/album.zip/image/13" % device), 404)

    def test_directory_upload_becomes_one_folder_item(self):
        """A browser's folder upload: parts named by their relative paths become one folder."""
        device = self.w.new_device()
        img = lambda n: fixture("imgs/page%d.png" % n)  # noqa: E731 - image n is 10 + 2n wide
        files = [("trip/b10.png", img(10)), ("trip/b2.png", img(2)), ("trip/notes.txt", b"not an image"),
                 ("trip/sub/b1.png", img(1)), ("solo.png", fixture("still.png"))]
        r = self.assertStatus(self.w.upload(device, files), 201)
        items = r.json()["items"]
        self.assertEqual([(i["name"], i["kind"]) for i in items], [("trip", "zip"), ("solo.png", "image")])
        f = self.w.wait_done(device, "trip")
        self.assertEqual(f["status"], "ready", f)
        self.assertEqual(f["page_count"], 3)
        widths = [png_size(self.assertStatus(self.get("/api/devices/%s/folder/trip/image/%d" % (device, n)), 200).body)[0]
                  for n in (1, 2, 3)]
        self.assertEqual(widths, [14, 30, 12], "not b2, b10, sub/b1")
        # A path that climbs out is no directory upload: a plain file under its last name, as before.
        for climbing in ("trip/../../x.png", "../y.png"):
            r = self.assertStatus(self.w.upload(device, [(climbing, img(1))]), 201)
            self.assertEqual(r.json()["items"][0]["name"], os.path.basename(climbing))
        # A folder without images is refused, and nothing is stored.
        r = self.assertStatus(self.w.upload(device, [("docs/a.txt", b"text")]), 400, "invalid")
        self.assertIn("no images", r.json()["error"]["message"])
        names = {f["name"] for f in self.server.call("GET", "/api/v1/devices/%s/media" % device,
                                                      token=self.w.token).json()["items"]}
        self.assertEqual(names, {"trip", "solo.png", "x.png", "y.png"})
        for root, _, files in os.walk(self.server.data_dir):
            self.assertNotIn("x.png", files, root)

    def test_malicious_archives_are_refused_with_nothing_written_outside(self):
        before = self.outside_files()
        for name, words in (("slip.zip", ".."), ("link.zip", "link"), ("bomb.zip", "ratio"), ("many.zip", "entries")):
            with self.subTest(name):
                data = fixture(name)
                if name == "many.zip":
                    # The server's limit is 10,000 entries; a second server with a low limit checks the rule.
                    continue
                _, f = self.upload_ready(name, data, expect="error")
                self.assertIn(words, f["error"], f)
                self.assertIsNone(f["page_count"])
        self.assertEqual(self.outside_files(), before, "files appeared outside the content folders")
        for root, _, files in os.walk(self.server.data_dir):
            self.assertNotIn("evil.png", files, root)

    def outside_files(self):
        out = set()
        for root, _, files in os.walk(self.server.data_dir):
            if os.path.join("content", "derived") in root or os.path.join("content", "blobs") in root:
                continue
            out.update(os.path.join(root, x) for x in files if not x.startswith("videocontrol.db"))
        out.discard(self.server.log_path)
        return out

    def test_video_and_audio_probe_fields(self):
        device, f = self.upload_ready("h264.mp4", fixture("h264.mp4"))
        m = f["metadata"]
        self.assertAlmostEqual(m["duration"], 2.0, delta=0.2)
        self.assertEqual((m["width"], m["height"]), (320, 240))
        self.assertEqual(m["video_codec"], "h264")
        self.assertEqual(m["audio_codec"], "aac")
        self.assertEqual(m["resolution"], "SD")
        self.assertTrue(m["faststart"])
        self.assertNotIn("rendition", m)  # plays as it is
        self.assertIsNone(f["error"])
        self.assertTrue(f["thumbnail_url"])
        # Players get the uploaded bytes.
        r = self.assertStatus(self.get("/api/files/resolve/%s/h264.mp4" % device), 200)
        self.assertEqual(r.body, fixture("h264.mp4"))
        _, a = self.upload_ready("tone.mp3", fixture("tone.mp3"), device=device)
        self.assertEqual(a["metadata"]["audio_codec"], "mp3")
        self.assertAlmostEqual(a["metadata"]["duration"], 2.0, delta=0.2)
        self.assertTrue(a["thumbnail_url"])  # a waveform
        _, i = self.upload_ready("still.png", fixture("still.png"), device=device)
        self.assertEqual((i["metadata"]["width"], i["metadata"]["height"]), (640, 360))
        self.assertEqual(i["metadata"]["resolution"], "SD")

    def test_vp9_and_hevc_get_a_playable_h264_rendition(self):
        device = self.w.new_device()
        for name, codec in (("vp9.webm", "vp9"), ("hevc.mp4", "hevc")):
            with self.subTest(name):
                _, f = self.upload_ready(name, fixture(name), device=device)
                m = f["metadata"]
                self.assertEqual(m["video_codec"], codec)
                self.assertIn("rendition", m, m)
                self.assertTrue(any(codec in r for r in m["rendition"]["reasons"]), m)
                self.assertIsNone(f["error"])  # the rendition plays everywhere
                r = self.assertStatus(self.get("/api/files/resolve/%s/%s" % (device, name)), 200)
                self.assertEqual(r.headers["content-type"], "video/mp4")
                info = probe_bytes(r.body, ".mp4")
                v = [s for s in info["streams"] if s["codec_type"] == "video"][0]
                self.assertEqual(v["codec_name"], "h264")
                self.assertEqual(v["pix_fmt"], "yuv420p")
                self.assertAlmostEqual(float(info["format"]["duration"]), 2.0, delta=0.3)
                # The original bytes are kept and can be downloaded.
                o = self.assertStatus(self.get("/api/files/resolve/%s/%s?original=1" % (device, name)), 200)
                self.assertEqual(o.body, fixture(name))

    def test_same_bytes_convert_once_and_derived_files_go_with_them(self):
        a, b = self.w.new_device(), self.w.new_device()
        data = fixture("doc.pdf")
        _, fa = self.upload_ready("one.pdf", data, device=a)
        # The same bytes under another name on another device: the organisation already has them.
        r = self.assertStatus(self.w.upload(b, [("two.pdf", data)]), 201)
        self.assertTrue(r.json()["items"][0]["deduplicated"])
        derived = os.path.join(self.server.data_dir, "content", "derived", fa["hash"][:2], fa["hash"])
        self.assertTrue(os.path.isdir(derived))
        self.assertEqual(len(os.listdir(derived)), 1, "converted more than once")
        self.assertStatus(self.server.call("DELETE", "/api/v1/media/%s" % fa["id"], token=self.w.token), 204)
        self.assertFalse(os.path.exists(derived), "derived files outlived their bytes")

    def test_reprocess_and_optimise_now(self):
        device, f = self.upload_ready("h264.mp4", fixture("h264b.mp4"))
        self.assertNotIn("rendition", f["metadata"])
        r = self.assertStatus(self.server.call("POST", "/api/v1/devices/%s/media/h264.mp4/process" % device,
                                               {"optimize": True}, token=self.w.token), 202)
        self.assertTrue(r.json()["job_id"])
        f2 = self.w.wait_done(device, "h264.mp4")
        self.assertEqual(f2["status"], "ready")
        self.assertIn("rendition", f2["metadata"])
        self.assertEqual(f2["metadata"]["rendition"]["reasons"], ["asked for"])
        self.assertStatus(self.server.call("POST", "/api/v1/devices/%s/media/nope.mp4/process" % device, {},
                                           token=self.w.token), 404)
        self.assertStatus(self.server.call("POST", "/api/v1/devices/%s/media/h264.mp4/process" % device,
                                           {"optimize": "yes"}, token=self.w.token), 400)

    def test_player_pages_through_a_converted_pdf_within_its_page_count(self):
        device, f = self.upload_ready("doc.pdf", fixture("doc.pdf"))
        url = "http://127.0.0.1:%d" % self.server.port
        events, cond = [], threading.Condition()
        player = socketio.Client(reconnection=False)

        @player.on("*")
        def on_any(name, *args):
            with cond:
                events.append((name, args))
                cond.notify_all()

        control = socketio.Client(reconnection=False)
        panel_events = []

        @control.on("*")
        def on_panel(name, *args):
            with cond:
                panel_events.append((name, args))
                cond.notify_all()

        player.connect(url, transports=["websocket"], wait_timeout=WAIT)
        control.connect(url, auth={"token": self.w.token}, transports=["websocket"], wait_timeout=WAIT)
        try:
            player.emit("player/register", {"device_id": device, "device_type": "test",
                                            "capabilities": {"pdf": True}})

            def wait(pred, what):
                deadline = time.monotonic() + WAIT
                with cond:
                    while not pred():
                        left = deadline - time.monotonic()
                        if left <= 0:
                            raise AssertionError("no %s; player got %r" % (what, events))
                        cond.wait(left)

            wait(lambda: any(n == "player/registered" for n, _ in events), "player/registered")
            ack = control.call("control/play", {"device_id": device, "file": "doc.pdf"}, timeout=WAIT)
            self.assertTrue(ack["ok"], ack)
            wait(lambda: any(n == "player/play" for n, _ in events), "player/play")
            pages = []
            for _ in range(4):  # one more than the page count: the last click stays on page 3
                ack = control.call("control/pdfNext", {"device_id": device}, timeout=WAIT)
                self.assertTrue(ack["ok"], ack)
                pages.append(ack["state"]["page"])
            self.assertEqual(pages, [2, 3, 3, 3])
            wait(lambda: [a[0] for n, a in events if n == "player/pdfPage"] == [2, 3], "player/pdfPage 2, 3")
            ack = control.call("control/page", {"device_id": device, "page": 4}, timeout=WAIT)
            self.assertFalse(ack["ok"], ack)
            # The page the player is told is there to fetch.
            r = self.assertStatus(self.get("/api/devices/%s/converted/doc.pdf/page/3" % device), 200)
            self.assertEqual(png_size(r.body)[1], 1080)
        finally:
            player.disconnect()
            control.disconnect()

    def test_panels_see_processing_progress_and_ready(self):
        device = self.w.new_device()
        url = "http://127.0.0.1:%d" % self.server.port
        got, cond = [], threading.Condition()
        control = socketio.Client(reconnection=False)

        @control.on("*")
        def on_any(name, *args):
            with cond:
                got.append((name, args))
                cond.notify_all()

        control.connect(url, auth={"token": self.w.token}, transports=["websocket"], wait_timeout=WAIT)
        try:
            self.assertStatus(self.w.upload(device, [("vp9.webm", fixture("vp9.webm"))]), 201)
            deadline = time.monotonic() + PROCESS_TIMEOUT
            with cond:
                while not any(n == "file/ready" and a[0]["device_id"] == device for n, a in got):
                    left = deadline - time.monotonic()
                    if left <= 0:
                        raise AssertionError("no file/ready: %r" % got)
                    cond.wait(left)
            mine = [(n, a[0]) for n, a in got if n.startswith("file/") and a[0]["device_id"] == device]
            names = [n for n, _ in mine]
            self.assertEqual(names[0], "file/processing", mine)
            self.assertEqual(names[-1], "file/ready", mine)
            progress = [a["progress"] for n, a in mine if n == "file/progress"]
            self.assertEqual(progress, sorted(progress), "progress went back")
            self.assertTrue(all(a["file"] == "vp9.webm" for _, a in mine))
        finally:
            control.disconnect()


class LimitsTest(ApiTestCase):
    """A server with a small entry limit and a short time limit."""

    @classmethod
    def setUpClass(cls):
        cls.server = Server(env=dict(QUIET_ENV, ARCHIVE_MAX_ENTRIES="50", TRANSCODE_TIMEOUT_S="1",
                                     PROCESSING_WORKERS="1"))
        cls.w = PipelineWorld(cls.server)

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()

    def test_too_many_entries_and_time_limit(self):
        device = self.w.new_device()
        self.assertStatus(self.w.upload(device, [("many.zip", fixture("many.zip"))]), 201)
        f = self.w.wait_done(device, "many.zip")
        self.assertEqual(f["status"], "error")
        self.assertIn("entries", f["error"])
        # 40 s of 640x480 VP9 cannot become H.264 within one second: killed, failed with the reason.
        self.assertStatus(self.w.upload(device, [("long.webm", fixture("long.webm"))]), 201)
        f = self.w.wait_done(device, "long.webm")
        self.assertEqual(f["status"], "error", f)
        self.assertIn("time limit", f["error"])
        tmp = os.path.join(self.server.data_dir, "content", "derived", "tmp")
        self.assertEqual(os.listdir(tmp) if os.path.isdir(tmp) else [], [], "work folders left behind")
        # No ffmpeg of this server is left running.
        out = subprocess.run(["pgrep", "-f", "ffmpeg.*" + self.server.data_dir], stdout=subprocess.PIPE).stdout
        self.assertEqual(out.strip(), b"")


class CrashTest(ApiTestCase):
    """kill -9 of the server in the middle of a conversion; the restarted server finishes it."""

    def test_kill_9_mid_conversion_then_restart_finishes_and_serves(self):
        data_dir = tempfile.mkdtemp(prefix="vc-crash-")
        env = dict(QUIET_ENV, JOB_LEASE_MS="2000", PROCESSING_WORKERS="1", DATA_DIR=data_dir)
        s = Server(env=env)
        try:
            w = PipelineWorld(s)
            device = w.new_device()
            self.assertStatus(w.upload(device, [("long.webm", fixture("long.webm"))]), 201)
            deadline = time.monotonic() + PROCESS_TIMEOUT
            while w.file(device, "long.webm")["progress"] < 15:
                self.assertLess(time.monotonic(), deadline, "no progress")
                time.sleep(0.1)
            tmp = os.path.join(data_dir, "content", "derived", "tmp")
            self.assertTrue(os.listdir(tmp), "no work folder while converting")
            s.proc.send_signal(signal.SIGKILL)
            s.proc.wait(10)
            # The tools die with the server (PR_SET_PDEATHSIG), nothing half-written is published.
            time.sleep(0.5)
            out = subprocess.run(["pgrep", "-f", "ffmpeg.*" + data_dir], stdout=subprocess.PIPE).stdout
            self.assertEqual(out.strip(), b"", "ffmpeg survived the server")
            hashdirs = [d for d in os.listdir(os.path.join(data_dir, "content", "derived")) if d != "tmp"]
            self.assertEqual(hashdirs, [], "something was published before the job finished")
        finally:
            stop = s.proc
            s._log.close()
        s2 = Server(env=env)
        try:
            w2 = PipelineWorld(s2)
            f = w2.wait_done(device, "long.webm")
            self.assertEqual(f["status"], "ready", f)
            self.assertIn("rendition", f["metadata"])
            r = s2.call("GET", "/api/files/resolve/%s/long.webm" % device, headers={"Range": "bytes=0-1023"})
            self.assertEqual(r.status, 206)
            self.assertEqual(r.headers["content-type"], "video/mp4")
            self.assertEqual(os.listdir(tmp), [], "the crashed run's work folder was not cleaned")
            del stop
        finally:
            s2.cleanup()
            shutil.rmtree(data_dir, ignore_errors=True)


def setUpModule():
    global FIXTURES
    FIXTURES = tempfile.mkdtemp(prefix="vc-pipeline-fixtures-")
    make_fixtures(FIXTURES)


def tearDownModule():
    if FIXTURES:
        shutil.rmtree(FIXTURES, ignore_errors=True)


if __name__ == "__main__":
    api_support.run_main()
