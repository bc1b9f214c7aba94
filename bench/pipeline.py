#!/usr/bin/python3
"""Content pipeline figures (issue 12), each against a reference measured in the same run:

  1. PDF pages: an N-page PDF (default 200; one LibreOffice page repeated with pdfunite) uploaded to
     a device and converted by the server (pdfinfo + pdftoppm in chunks of 25 pages + a thumbnail),
     against one `pdftoppm -png -scale-to-x W -scale-to-y H` over the whole file (same box). The
     server's time is its own "content pipeline: converted … ms=" log line (LOG_LEVEL=info); the
     reference runs before and after the upload and the mean is used. Goal: ratio <= 1.1.
  2. Video: a VP9/Opus clip (default 60 s, 640x480) that gets an H.264 rendition, against the same
     ffmpeg libx264 command (arguments as in libvideocontrol/src/pipeline/converters.cpp) run
     directly, before and after. Reported per minute of video.
  3. Server memory: VmRSS when idle and the peak (VmHWM, reset with /proc/PID/clear_refs just before;
     and VmRSS sampled every 50 ms) while a 5,000-page PDF is uploaded and converted, and while a
     ~2 GiB H.264 MP4 (inside the profile: no rendition) is uploaded streamed from disk and processed.
     The tools (pdftoppm, ffmpeg) are child processes with their own memory, sampled separately.
  4. API latency: p50/p99 of GET /api/v1/devices/{id}/media (bearer token, keep-alive) at a fixed
     open-loop rate (default 50 req/s for 20 s, latency counted from each request's scheduled time)
     on a server with PROCESSING_WORKERS=0 (idle: the same queued files, nothing converting), then
     with PROCESSING_WORKERS=1 and 2 while VP9 renditions keep the workers busy. Goal: p99 ratio <= 2.

Tools: soffice, pdfinfo, pdfunite, pdftoppm (poppler-utils), ffmpeg, ffprobe. Temporary files go to
a folder under $TMPDIR and are removed at the end. Only the Python 3 standard library.

Usage: /usr/bin/python3 bench/pipeline.py [--binary PATH] [--pages 200] [--rss-pages 5000]
           [--video-seconds 60] [--video-bytes 2147483648] [--seconds 20] [--rate 50]
           [--skip pdf,video,rss-pdf,rss-video,latency] [--tool-nice N] [--markdown FILE]
"""

import argparse
import concurrent.futures
import http.client
import json
import math
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
import api_support  # noqa: E402
from api_support import ADMIN_PASSWORD, Server  # noqa: E402

# The server's defaults (libvideocontrol/include/videocontrol/pipeline.hpp) that shape the commands.
PAGE_BOX = (1920, 1080)
VIDEO_MAX_HEIGHT = 1080
VIDEO_MAX_BITRATE = 8_000_000
VIDEO_PRESET, VIDEO_CRF, AUDIO_K = "veryfast", 23, 128

BASE_ENV = {"RATE_LIMIT_PER_MINUTE": "1000000", "LOGIN_ATTEMPTS": "1000000", "DEVICE_CREDENTIALS": "off",
            "PLAYER_REQUESTS_PER_MINUTE": "0", "LOG_LEVEL": "info",
            "WORKER_THREADS": "4"}  # the server's default worker pool (api_support sets 8 for tests)


def log(msg):
    sys.stderr.write("[%s] %s\n" % (time.strftime("%H:%M:%S"), msg))
    sys.stderr.flush()


def load_avg():
    return "%.2f %.2f %.2f" % os.getloadavg()


# --------------------------------------------------------------------------
# running tools
# --------------------------------------------------------------------------

