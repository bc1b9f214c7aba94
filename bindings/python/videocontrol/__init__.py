"""VideoControl from Python, over the C API (libvideocontrol_c.so.1) with cffi.

    import videocontrol as vc
    with vc.open(DATA_DIR="data", administer=True) as inst, inst.system() as admin:
        admin.create_device("lobby")

Results are the REST API's JSON documents as dicts and lists (docs/openapi.json). Failures raise a
subclass of VideoControlError chosen by the error code (NotFound, Conflict, Forbidden, …).
"""

from __future__ import annotations

import ctypes.util
import json
import os
import threading
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional, Union

from cffi import FFI

__all__ = [
    "open", "Installation", "Actor", "Event", "Subscription", "version",
    "VideoControlError", "InvalidInput", "Unauthenticated", "Forbidden", "NotFound", "Conflict",
    "TooLarge", "Unsupported", "RateLimited", "Unavailable", "InternalError",
]

_CDEF = """
typedef enum vc_status {
  VC_OK = 0, VC_ERR_INVALID = 1, VC_ERR_UNAUTHENTICATED = 2, VC_ERR_FORBIDDEN = 3, VC_ERR_NOT_FOUND = 4,
  VC_ERR_CONFLICT = 5, VC_ERR_TOO_LARGE = 6, VC_ERR_UNSUPPORTED = 7, VC_ERR_RATE_LIMITED = 8,
  VC_ERR_UNAVAILABLE = 9, VC_ERR_INTERNAL = 10
} vc_status;
typedef struct vc_installation vc_installation;
typedef struct vc_actor vc_actor;
typedef struct vc_event { const char* kind; const char* organization_id; const char* device_id; const char* json; } vc_event;
typedef void (*vc_event_callback)(const vc_event* event, void* user_data);
const char* vc_version(void);
const char* vc_status_name(vc_status status);
void vc_free(void* p);
vc_status vc_open(const char* const* settings, uint32_t flags, vc_installation** out, char** errmsg);
void vc_close(vc_installation* inst);
const char* vc_first_run_password(vc_installation* inst);
vc_status vc_actor_system(vc_installation* inst, const char* organization, vc_actor** out, char** errmsg);
vc_status vc_actor_login(vc_installation* inst, const char* username, const char* password, vc_actor** out, char** errmsg);
vc_status vc_actor_from_token(vc_installation* inst, const char* token, vc_actor** out, char** errmsg);
void vc_actor_free(vc_actor* actor);
vc_status vc_request(vc_actor* actor, const char* method, const char* target, const char* json_body, int* http_status, char** json_out, char** errmsg);
vc_status vc_devices_list(vc_actor* actor, char** json_out, char** errmsg);
vc_status vc_device_create(vc_actor* actor, const char* device_id, const char* name, char** json_out, char** errmsg);
vc_status vc_device_get(vc_actor* actor, const char* device_id, char** json_out, char** errmsg);
vc_status vc_device_rename(vc_actor* actor, const char* device_id, const char* name, char** json_out, char** errmsg);
vc_status vc_device_delete(vc_actor* actor, const char* device_id, char** errmsg);
vc_status vc_media_list(vc_actor* actor, const char* device_id, char** json_out, char** errmsg);
vc_status vc_media_upload(vc_actor* actor, const char* device_id, const char* path, const char* name, char** json_out, char** errmsg);
vc_status vc_media_remove(vc_actor* actor, const char* device_id, const char* name, char** errmsg);
vc_status vc_device_command(vc_actor* actor, const char* device_id, const char* action, const char* file, int page, char** json_out, char** errmsg);
vc_status vc_subscribe(vc_installation* inst, vc_event_callback callback, void* user_data, uint64_t* subscription, char** errmsg);
void vc_unsubscribe(vc_installation* inst, uint64_t subscription);
"""

_OPEN_ADMINISTER = 1

_ffi = FFI()
_ffi.cdef(_CDEF)


def _load():
    path = os.environ.get("VIDEOCONTROL_C_LIBRARY")
    candidates = [path] if path else []
    found = ctypes.util.find_library("videocontrol_c")
    if found:
        candidates.append(found)
    candidates.append("libvideocontrol_c.so.1")
    errors = []
    for c in candidates:
        try:
            return _ffi.dlopen(c)
        except OSError as e:  # try the next
            errors.append("%s: %s" % (c, e))
    raise ImportError("libvideocontrol_c.so.1 not found; set VIDEOCONTROL_C_LIBRARY to its path (%s)" % "; ".join(errors))


_lib = _load()


# ---- errors ------------------------------------------------------------------------------------

class VideoControlError(Exception):
    """A failed call. `code` is the C API's status name ("not_found", …)."""

    code = "internal"

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class InvalidInput(VideoControlError, ValueError):
    code = "invalid"


