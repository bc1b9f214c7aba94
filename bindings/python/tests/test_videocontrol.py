"""The Python package over the real C library: an installation in a temporary folder (SQLite, or a
fresh PostgreSQL database with VC_TEST_POSTGRES_URL), devices, media made by FFmpeg, commands,
events, errors as exceptions, context managers."""

import os
import subprocess
import threading
import uuid

import pytest

import videocontrol as vc


@pytest.fixture()
def settings(tmp_path):
    s = {"DATA_DIR": str(tmp_path / "data"), "LOG_LEVEL": "warn"}
    pg = os.environ.get("VC_TEST_POSTGRES_URL")
    if pg:
        db = "vcpy_" + uuid.uuid4().hex[:12]
        subprocess.run(["psql", pg, "-qAtc", "CREATE DATABASE %s" % db], check=True, stdout=subprocess.DEVNULL, timeout=60)
        s["DATABASE_URL"] = pg.rsplit("/", 1)[0] + "/" + db
    return s


@pytest.fixture()
def image(tmp_path):
    path = tmp_path / "red.png"
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "color=red:size=64x64", "-frames:v", "1", str(path)],
                   check=True, timeout=60)
    return path


def test_version():
    assert vc.version().count(".") == 2


def test_devices_media_commands_and_events(settings, image):
    seen = []
    got = threading.Event()

    def on_event(e: vc.Event):
        seen.append(e)
        if e.kind == "playback.changed":
            got.set()

    with vc.open(administer=True, **settings) as inst:
        assert inst.first_run_password and len(inst.first_run_password) >= 12
        with inst.subscribe(on_event), inst.system() as admin:
            created = admin.create_device("lobby", name="Лобби")
            assert created["device_id"] == "lobby" and created["name"] == "Лобби"
            admin.create_device("hall")
            assert sorted(d["device_id"] for d in admin.devices()) == ["hall", "lobby"]
            assert admin.rename_device("hall", "Hall")["name"] == "Hall"
            assert admin.device("lobby")["status"] == "offline"
            with pytest.raises(vc.Conflict):
                admin.create_device("lobby")
            with pytest.raises(vc.InvalidInput) as e:
                admin.create_device("bad id!")
            assert e.value.code == "invalid" and e.value.message
            with pytest.raises(vc.NotFound):
                admin.device("nowhere")
            with pytest.raises(LookupError):  # NotFound is a LookupError too
                admin.delete_device("nowhere")

            items = admin.upload("lobby", image)
            assert [(i["name"], i["kind"]) for i in items] == [("red.png", "image")]
            again = admin.upload("lobby", image, name="Красный.png")
            assert again[0]["deduplicated"] is True
            assert {m["name"] for m in admin.media("lobby")} == {"red.png", "Красный.png"}
            assert admin.play("lobby", "red.png")["state"]["file"] == "red.png"
            assert admin.pause("lobby")["state"]["state"] == "paused"
            assert admin.stop("lobby")["state"]["state"] in ("stopped", "idle", "placeholder")
            with pytest.raises(vc.InvalidInput):
                admin.command("lobby", "dance")
            admin.remove_media("lobby", "Красный.png")
            with pytest.raises(vc.NotFound):
                admin.remove_media("lobby", "Красный.png")

            # Any route; a viewer and an API key act with their own rights.
            user = admin.request("POST", "/api/v1/users", {"username": "viewer1", "password": "Viewer-pass-123", "role": "viewer"})
            assert user["role"] == "viewer"
            key = admin.request("POST", "/api/v1/api-keys", {"name": "py", "scopes": ["read"]})["key"]
            admin.delete_device("hall")
            assert got.wait(5), [e.kind for e in seen]
        kinds = {e.kind for e in seen}
        assert {"device.created", "device.renamed", "device.deleted", "playback.changed"} <= kinds, kinds
        assert all(e.organization_id for e in seen)
        assert any(e.device_id == "lobby" and e.data["kind"] == "device.created" for e in seen)

        with pytest.raises(vc.Unauthenticated):
            inst.login("viewer1", "wrong")
        with inst.login("viewer1", "Viewer-pass-123") as viewer:
            assert [d["device_id"] for d in viewer.devices()] == ["lobby"]
            with pytest.raises(vc.Forbidden) as e:
                viewer.create_device("x")
            assert "viewer" in e.value.message
            assert isinstance(e.value, PermissionError)
        with inst.actor(key) as keyed:
            assert keyed.device("lobby")["device_id"] == "lobby"
            with pytest.raises(vc.Forbidden):
                keyed.rename_device("lobby", "nope")
        with pytest.raises(vc.Unauthenticated):
            inst.actor("vck_not-a-key")
        with pytest.raises(vc.NotFound):
            inst.system("no-such-org")
        n = len(seen)

    # After the subscription closed, no events; after the installation closed, calls refuse.
    assert len(seen) == n
    with pytest.raises(vc.InvalidInput):
        inst.system()

    with vc.open(administer=True, **settings) as inst2:
        assert inst2.first_run_password is None
        with inst2.system("default") as admin:
            assert [d["device_id"] for d in admin.devices()] == ["lobby"]
            closed = admin
        with pytest.raises(vc.InvalidInput):
            closed.devices()


def test_bad_settings_raise_before_anything_opens(tmp_path):
    with pytest.raises(vc.InvalidInput) as e:
        vc.open(DATA_DIR=str(tmp_path), PORT="not-a-number")
    assert "PORT" in e.value.message
    assert not (tmp_path / "videocontrol.db").exists()


def test_an_exception_in_a_callback_does_not_reach_the_library(settings, capsys):
    with vc.open(administer=True, **settings) as inst, inst.system() as admin:
        done = threading.Event()

        def bad(e):
            done.set()
            raise RuntimeError("callback failed on purpose")

        with inst.subscribe(bad):
            admin.create_device("d1")
            assert done.wait(5)
        admin.create_device("d2")  # the library still works
    assert "callback failed on purpose" in capsys.readouterr().err