def run(argv, cwd=None):
    """Runs a tool (stdout discarded); returns (wall seconds, its own peak RSS in KiB from wait4)."""
    t0 = time.monotonic()
    p = subprocess.Popen(argv, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    err = p.stderr.read()
    p.stderr.close()
    _, status, ru = os.wait4(p.pid, 0)
    p.returncode = os.waitstatus_to_exitcode(status)
    wall = time.monotonic() - t0
    if p.returncode != 0:
        raise RuntimeError("%s failed (%s): %s" % (argv[0], p.returncode, err.decode("utf-8", "replace")[-2000:]))
    return wall, ru.ru_maxrss


def ffmpeg(*args, cwd=None):
    return run(["ffmpeg", "-nostdin", "-v", "error", "-y"] + list(args), cwd=cwd)


FODT = """<?xml version="1.0" encoding="UTF-8"?>
<office:document xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"
 xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"
 office:version="1.2" office:mimetype="application/vnd.oasis.opendocument.text">
 <office:body><office:text>
  <text:h>VideoControl pipeline benchmark</text:h>
  <text:p>Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut
  labore et dolore magna aliqua. Ut enim ad minim veniam, quis nostrud exercitation ullamco laboris.</text:p>
  <text:p>Съешь же ещё этих мягких французских булок, да выпей чаю.</text:p>
 </office:text></office:body>
</office:document>
"""


class Fixtures:
    def __init__(self, parent=None):
        self.dir = tempfile.mkdtemp(prefix="vc-bench-pipeline-", dir=parent)
        self._page = None

    def path(self, name):
        return os.path.join(self.dir, name)

    def cleanup(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def page_pdf(self):
        """One A4 page of text, written by LibreOffice."""
        if self._page is None:
            with open(self.path("page.fodt"), "w", encoding="utf-8") as f:
                f.write(FODT)
            run(["soffice", "--headless", "-env:UserInstallation=file://" + self.path("lo-profile"),
                 "--convert-to", "pdf", "page.fodt"], cwd=self.dir)
            self._page = self.path("page.pdf")
        return self._page

    def pdf(self, pages):
        """The page repeated `pages` times (pdfunite in batches of 250 files, then the batches)."""
        out = self.path("doc-%d.pdf" % pages)
        if os.path.exists(out):
            return out
        page = self.page_pdf()
        batches, left, n = [], pages, 0
        while left > 0:
            k = min(250, left)
            b = self.path("batch-%d-%d.pdf" % (pages, n))
            if k == 1:
                shutil.copyfile(page, b)
            else:
                run(["pdfunite"] + [page] * k + [b])
            batches.append(b)
            left -= k
            n += 1
        if len(batches) == 1:
            os.rename(batches[0], out)
        else:
            run(["pdfunite"] + batches + [out])
            for b in batches:
                os.remove(b)
        return out

    def vp9(self, seconds):
        out = self.path("clip-%ds.webm" % seconds)
        if not os.path.exists(out):
            ffmpeg("-f", "lavfi", "-i", "testsrc=size=640x480:rate=25:duration=%d" % seconds,
                   "-f", "lavfi", "-i", "sine=frequency=440:duration=%d" % seconds,
                   "-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8", "-b:v", "1M",
                   "-c:a", "libopus", "-shortest", out)
        return out

    def vp9_copies(self, seconds, n):
        """n files with the same streams and different bytes (a title each), so none is deduplicated."""
        src = self.vp9(seconds)
        out = []
        for i in range(n):
            p = self.path("copy-%d.webm" % i)
            if not os.path.exists(p):
                ffmpeg("-i", src, "-map", "0", "-c", "copy", "-metadata", "title=bench copy %d %s" % (i, uuid.uuid4().hex),
                       p)
            out.append(p)
        return out

    def big_mp4(self, target_bytes):
        """~target_bytes of H.264/AAC MP4 at ~6.4 Mbit/s (inside the profile), faststart: an 8 s
        720p clip encoded once at constant bitrate, then repeated with -stream_loop … -c copy."""
        clip = self.path("cbr.mp4")
        ffmpeg("-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=25:duration=8", "-f", "lavfi", "-i",
               "sine=frequency=440:duration=8", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
               "-b:v", "6M", "-minrate", "6M", "-maxrate", "6M", "-bufsize", "6M", "-x264-params", "nal-hrd=cbr",
               "-c:a", "aac", "-b:a", "128k", "-shortest", "-movflags", "+faststart", clip)
        loops = max(0, int(round(target_bytes / os.path.getsize(clip))) - 1)
        out = self.path("big.mp4")
        ffmpeg("-stream_loop", str(loops), "-i", clip, "-c", "copy", "-movflags", "+faststart", out)
        os.remove(clip)
        return out


def pdf_page_box(pdf):
    """-scale-to-x/-y the server uses for the page: fit_box of its size into PAGE_BOX."""
    out = subprocess.run(["pdfinfo", pdf], stdout=subprocess.PIPE, check=True).stdout.decode()
    m = re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", out)
    w, h = float(m.group(1)), float(m.group(2))
    m = re.search(r"Page rot:\s+(\d+)", out)
    if m and int(m.group(1)) % 180:
        w, h = h, w
    scale = min(PAGE_BOX[0] / w, PAGE_BOX[1] / h)
    fw = min(max(1, int(math.floor(w * scale + 0.5))), PAGE_BOX[0])
    fh = min(max(1, int(math.floor(h * scale + 0.5))), PAGE_BOX[1])
    return fw, fh


def direct_pdftoppm(fx, pdf):
    w, h = pdf_page_box(pdf)
    out = fx.path("direct-pages")
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    wall, rss = run(["pdftoppm", "-png", "-scale-to-x", str(w), "-scale-to-y", str(h), pdf, os.path.join(out, "p")])
    shutil.rmtree(out, ignore_errors=True)
    return wall, rss


def x264_argv(src, dst):
    """The rendition command of converters.cpp (convert_av), with the server's default profile."""
    scale = "scale='if(gt(iw,ih),-2,min(iw,{0}))':'if(gt(iw,ih),min(ih,{0}),-2)'".format(VIDEO_MAX_HEIGHT)
    return ["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", src, "-map", "0:v:0", "-map", "0:a:0?",
            "-vf", scale, "-c:v", "libx264", "-preset", VIDEO_PRESET, "-crf", str(VIDEO_CRF), "-pix_fmt", "yuv420p",
            "-maxrate", str(VIDEO_MAX_BITRATE), "-bufsize", str(VIDEO_MAX_BITRATE * 2),
            "-c:a", "aac", "-b:a", "%dk" % AUDIO_K, "-movflags", "+faststart", "-progress", "pipe:1", "-nostats", dst]


def direct_x264(fx, src):
    dst = fx.path("direct-rendition.mp4")
    wall, rss = run(x264_argv(src, dst))
    os.remove(dst)
    return wall, rss


def media_duration(path):
    out = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration,bit_rate", "-of", "json", path],
                         stdout=subprocess.PIPE, check=True).stdout
    fmt = json.loads(out)["format"]
    return float(fmt["duration"]), int(fmt.get("bit_rate", 0))


# --------------------------------------------------------------------------
# the server
# --------------------------------------------------------------------------

class MultipartFiles:
    """A multipart/form-data body of files read from disk as http.client asks for it (never whole)."""

    def __init__(self, paths, field="files"):
        self.boundary = "vcbench" + uuid.uuid4().hex
        self.content_type = "multipart/form-data; boundary=" + self.boundary
        self.pieces = []  # bytes, or a path
        ctypes = {".pdf": "application/pdf", ".webm": "video/webm", ".mp4": "video/mp4"}
        for p in paths:
            name = os.path.basename(p)
            self.pieces.append(('--%s\r\nContent-Disposition: form-data; name="%s"; filename="%s"\r\n'
                                'Content-Type: %s\r\n\r\n' % (self.boundary, field, name,
                                                               ctypes.get(os.path.splitext(p)[1],
                                                                          "application/octet-stream"))).encode())
            self.pieces.append(p)
            self.pieces.append(b"\r\n")
        self.pieces.append(("--%s--\r\n" % self.boundary).encode())
        self.length = sum(len(x) if isinstance(x, bytes) else os.path.getsize(x) for x in self.pieces)
        self._i, self._pos, self._file = 0, 0, None

    def read(self, size=-1):
        if size is None or size < 0:
            size = 1 << 20
        while self._i < len(self.pieces):
            piece = self.pieces[self._i]
            if isinstance(piece, bytes):
                chunk = piece[self._pos:self._pos + size]
                self._pos += len(chunk)
            else:
                if self._file is None:
                    self._file = open(piece, "rb")
                chunk = self._file.read(size)
            if chunk:
                return chunk
            if self._file is not None:
                self._file.close()
                self._file = None
            self._i, self._pos = self._i + 1, 0
        return b""


def q(s):
    return urllib.parse.quote(s, safe="")


class Bench:
    """A server with LOG_LEVEL=info, the superadmin's token and one device."""

    def __init__(self, workers):
        self.server = Server(env=dict(BASE_ENV, PROCESSING_WORKERS=str(workers)))
        try:
            self.token = self.server.token("admin", ADMIN_PASSWORD)["access_token"]
            self.device = self.new_device()
        except BaseException:
            self.server.cleanup()
            raise

    @property
    def pid(self):
        return self.server.proc.pid

    def cleanup(self):
        self.server.cleanup()

    def new_device(self):
        device_id = "bench-" + uuid.uuid4().hex[:8]
        r = self.server.call("POST", "/api/v1/devices", {"device_id": device_id}, token=self.token)
        if r.status != 201:
            raise RuntimeError("cannot create a device: %r" % r)
        return device_id

    def media_path(self, device=None):
        return "/api/v1/devices/%s/media?limit=200" % q(device or self.device)

    def upload(self, paths, device=None):
        """Streams the files in one request; returns (the created items, seconds)."""
        body = MultipartFiles(paths)
        conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=900, blocksize=1 << 20)
        t0 = time.monotonic()
        try:
            conn.request("POST", "/api/v1/devices/%s/media" % q(device or self.device), body=body,
                         headers={"Authorization": "Bearer " + self.token, "Content-Type": body.content_type,
                                  "Content-Length": str(body.length)})
            r = conn.getresponse()
            payload = r.read()
        finally:
            conn.close()
        took = time.monotonic() - t0
        if r.status != 201:
            raise RuntimeError("upload failed: %d %r" % (r.status, payload[:500]))
        return json.loads(payload)["items"], took

    def files(self, device=None):
        r = self.server.call("GET", self.media_path(device), token=self.token)
        if r.status != 200:
            raise RuntimeError("listing failed: %r" % r)
        return {f["name"]: f for f in r.json()["items"]}

    def wait_done(self, names, timeout=3600, every=0.2, device=None):
        deadline = time.monotonic() + timeout
        while True:
            files = self.files(device)
            states = [files[n]["status"] for n in names]
            if all(s in ("ready", "error") for s in states):
                bad = [files[n] for n in names if files[n]["status"] != "ready"]
                if bad:
                    raise RuntimeError("conversion failed: %r" % bad)
                return time.monotonic(), files
            if time.monotonic() > deadline:
                raise RuntimeError("not converted after %d s: %r" % (timeout, states))
            time.sleep(every)

    def converted_ms(self, media_id):
        """The server's own time for the conversion, from its log line."""
        with open(self.server.log_path, "rb") as f:
            text = f.read().decode("utf-8", "replace")
        for line in text.splitlines():
            if "content pipeline: converted" in line and media_id in line:
                m = re.search(r'"?ms"?\s*[=:]\s*"?(\d+)', line)
                if m:
                    return int(m.group(1))
        raise RuntimeError("no 'converted' log line for %s%s" % (media_id, self.server.describe()))