class Unauthenticated(VideoControlError):
    code = "unauthenticated"


class Forbidden(VideoControlError, PermissionError):
    code = "forbidden"


class NotFound(VideoControlError, LookupError):
    code = "not_found"


class Conflict(VideoControlError):
    code = "conflict"


class TooLarge(VideoControlError):
    code = "too_large"


class Unsupported(VideoControlError):
    code = "unsupported"


class RateLimited(VideoControlError):
    code = "rate_limited"


class Unavailable(VideoControlError):
    code = "unavailable"


class InternalError(VideoControlError):
    code = "internal"


_ERRORS = {1: InvalidInput, 2: Unauthenticated, 3: Forbidden, 4: NotFound, 5: Conflict, 6: TooLarge,
           7: Unsupported, 8: RateLimited, 9: Unavailable, 10: InternalError}


def _text(p) -> str:
    return _ffi.string(p).decode("utf-8") if p != _ffi.NULL else ""


def _check(status: int, err) -> None:
    message = _text(err[0])
    _lib.vc_free(err[0])
    err[0] = _ffi.NULL
    if status != 0:
        raise _ERRORS.get(status, InternalError)(message or _text(_lib.vc_status_name(status)))


def _c(s: Optional[str]):
    return _ffi.NULL if s is None else s.encode("utf-8")


def _json_out(out) -> Any:
    if out[0] == _ffi.NULL:
        return None
    try:
        return json.loads(_text(out[0]))
    finally:
        _lib.vc_free(out[0])


def version() -> str:
    """The library's version."""
    return _text(_lib.vc_version())


# ---- events ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Event:
    """A change the library published: `kind` ("device.created", "playback.changed", …), the
    organisation, the device (or ""), and the whole event as `data`."""

    kind: str
    organization_id: str
    device_id: str
    data: Dict[str, Any]


class Subscription:
    """Delivers events to a callback until closed (a context manager). The callback runs on the
    library's event thread; an exception it raises is printed and ignored."""

    def __init__(self, inst: "Installation", callback: Callable[[Event], None]):
        self._inst = inst

        @_ffi.callback("void(const vc_event*, void*)")
        def trampoline(ev, _user):
            try:
                callback(Event(_text(ev.kind), _text(ev.organization_id), _text(ev.device_id), json.loads(_text(ev.json))))
            except Exception:  # noqa: BLE001 - never into C
                import traceback
                traceback.print_exc()

        self._trampoline = trampoline  # kept alive while subscribed
        sub = _ffi.new("uint64_t*")
        err = _ffi.new("char**")
        _check(_lib.vc_subscribe(inst._handle(), trampoline, _ffi.NULL, sub, err), err)
        self.id = int(sub[0])
        self._open = True

    def close(self) -> None:
        if self._open and self._inst._h is not None:
            _lib.vc_unsubscribe(self._inst._h, self.id)
        self._open = False

    def __enter__(self) -> "Subscription":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


# ---- actors ------------------------------------------------------------------------------------

