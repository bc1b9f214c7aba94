/*
 * videocontrol.h — the C API of VideoControl (libvideocontrol_c).
 *
 * A stable C interface over the C++ library's entry point (vc::Installation), for programs in C and
 * for language bindings (bindings/python uses it through cffi). In the style of DuckDB's duckdb.h
 * and LevelDB's c.h:
 *
 *   - Opaque handles: vc_installation (an opened installation), vc_actor (who a call acts for).
 *   - Every call that can fail returns a vc_status; VC_OK (0) is success. On failure, when `errmsg`
 *     is not NULL, *errmsg receives a UTF-8 message that the caller must free with vc_free(); on
 *     success *errmsg is set to NULL.
 *   - Results are UTF-8 JSON documents, exactly the REST API's bodies (docs/openapi.json), returned
 *     in *json_out, which the caller must free with vc_free().
 *   - No C++ exception crosses this boundary: an unexpected failure is VC_ERR_INTERNAL.
 *   - Strings passed in are UTF-8 and NUL-terminated; they are copied, never kept.
 *   - Thread safety: an installation and its actors may be used from several threads at once.
 *     Event callbacks run on the library's event delivery thread (not the caller's), one at a time,
 *     in publish order; a callback must return quickly and must not call vc_close() or
 *     vc_unsubscribe() for its own installation.
 *
 * Versioning: the header's VC_C_API_VERSION is bumped only by additions. The shared library's
 * soname is libvideocontrol_c.so.<major>; exported symbols carry the version node VIDEOCONTROL_C_1
 * (bindings/c/videocontrol_c.map). A function's meaning never changes within a major version.
 */
#ifndef VIDEOCONTROL_H
#define VIDEOCONTROL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define VC_C_API __attribute__((visibility("default")))
#else
#define VC_C_API
#endif

#define VC_C_API_VERSION 1

/* Errors, with the same meaning as the library's vc::ErrorCode and the REST API's HTTP statuses. */
typedef enum vc_status {
  VC_OK = 0,
  VC_ERR_INVALID = 1,         /* bad input (400) */
  VC_ERR_UNAUTHENTICATED = 2, /* no or bad credentials (401) */
  VC_ERR_FORBIDDEN = 3,       /* the role or key does not allow it, or a plan limit (403) */
  VC_ERR_NOT_FOUND = 4,       /* missing, or of another organisation (404) */
  VC_ERR_CONFLICT = 5,        /* exists already, in use, changed meanwhile (409) */
  VC_ERR_TOO_LARGE = 6,       /* over a size limit (413) */
  VC_ERR_UNSUPPORTED = 7,     /* media type or operation not supported (415, 501) */
  VC_ERR_RATE_LIMITED = 8,    /* too many requests (429) */
  VC_ERR_UNAVAILABLE = 9,     /* the database or another dependency is down (503) */
  VC_ERR_INTERNAL = 10        /* a bug or an unexpected failure */
} vc_status;

typedef struct vc_installation vc_installation;
typedef struct vc_actor vc_actor;

/* The library's version, e.g. "0.1.0". Static storage: do not free. */
VC_C_API const char* vc_version(void);

/* A stable lower_snake_case name for a status ("not_found"). Static storage: do not free. */
VC_C_API const char* vc_status_name(vc_status status);

/* Frees a string this API returned (a message or a JSON document). NULL is allowed. */
VC_C_API void vc_free(void* p);

/* ---- opening ------------------------------------------------------------------------------- */

/* Opens (creating when empty, migrating when older) the installation configured by `settings`: a
 * NULL-terminated array of "NAME=value" strings with the server's setting names (DATA_DIR,
 * DATABASE_URL, CONTENT_DIR, REDIS_URL, ADMIN_PASSWORD, …; docs/configuration.md). Settings not named
 * take their defaults; the process environment is not read. `settings` may be NULL (./data).
 * `flags`: VC_OPEN_ADMINISTER runs no content pipeline workers and drives no schedules (a tool next
 * to a running server); 0 runs both, as the server does.
 * On success *out must be closed with vc_close(). */
#define VC_OPEN_ADMINISTER 1u
VC_C_API vc_status vc_open(const char* const* settings, uint32_t flags, vc_installation** out, char** errmsg);

/* Closes the installation; waits for running event callbacks to return. NULL is allowed. Every actor
 * of it must have been freed before. */
VC_C_API void vc_close(vc_installation* inst);