def status_kib(pid, field):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def children(pid):
    out = []
    try:
        for tid in os.listdir("/proc/%d/task" % pid):
            try:
                with open("/proc/%d/task/%s/children" % (pid, tid)) as f:
                    out.extend(int(x) for x in f.read().split())
            except OSError:
                pass
    except OSError:
        pass
    return out


class MemorySampler:
    """Resets the server's VmHWM, then samples its VmRSS and its child processes' every 50 ms."""

    def __init__(self, pid, every=0.05, tool_nice=None):
        self.pid, self.every, self.tool_nice = pid, every, tool_nice
        self._reniced = set()
        self.idle_kib = status_kib(pid, "VmRSS")
        try:
            with open("/proc/%d/clear_refs" % pid, "w") as f:
                f.write("5")  # VmHWM := VmRSS (Linux >= 4.0)
            self.reset = True
        except OSError:
            self.reset = False
        self.peak_rss = self.idle_kib
        self.tool_peak = {}  # comm -> KiB (sampled VmHWM of each child seen)
        self.tools_running = []  # per sample: how many tool processes the server had
        with open("/proc/%d/comm" % pid) as f:
            self.own_comm = f.read().strip()  # a child still called that has not exec'd its tool yet
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._loop, daemon=True)
        self._t.start()

    def _loop(self):
        while not self._stop.is_set():
            try:
                self.peak_rss = max(self.peak_rss, status_kib(self.pid, "VmRSS"))
            except OSError:
                return
            running = 0
            for c in children(self.pid):
                try:
                    with open("/proc/%d/comm" % c) as f:
                        comm = f.read().strip()
                    if comm == self.own_comm:
                        continue
                    if self.tool_nice is not None:
                        self._renice(c)
                    hwm = status_kib(c, "VmHWM")
                    self.tool_peak[comm] = max(self.tool_peak.get(comm, 0), hwm)
                    running += 1
                except OSError:
                    pass
            self.tools_running.append(running)
            self._stop.wait(self.every)

    def _renice(self, pid):
        # Nice values are per thread on Linux: every thread of the tool, as they appear.
        for tid in os.listdir("/proc/%d/task" % pid):
            if (pid, tid) not in self._reniced:
                try:
                    os.setpriority(os.PRIO_PROCESS, int(tid), self.tool_nice)
                    self._reniced.add((pid, tid))
                except OSError:
                    pass

    def stop(self):
        self._stop.set()
        self._t.join()
        self.hwm_kib = status_kib(self.pid, "VmHWM")
        self.after_kib = status_kib(self.pid, "VmRSS")
        return self


