"""The Python package in a few lines: open an installation, create a device, upload a file, play it,
and print the events. Run: python3 devices.py DATA_DIR FILE (pip install ./bindings/python first)."""

import sys
import threading

import videocontrol as vc

data_dir, path = sys.argv[1], sys.argv[2]
heard = threading.Event()


def on_event(e: vc.Event) -> None:
    print("event", e.kind, e.device_id)
    if e.kind == "playback.changed":
        heard.set()


with vc.open(DATA_DIR=data_dir, LOG_LEVEL="warn", administer=True) as inst, inst.subscribe(on_event), inst.system() as admin:
    try:
        admin.create_device("py-lobby", name="Lobby")
    except vc.Conflict:
        print("py-lobby exists already")
    item = admin.upload("py-lobby", path)[0]
    print("uploaded", item["name"], item["kind"])
    print("now playing", admin.play("py-lobby", item["name"])["state"]["file"])
    heard.wait(5)