/* On the open that created the installation: the superadmin's generated password (NULL otherwise,
 * or when ADMIN_PASSWORD was given). Valid until vc_close(); do not free. */
VC_C_API const char* vc_first_run_password(vc_installation* inst);

/* ---- actors -------------------------------------------------------------------------------- */

/* The installation itself, acting in one organisation (slug or id; NULL: "default", or the only one).
 * Allowed everything: for administration tools. Free with vc_actor_free(). */
VC_C_API vc_status vc_actor_system(vc_installation* inst, const char* organization, vc_actor** out, char** errmsg);

/* A user, by user name and password (audited as a sign-in). Free with vc_actor_free(). */
VC_C_API vc_status vc_actor_login(vc_installation* inst, const char* username, const char* password, vc_actor** out,
                                  char** errmsg);

/* The holder of an API key or an access token. Free with vc_actor_free(). */
VC_C_API vc_status vc_actor_from_token(vc_installation* inst, const char* token, vc_actor** out, char** errmsg);

VC_C_API void vc_actor_free(vc_actor* actor);

/* ---- calls --------------------------------------------------------------------------------- */
/* Each returns the REST API's JSON body in *json_out (free with vc_free()); json_out may be NULL when
 * the answer is not wanted. Deleting calls return no document (*json_out NULL). */

/* Any REST route: `method` "GET", "POST", …; `target` a path with its query ("/api/v1/devices?limit=5");
 * `json_body` may be NULL. *http_status (may be NULL) receives the HTTP status; a 4xx/5xx answer is
 * also returned as its vc_status, with the server's message in *errmsg. */
VC_C_API vc_status vc_request(vc_actor* actor, const char* method, const char* target, const char* json_body,
                              int* http_status, char** json_out, char** errmsg);

/* Devices: a JSON array of every device of the actor's organisation (all pages). */
VC_C_API vc_status vc_devices_list(vc_actor* actor, char** json_out, char** errmsg);
/* `name` may be NULL (the id). */
VC_C_API vc_status vc_device_create(vc_actor* actor, const char* device_id, const char* name, char** json_out, char** errmsg);
VC_C_API vc_status vc_device_get(vc_actor* actor, const char* device_id, char** json_out, char** errmsg);
VC_C_API vc_status vc_device_rename(vc_actor* actor, const char* device_id, const char* name, char** json_out, char** errmsg);
VC_C_API vc_status vc_device_delete(vc_actor* actor, const char* device_id, char** errmsg);

/* Media: a JSON array of a device's files (all pages). */
VC_C_API vc_status vc_media_list(vc_actor* actor, const char* device_id, char** json_out, char** errmsg);
/* Uploads the file at `path` to a device under `name` (NULL: the file's name), streamed. Returns the
 * upload's {"items":[…]} document. */
VC_C_API vc_status vc_media_upload(vc_actor* actor, const char* device_id, const char* path, const char* name,
                                   char** json_out, char** errmsg);
VC_C_API vc_status vc_media_remove(vc_actor* actor, const char* device_id, const char* name, char** errmsg);

/* A playback command: `action` "play", "pause", "resume", "restart", "stop", "next", "prev", "page";
 * `file` may be NULL; `page` 0 when not needed. Returns {"device_id","state"}. */
VC_C_API vc_status vc_device_command(vc_actor* actor, const char* device_id, const char* action, const char* file,
                                     int page, char** json_out, char** errmsg);

/* ---- events -------------------------------------------------------------------------------- */

/* One change, as the library published it. The strings are valid only during the callback. */
typedef struct vc_event {
  const char* kind;            /* "device.created", "device.online", "playback.changed", … (events.hpp) */
  const char* organization_id;
  const char* device_id;       /* "" when none */
  const char* json;            /* the whole event as one JSON object */
} vc_event;

typedef void (*vc_event_callback)(const vc_event* event, void* user_data);

/* Calls `callback` for every change of the installation (all organisations) until vc_unsubscribe()
 * or vc_close(). *subscription (may be NULL) receives the id to unsubscribe with. */
VC_C_API vc_status vc_subscribe(vc_installation* inst, vc_event_callback callback, void* user_data, uint64_t* subscription,
                                char** errmsg);
/* After it returns, the callback is not running and will not run again. */
VC_C_API void vc_unsubscribe(vc_installation* inst, uint64_t subscription);

#ifdef __cplusplus
}
#endif

#endif /* VIDEOCONTROL_H */