# --------------------------------------------------------------------------
# the measurements
# --------------------------------------------------------------------------

def mb(kib):
    return kib / 1024.0


def measure_pdf(fx, pages):
    log("PDF: making a %d-page PDF" % pages)
    pdf = fx.pdf(pages)
    w, h = pdf_page_box(pdf)
    load0 = load_avg()
    log("PDF: direct pdftoppm -scale-to-x %d -scale-to-y %d (before)" % (w, h))
    d1, tool_rss = direct_pdftoppm(fx, pdf)
    b = Bench(workers=1)
    try:
        log("PDF: upload and conversion by the server")
        items, up_s = b.upload([pdf])
        t_uploaded = time.monotonic()
        t_ready, files = b.wait_done([os.path.basename(pdf)])
        f = files[os.path.basename(pdf)]
        if f.get("page_count") != pages:
            raise RuntimeError("the server made %r pages, not %d" % (f.get("page_count"), pages))
        server_ms = b.converted_ms(items[0]["id"])
    finally:
        b.cleanup()
    log("PDF: direct pdftoppm (after)")
    d2, _ = direct_pdftoppm(fx, pdf)
    direct_ms = (d1 + d2) / 2 * 1000.0
    return {"pages": pages, "box": "%dx%d" % (w, h), "bytes": os.path.getsize(pdf),
            "direct_ms": direct_ms, "direct_runs_ms": (d1 * 1000, d2 * 1000), "direct_rss_kib": tool_rss,
            "server_ms": server_ms, "e2e_ms": (t_ready - t_uploaded) * 1000.0, "upload_s": up_s,
            "ratio": server_ms / direct_ms, "load": (load0, load_avg())}