class Actor:
    """Who calls act for: made by Installation.system(), .login() or .actor(). A context manager;
    close() frees it (also done when it is garbage-collected)."""

    def __init__(self, inst: "Installation", handle):
        self._inst = inst
        self._a = handle

    def close(self) -> None:
        if self._a is not None:
            _lib.vc_actor_free(self._a)
            self._a = None

    def __enter__(self) -> "Actor":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:  # noqa: BLE001 - interpreter shutdown
            pass

    def _handle(self):
        if self._a is None:
            raise InvalidInput("this actor is closed")
        self._inst._handle()
        return self._a

    # any route
    def request(self, method: str, target: str, body: Union[Dict[str, Any], List[Any], None] = None) -> Any:
        """Calls any REST route (`target` with its query) and returns its JSON answer (None when empty)."""
        out, err, status = _ffi.new("char**"), _ffi.new("char**"), _ffi.new("int*")
        payload = None if body is None else json.dumps(body)
        s = _lib.vc_request(self._handle(), _c(method), _c(target), _c(payload), status, out, err)
        _check(s, err)
        return _json_out(out)

    # devices
    def devices(self) -> List[Dict[str, Any]]:
        out, err = _ffi.new("char**"), _ffi.new("char**")
        _check(_lib.vc_devices_list(self._handle(), out, err), err)
        return _json_out(out)

    def device(self, device_id: str) -> Dict[str, Any]:
        out, err = _ffi.new("char**"), _ffi.new("char**")
        _check(_lib.vc_device_get(self._handle(), _c(device_id), out, err), err)
        return _json_out(out)

    def create_device(self, device_id: str, name: Optional[str] = None) -> Dict[str, Any]:
        out, err = _ffi.new("char**"), _ffi.new("char**")
        _check(_lib.vc_device_create(self._handle(), _c(device_id), _c(name), out, err), err)
        return _json_out(out)

    def rename_device(self, device_id: str, name: str) -> Dict[str, Any]:
        out, err = _ffi.new("char**"), _ffi.new("char**")
        _check(_lib.vc_device_rename(self._handle(), _c(device_id), _c(name), out, err), err)
        return _json_out(out)

    def delete_device(self, device_id: str) -> None:
        err = _ffi.new("char**")
        _check(_lib.vc_device_delete(self._handle(), _c(device_id), err), err)

    # media
    def media(self, device_id: str) -> List[Dict[str, Any]]:
        out, err = _ffi.new("char**"), _ffi.new("char**")
        _check(_lib.vc_media_list(self._handle(), _c(device_id), out, err), err)
        return _json_out(out)

    def upload(self, device_id: str, path: Union[str, os.PathLike], name: Optional[str] = None) -> List[Dict[str, Any]]:
        """Uploads a file (streamed, never read whole) and returns the stored items."""
        out, err = _ffi.new("char**"), _ffi.new("char**")
        _check(_lib.vc_media_upload(self._handle(), _c(device_id), _c(os.fspath(path)), _c(name), out, err), err)
        return _json_out(out)["items"]

    def remove_media(self, device_id: str, name: str) -> None:
        err = _ffi.new("char**")
        _check(_lib.vc_media_remove(self._handle(), _c(device_id), _c(name), err), err)

    # playback
    def command(self, device_id: str, action: str, file: Optional[str] = None, page: int = 0) -> Dict[str, Any]:
        """play, pause, resume, restart, stop, next, prev or page; returns {"device_id", "state"}."""
        out, err = _ffi.new("char**"), _ffi.new("char**")
        _check(_lib.vc_device_command(self._handle(), _c(device_id), _c(action), _c(file), int(page), out, err), err)
        return _json_out(out)

    def play(self, device_id: str, file: Optional[str] = None, page: int = 0) -> Dict[str, Any]:
        return self.command(device_id, "play", file, page)

    def pause(self, device_id: str) -> Dict[str, Any]:
        return self.command(device_id, "pause")

    def resume(self, device_id: str) -> Dict[str, Any]:
        return self.command(device_id, "resume")

    def stop(self, device_id: str) -> Dict[str, Any]:
        return self.command(device_id, "stop")


# ---- the installation --------------------------------------------------------------------------

class Installation:
    """An opened installation (see open()). A context manager; close() waits for event callbacks."""

    def __init__(self, handle):
        self._h = handle
        self._lock = threading.Lock()
        pw = _lib.vc_first_run_password(handle)
        self.first_run_password: Optional[str] = _text(pw) if pw != _ffi.NULL else None

    def _handle(self):
        if self._h is None:
            raise InvalidInput("this installation is closed")
        return self._h

    def close(self) -> None:
        with self._lock:
            if self._h is not None:
                _lib.vc_close(self._h)
                self._h = None

    def __enter__(self) -> "Installation":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _actor(self, fn, *args) -> Actor:
        out, err = _ffi.new("vc_actor**"), _ffi.new("char**")
        _check(fn(self._handle(), *args, out, err), err)
        return Actor(self, out[0])

    def system(self, organization: Optional[str] = None) -> Actor:
        """The installation itself in one organisation (slug or id; default "default" or the only one)."""
        return self._actor(_lib.vc_actor_system, _c(organization))

    def login(self, username: str, password: str) -> Actor:
        """A user, by name and password (audited as a sign-in)."""
        return self._actor(_lib.vc_actor_login, _c(username), _c(password))

    def actor(self, token: str) -> Actor:
        """The holder of an API key or access token."""
        return self._actor(_lib.vc_actor_from_token, _c(token))

    def subscribe(self, callback: Callable[[Event], None]) -> Subscription:
        """Calls `callback(event)` for every change, on the library's event thread."""
        return Subscription(self, callback)


def open(administer: bool = False, **settings: Union[str, int]) -> Installation:  # noqa: A001 - the natural name
    """Opens the installation configured by the server's settings as keyword arguments (DATA_DIR,
    DATABASE_URL, REDIS_URL, ADMIN_PASSWORD, …; docs/configuration.md). administer=True runs no
    conversions and drives no schedules: for a tool beside a running server."""
    items = [_ffi.new("char[]", ("%s=%s" % (k, v)).encode("utf-8")) for k, v in settings.items()]
    array = _ffi.new("const char*[]", items + [_ffi.NULL])
    out, err = _ffi.new("vc_installation**"), _ffi.new("char**")
    _check(_lib.vc_open(array, _OPEN_ADMINISTER if administer else 0, out, err), err)
    return Installation(out[0])