def measure_video(fx, seconds):
    log("video: making a %d s VP9 clip" % seconds)
    src = fx.vp9(seconds)
    duration, _ = media_duration(src)
    load0 = load_avg()
    log("video: direct ffmpeg libx264 (before)")
    d1, tool_rss = direct_x264(fx, src)
    b = Bench(workers=1)
    try:
        log("video: upload and rendition by the server")
        items, _ = b.upload([src])
        t_uploaded = time.monotonic()
        t_ready, files = b.wait_done([os.path.basename(src)])
        f = files[os.path.basename(src)]
        rendition = (f.get("metadata") or {}).get("rendition")
        if not rendition:
            raise RuntimeError("the server made no rendition: %r" % f)
        server_ms = b.converted_ms(items[0]["id"])
    finally:
        b.cleanup()
    log("video: direct ffmpeg libx264 (after)")
    d2, _ = direct_x264(fx, src)
    direct_ms = (d1 + d2) / 2 * 1000.0
    per_min = 60.0 / duration
    return {"seconds": duration, "bytes": os.path.getsize(src), "direct_ms": direct_ms,
            "direct_runs_ms": (d1 * 1000, d2 * 1000), "direct_rss_kib": tool_rss, "server_ms": server_ms,
            "e2e_ms": (t_ready - t_uploaded) * 1000.0, "direct_per_min_s": direct_ms * per_min / 1000,
            "server_per_min_s": server_ms * per_min / 1000, "ratio": server_ms / direct_ms,
            "rendition": rendition, "load": (load0, load_avg())}


def measure_rss(fx, rss_pages, video_bytes):
    out = {}
    b = Bench(workers=1)
    try:
        if rss_pages > 0:
            log("RSS: making a %d-page PDF" % rss_pages)
            pdf = fx.pdf(rss_pages)
            load0 = load_avg()
            log("RSS: uploading and converting the %d-page PDF (%.1f MB)" % (rss_pages, os.path.getsize(pdf) / 1e6))
            s = MemorySampler(b.pid)
            items, up_s = b.upload([pdf])
            b.wait_done([os.path.basename(pdf)], every=1.0)
            s.stop()
            out["pdf"] = {"pages": rss_pages, "bytes": os.path.getsize(pdf), "idle_kib": s.idle_kib,
                          "hwm_kib": s.hwm_kib if s.reset else None, "peak_rss_kib": s.peak_rss,
                          "after_kib": s.after_kib, "tools": s.tool_peak, "upload_s": up_s,
                          "server_ms": b.converted_ms(items[0]["id"]), "load": (load0, load_avg())}
            os.remove(pdf)
        if video_bytes > 0:
            log("RSS: making a ~%.2f GB MP4" % (video_bytes / 1e9))
            mp4 = fx.big_mp4(video_bytes)
            duration, bitrate = media_duration(mp4)
            load0 = load_avg()
            log("RSS: uploading and processing the MP4 (%.2f GB, %.0f s at %.1f Mbit/s)"
                % (os.path.getsize(mp4) / 1e9, duration, bitrate / 1e6))
            s = MemorySampler(b.pid)
            items, up_s = b.upload([mp4])
            b.wait_done([os.path.basename(mp4)], every=0.5)
            s.stop()
            f = b.files()[os.path.basename(mp4)]
            out["video"] = {"bytes": os.path.getsize(mp4), "duration": duration, "bitrate": bitrate,
                            "idle_kib": s.idle_kib, "hwm_kib": s.hwm_kib if s.reset else None,
                            "peak_rss_kib": s.peak_rss, "after_kib": s.after_kib, "tools": s.tool_peak,
                            "upload_s": up_s, "server_ms": b.converted_ms(items[0]["id"]),
                            "rendition": bool((f.get("metadata") or {}).get("rendition")),
                            "load": (load0, load_avg())}
            os.remove(mp4)
    finally:
        b.cleanup()
    return out


def pct(values, p):
    v = sorted(values)
    return v[min(len(v) - 1, int(math.ceil(p / 100.0 * len(v))) - 1)] if v else float("nan")


def open_loop(port, path, token, rate, seconds, threads=16):
    """GET `path` at `rate` requests/s for `seconds`, each on one of `threads` keep-alive connections;
    latency from the request's scheduled time to the end of its body (so a late start counts)."""
    local = threading.local()
    conns = []
    headers = {"Authorization": "Bearer " + token}

    def one(t_sched):
        conn = getattr(local, "conn", None)
        if conn is None:
            conn = local.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            conns.append(conn)
        try:
            conn.request("GET", path, headers=headers)
            r = conn.getresponse()
            body = r.read()
            ok = r.status == 200
        except (OSError, http.client.HTTPException):
            conn.close()
            local.conn = None
            ok, body = False, b""
        return (time.monotonic() - t_sched) * 1000.0, ok, len(body)

    n = int(rate * seconds)
    with concurrent.futures.ThreadPoolExecutor(max_workers=threads) as pool:
        # Warm the connections first (not counted).
        list(pool.map(lambda _: one(time.monotonic()), range(threads)))
        t0 = time.monotonic() + 0.05
        futs = []
        for i in range(n):
            t = t0 + i / rate
            d = t - time.monotonic()
            if d > 0:
                time.sleep(d)
            futs.append(pool.submit(one, t))
        results = [f.result() for f in futs]
    for c in conns:
        c.close()
    lat = [r[0] for r in results if r[1]]
    return {"n": n, "ok": len(lat), "errors": n - len(lat), "p50": pct(lat, 50), "p99": pct(lat, 99),
            "max": max(lat) if lat else float("nan"), "body": results[-1][2]}


def server_latencies(log_path, offset, path):
    """latency_ms of the server's access log lines for `path` after byte `offset`."""
    with open(log_path, "rb") as f:
        f.seek(offset)
        text = f.read().decode("utf-8", "replace")
    route = path.split("?")[0]
    return [float(m.group(1)) for m in re.finditer(r"path=%s status=200 \S+ latency_ms=([\d.]+)" % re.escape(route),
                                                   text)]


def measure_latency(fx, video_seconds, seconds, rate, rendition_s, tool_nice=None):
    # Enough renditions queued to keep every worker busy for the whole window and its warm-up.
    copies = int(math.ceil((seconds + 10) / max(rendition_s, 1.0))) + 3
    log("latency: %d VP9 copies of %d s" % (copies, video_seconds))
    paths = fx.vp9_copies(video_seconds, copies)
    out = []
    # The idle reference (PROCESSING_WORKERS=0: the same files stay queued) before and after.
    for workers in (0, 1, 2, 0):
        b = Bench(workers=workers)
        try:
            b.upload(paths)
            if workers:
                if tool_nice is not None:
                    renicer = MemorySampler(b.pid, tool_nice=tool_nice)  # from the first ffmpeg on
                # Wait until the workers are into their ffmpeg runs.
                deadline = time.monotonic() + 60
                while time.monotonic() < deadline:
                    if sum(1 for f in b.files().values() if f["status"] == "processing" and f["progress"] >= 10) \
                            >= workers:
                        break
                    time.sleep(0.2)
                time.sleep(1.0)
            load0 = load_avg()
            log("latency: PROCESSING_WORKERS=%d, %d req/s for %d s" % (workers, rate, seconds))
            offset = os.path.getsize(b.server.log_path)
            s = MemorySampler(b.pid, tool_nice=tool_nice)
            r = open_loop(b.server.port, b.media_path(), b.token, rate, seconds)
            s.stop()
            if workers and tool_nice is not None:
                renicer.stop()
            srv = server_latencies(b.server.log_path, offset, b.media_path())
            files = b.files()
            r["server_p50"], r["server_p99"], r["server_n"] = pct(srv, 50), pct(srv, 99), len(srv)
            r["tools_mean"] = statistics.mean(s.tools_running) if s.tools_running else 0.0
            r["tools_min"] = min(s.tools_running) if s.tools_running else 0
            r["ready_at_end"] = sum(1 for f in files.values() if f["status"] == "ready")
            r["workers"], r["files"], r["load"] = workers, len(files), (load0, load_avg())
            out.append(r)
            if workers and r["ready_at_end"] >= len(files):
                log("latency: warning: every conversion finished before the end of the window")
        finally:
            b.cleanup()
    for p in paths:
        os.remove(p)
    return out


# --------------------------------------------------------------------------
# report
# --------------------------------------------------------------------------

def fmt_int(x):
    return "{:,}".format(int(round(x)))


def tools_text(tools):
    return ", ".join("%s %.0f MB" % (k, mb(v)) for k, v in sorted(tools.items(), key=lambda kv: -kv[1])) or "—"


def report(res, args):
    rows = []  # (measure, reference, pipeline, ratio, goal)
    if "pdf" in res:
        p = res["pdf"]
        rows.append(("PDF, %d pages of A4 text into %s PNG: ms per page" % (p["pages"], p["box"]),
                     "%.1f (pdftoppm, one run over the file)" % (p["direct_ms"] / p["pages"]),
                     "%.1f (server's convert time; %.1f upload→ready)" % (p["server_ms"] / p["pages"],
                                                                          p["e2e_ms"] / p["pages"]),
                     "%.2f" % p["ratio"], "≤ 1.1"))
    if "video" in res:
        v = res["video"]
        rows.append(("VP9/Opus %.0f s 640×480 → H.264/AAC rendition: s per minute of video" % v["seconds"],
                     "%.1f (ffmpeg libx264 veryfast, same arguments)" % v["direct_per_min_s"],
                     "%.1f (probe, thumbnail, rendition, probe)" % v["server_per_min_s"],
                     "%.2f" % v["ratio"], "—"))
    if "rss" in res:
        for key, label in (("pdf", "%s-page PDF upload + conversion"), ("video", "%s H.264 MP4 upload + processing")):
            r = res["rss"].get(key)
            if not r:
                continue
            what = label % (fmt_int(r["pages"]) if key == "pdf" else "%.2f GB" % (r["bytes"] / 1e9))
            peak = r["hwm_kib"] if r["hwm_kib"] is not None else r["peak_rss_kib"]
            rows.append(("server peak RSS, " + what,
                         "%.1f MB idle" % mb(r["idle_kib"]),
                         "%.1f MB VmHWM (sampled VmRSS max %.1f); tools: %s" % (mb(peak), mb(r["peak_rss_kib"]),
                                                                             tools_text(r["tools"])),
                         "%.2f" % (peak / r["idle_kib"]), "bounded"))
    if "latency" in res:
        idles = [r for r in res["latency"] if r["workers"] == 0]
        idle_p50 = statistics.mean(r["p50"] for r in idles)
        idle_p99 = statistics.mean(r["p99"] for r in idles)
        for r in res["latency"]:
            if r["workers"] == 0:
                continue
            rows.append(("GET …/media p50 / p99, %d req/s for %d s, PROCESSING_WORKERS=%d converting%s"
                         % (args.rate, args.seconds, r["workers"],
                            "" if args.tool_nice is None else " (tools reniced to %d)" % args.tool_nice),
                         "%.1f / %.1f ms idle (p99 %s)" % (idle_p50, idle_p99,
                                                            " and ".join("%.1f" % i["p99"] for i in idles)),
                         "%.1f / %.1f ms" % (r["p50"], r["p99"]),
                         "%.2f" % (r["p99"] / idle_p99), "≤ 2"))
    lines = ["| measure | reference | pipeline | ratio | goal |", "| --- | --- | --- | --- | --- |"]
    lines += ["| %s |" % " | ".join(r) for r in rows]
    return "\n".join(lines)


def details(res):
    out = []
    if "pdf" in res:
        p = res["pdf"]
        out.append("PDF %d pages (%.1f MB): pdftoppm %.0f / %.0f ms (peak RSS %.0f MB), server convert %d ms, "
                   "upload→ready %.0f ms, upload %.2f s; load %s → %s"
                   % (p["pages"], p["bytes"] / 1e6, p["direct_runs_ms"][0], p["direct_runs_ms"][1],
                      mb(p["direct_rss_kib"]), p["server_ms"], p["e2e_ms"], p["upload_s"], *p["load"]))
    if "video" in res:
        v = res["video"]
        out.append("video %.1f s (%.1f MB): ffmpeg %.0f / %.0f ms (peak RSS %.0f MB), server convert %d ms, "
                   "upload→ready %.0f ms; rendition %s; load %s → %s"
                   % (v["seconds"], v["bytes"] / 1e6, v["direct_runs_ms"][0], v["direct_runs_ms"][1],
                      mb(v["direct_rss_kib"]), v["server_ms"], v["e2e_ms"],
                      json.dumps({k: v["rendition"].get(k) for k in ("width", "height", "video_codec", "size")}),
                      *v["load"]))
    for key, r in sorted(res.get("rss", {}).items()):
        extra = ("%d pages" % r["pages"]) if key == "pdf" else ("%.0f s at %.1f Mbit/s, rendition %s"
                                                               % (r["duration"], r["bitrate"] / 1e6, r["rendition"]))
        out.append("RSS %s (%.2f GB, %s): idle %.1f MB, VmHWM %s MB, sampled VmRSS max %.1f MB, after %.1f MB; "
                   "upload %.1f s (%.0f MB/s), server convert %d ms; tools' sampled peak RSS: %s; load %s → %s"
                   % (key, r["bytes"] / 1e9, extra, mb(r["idle_kib"]),
                      "%.1f" % mb(r["hwm_kib"]) if r["hwm_kib"] is not None else "n/a", mb(r["peak_rss_kib"]),
                      mb(r["after_kib"]), r["upload_s"], r["bytes"] / r["upload_s"] / 1e6, r["server_ms"],
                      tools_text(r["tools"]), *r["load"]))
    for r in res.get("latency", []):
        out.append("latency workers=%d: %d requests (%d errors), client p50 %.2f / p99 %.2f / max %.1f ms, "
                   "server's own latency_ms p50 %.2f / p99 %.2f (%d lines), body %d B, %d files (%d ready at the end), "
                   "tools running %.2f on average (min %d); load %s → %s"
                   % (r["workers"], r["n"], r["errors"], r["p50"], r["p99"], r["max"], r["server_p50"],
                      r["server_p99"], r["server_n"], r["body"], r["files"], r["ready_at_end"], r["tools_mean"],
                      r["tools_min"], *r["load"]))
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--binary", default=os.environ.get("VC_SERVER_BINARY",
                                                       os.path.join(ROOT, "build", "apps", "server",
                                                                    "videocontrol-server")))
    ap.add_argument("--pages", type=int, default=200, help="pages of the PDF timed against pdftoppm")
    ap.add_argument("--rss-pages", type=int, default=5000, help="pages of the PDF for peak RSS (0 = skip)")
    ap.add_argument("--video-seconds", type=int, default=60, help="length of the VP9 clip")
    ap.add_argument("--video-bytes", type=int, default=2 << 30, help="size of the MP4 for peak RSS (0 = skip)")
    ap.add_argument("--seconds", type=int, default=20, help="length of each latency window")
    ap.add_argument("--rate", type=int, default=50, help="requests/s of the latency load")
    ap.add_argument("--skip", default="", help="comma-separated: pdf,video,rss-pdf,rss-video,latency")
    ap.add_argument("--tool-nice", type=int, default=None,
                    help="experiment: renice every thread of the server's tool processes (ffmpeg …) to this value "
                         "as they appear during the latency part, to see what lower-priority conversions would give")
    ap.add_argument("--markdown", help="also write the table (and details) to this file")
    args = ap.parse_args()
    api_support.BINARY = os.path.abspath(args.binary)
    skip = set(filter(None, args.skip.split(",")))
    for tool in ("soffice", "pdfinfo", "pdfunite", "pdftoppm", "ffmpeg", "ffprobe"):
        if not shutil.which(tool):
            sys.exit("missing tool: %s" % tool)

    started = time.monotonic()
    load_start = load_avg()
    log("machine: %d CPU(s), load %s" % (os.cpu_count(), load_start))
    fx = Fixtures()
    res = {}
    try:
        if "pdf" not in skip:
            res["pdf"] = measure_pdf(fx, args.pages)
        rendition_s = 10.0
        if "video" not in skip:
            res["video"] = measure_video(fx, args.video_seconds)
            rendition_s = res["video"]["server_ms"] / 1000.0
        rss_pages = 0 if "rss-pdf" in skip else args.rss_pages
        video_bytes = 0 if "rss-video" in skip else args.video_bytes
        if rss_pages or video_bytes:
            res["rss"] = measure_rss(fx, rss_pages, video_bytes)
        if "latency" not in skip:
            res["latency"] = measure_latency(fx, args.video_seconds, args.seconds, args.rate, rendition_s,
                                             args.tool_nice)
    finally:
        fx.cleanup()
    table = report(res, args)
    text = details(res)
    took = time.monotonic() - started
    summary = ("machine: %d CPU(s); load average (1/5/15 min) %s at the start, %s at the end; run took %.0f s"
               % (os.cpu_count(), load_start, load_avg(), took))
    print(table)
    print()
    print(text)
    print(summary)
    if args.markdown:
        with open(args.markdown, "w", encoding="utf-8") as f:
            f.write(table + "\n\n```\n" + text + "\n" + summary + "\n```\n")


if __name__ == "__main__":
    main()
