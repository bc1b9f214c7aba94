/* Every function of videocontrol.h, from plain C (C11): an installation in a fresh folder, the system
 * actor, a user signed in by password and an API key, devices, a media upload (an image FFmpeg makes),
 * playback commands, events on the library's thread, errors with their codes and messages, and
 * nothing leaked (the ASan build runs it too). Usage: vc_c_api_test WORK_DIR */
#define _POSIX_C_SOURCE 200809L /* nanosleep */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "videocontrol.h"

static int failures = 0;

#define CHECK(cond, ...)                                 \
  do {                                                   \
    if (!(cond)) {                                       \
      fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond); \
      fprintf(stderr, __VA_ARGS__);                      \
      fprintf(stderr, "\n");                             \
      ++failures;                                        \
    }                                                    \
  } while (0)

static char* err = NULL; /* the message of the last failed call, freed before each new one */

static void reset_err(void) {
  vc_free(err);
  err = NULL;
}

/* A call expected to succeed (it passes &err); prints the message otherwise. */
#define OK(call)                                                                  \
  do {                                                                            \
    vc_status s_ = (call);                                                        \
    CHECK(s_ == VC_OK, "%s: %s", vc_status_name(s_), err ? err : "(no message)"); \
    reset_err();                                                                  \
  } while (0)

static atomic_int device_events = 0;
static atomic_int playback_events = 0;
static atomic_int other_thread = 0;

static void on_event(const vc_event* e, void* user) {
  CHECK(user == (void*)&device_events, "user data passed through");
  CHECK(e->kind && e->organization_id && e->device_id && e->json, "event strings are set");
  CHECK(e->json[0] == '{', "the event is a JSON object: %s", e->json);
  if (strncmp(e->kind, "device.", 7) == 0) atomic_fetch_add(&device_events, 1);
  if (strcmp(e->kind, "playback.changed") == 0) atomic_fetch_add(&playback_events, 1);
  atomic_store(&other_thread, 1);
}

static void wait_for(atomic_int* counter, int at_least) {
  for (int i = 0; i < 200 && atomic_load(counter) < at_least; ++i) {
    struct timespec t = {0, 10 * 1000 * 1000};
    nanosleep(&t, NULL);
  }
}

static int contains(const char* haystack, const char* needle) { return haystack && strstr(haystack, needle) != NULL; }

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s WORK_DIR\n", argv[0]);
    return 2;
  }
  const char* work = argv[1];
  char cmd[4096], data_dir[2048], setting_dir[2100], image[2100];
  snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s'", work, work);
  if (system(cmd) != 0) return 2;
  snprintf(data_dir, sizeof data_dir, "%s/data", work);
  snprintf(setting_dir, sizeof setting_dir, "DATA_DIR=%s", data_dir);
  snprintf(image, sizeof image, "%s/red.png", work);
  snprintf(cmd, sizeof cmd, "ffmpeg -loglevel error -y -f lavfi -i color=red:size=64x64 -frames:v 1 '%s'", image);
  if (system(cmd) != 0) return 2;

  CHECK(strcmp(vc_version(), "") != 0, "a version");
  CHECK(strcmp(vc_status_name(VC_ERR_NOT_FOUND), "not_found") == 0, "status names");
  CHECK(strcmp(vc_status_name(VC_OK), "ok") == 0, "ok");
  vc_free(NULL);

  /* A bad setting is refused with the setting's name; nothing is opened. */
  vc_installation* inst = NULL;
  const char* bad[] = {"PORT=not-a-number", NULL};
  vc_status s = vc_open(bad, 0, &inst, &err);
  CHECK(s == VC_ERR_INVALID && inst == NULL && contains(err, "PORT"), "bad setting: %s %s", vc_status_name(s), err ? err : "");
  reset_err();
  const char* not_kv[] = {"DATA_DIR", NULL};
  CHECK(vc_open(not_kv, 0, &inst, &err) == VC_ERR_INVALID && contains(err, "NAME=value"), "not NAME=value: %s", err ? err : "");
  reset_err();
  CHECK(vc_open(NULL, 0, NULL, &err) == VC_ERR_INVALID, "NULL out");
  reset_err();

  /* First open: created, with a generated superadmin password. */
  const char* settings[] = {setting_dir, "LOG_LEVEL=warn", NULL};
  s = vc_open(settings, VC_OPEN_ADMINISTER, &inst, &err);
  CHECK(s == VC_OK && inst != NULL, "open: %s", err ? err : "");
  reset_err();
  if (!inst) return 1;
  const char* generated = vc_first_run_password(inst);
  CHECK(generated != NULL && strlen(generated) >= 12, "a generated password");
  char admin_password[256];
  snprintf(admin_password, sizeof admin_password, "%s", generated ? generated : "");

  uint64_t sub = 0;
  OK(vc_subscribe(inst, on_event, &device_events, &sub, &err));
  CHECK(sub != 0, "a subscription id");
  CHECK(vc_subscribe(inst, NULL, NULL, NULL, &err) == VC_ERR_INVALID, "NULL callback");
  reset_err();

  /* The system actor in the default organisation. */
  vc_actor* sys = NULL;
  OK(vc_actor_system(inst, NULL, &sys, &err));
  CHECK(vc_actor_system(inst, "no-such-org", &(vc_actor*){NULL}, &err) == VC_ERR_NOT_FOUND, "unknown organisation");
  reset_err();

  char* json = NULL;
  OK(vc_device_create(sys, "lobby", "Лобби", &json, &err));
  CHECK(contains(json, "\"device_id\":\"lobby\"") && contains(json, "Лобби"), "created: %s", json);
  vc_free(json);
  json = NULL;
  CHECK(vc_device_create(sys, "lobby", NULL, &json, &err) == VC_ERR_CONFLICT && json == NULL && contains(err, "lobby"),
        "duplicate: %s", err ? err : "");
  reset_err();
  CHECK(vc_device_create(sys, "bad id!", NULL, NULL, &err) == VC_ERR_INVALID && err != NULL, "bad id");
  reset_err();
  OK(vc_device_create(sys, "hall", NULL, NULL, &err));
  OK(vc_device_rename(sys, "hall", "Hall", &json, &err));
  CHECK(contains(json, "\"name\":\"Hall\""), "renamed: %s", json);
  vc_free(json);
  OK(vc_devices_list(sys, &json, &err));
  CHECK(json && json[0] == '[' && contains(json, "\"lobby\"") && contains(json, "\"hall\""), "list: %s", json);
  vc_free(json);
  OK(vc_device_get(sys, "lobby", &json, &err));
  CHECK(contains(json, "\"status\":\"offline\""), "get: %s", json);
  vc_free(json);
  CHECK(vc_device_get(sys, "nowhere", &json, &err) == VC_ERR_NOT_FOUND && json == NULL, "missing device");
  reset_err();
  wait_for(&device_events, 3);
  CHECK(atomic_load(&device_events) >= 3, "device events: %d", atomic_load(&device_events));
  CHECK(atomic_load(&other_thread) == 1, "callbacks ran");

  /* Media: upload (streamed), list, play, remove. */
  OK(vc_media_upload(sys, "lobby", image, NULL, &json, &err));
  CHECK(contains(json, "\"name\":\"red.png\"") && contains(json, "\"kind\":\"image\""), "upload: %s", json);
  vc_free(json);
  OK(vc_media_upload(sys, "lobby", image, "Красный.png", &json, &err));
  CHECK(contains(json, "Красный.png") && contains(json, "\"deduplicated\":true"), "same bytes again: %s", json);
  vc_free(json);
  CHECK(vc_media_upload(sys, "lobby", "/nonexistent/file.png", NULL, NULL, &err) == VC_ERR_INVALID && err, "missing file");
  reset_err();
  OK(vc_media_list(sys, "lobby", &json, &err));
  CHECK(contains(json, "red.png") && contains(json, "Красный.png"), "media list: %s", json);
  vc_free(json);
  OK(vc_device_command(sys, "lobby", "play", "red.png", 0, &json, &err));
  CHECK(contains(json, "\"file\":\"red.png\""), "play: %s", json);
  vc_free(json);
  CHECK(vc_device_command(sys, "lobby", "page", NULL, -1, NULL, &err) == VC_ERR_INVALID, "negative page");
  reset_err();
  CHECK(vc_device_command(sys, "lobby", "dance", NULL, 0, NULL, &err) == VC_ERR_INVALID && err, "unknown action");
  reset_err();
  OK(vc_device_command(sys, "lobby", "stop", NULL, 0, NULL, &err));
  wait_for(&playback_events, 2);
  CHECK(atomic_load(&playback_events) >= 2, "playback events: %d", atomic_load(&playback_events));
  OK(vc_media_remove(sys, "lobby", "Красный.png", &err));
  CHECK(vc_media_remove(sys, "lobby", "Красный.png", &err) == VC_ERR_NOT_FOUND, "removed already");
  reset_err();

  /* Any route: a viewer user, an API key. */
  int http = 0;
  OK(vc_request(sys, "POST", "/api/v1/users", "{\"username\":\"viewer1\",\"password\":\"Viewer-pass-123\",\"role\":\"viewer\"}", &http,
                &json, &err));
  CHECK(http == 201 && contains(json, "\"role\":\"viewer\""), "user: %d %s", http, json);
  vc_free(json);
  CHECK(vc_request(sys, "GET", "/api/v1/nothing-here", NULL, &http, &json, &err) == VC_ERR_NOT_FOUND && http == 404, "no route");
  reset_err();
  CHECK(vc_request(sys, "GET", "/socket.io/?EIO=4&transport=polling", NULL, &http, NULL, &err) == VC_ERR_UNSUPPORTED, "connection-only route: %d",
        http);
  reset_err();
  OK(vc_request(sys, "POST", "/api/v1/api-keys", "{\"name\":\"c-test\",\"scopes\":[\"read\"]}", &http, &json, &err));
  char key[512] = "";
  const char* k = json ? strstr(json, "\"key\":\"") : NULL;
  if (k) {
    k += 7;
    size_t n = strcspn(k, "\"");
    if (n < sizeof key) memcpy(key, k, n), key[n] = '\0';
  }
  vc_free(json);
  CHECK(key[0] != '\0', "an API key");

  vc_actor* viewer = NULL;
  CHECK(vc_actor_login(inst, "viewer1", "wrong-password", &viewer, &err) == VC_ERR_UNAUTHENTICATED && viewer == NULL && err, "wrong password");
  reset_err();
  OK(vc_actor_login(inst, "viewer1", "Viewer-pass-123", &viewer, &err));
  OK(vc_devices_list(viewer, &json, &err));
  CHECK(contains(json, "lobby"), "the viewer reads");
  vc_free(json);
  CHECK(vc_device_create(viewer, "x1", NULL, NULL, &err) == VC_ERR_FORBIDDEN && contains(err, "viewer"), "the viewer may not create: %s",
        err ? err : "");
  reset_err();
  CHECK(vc_device_delete(viewer, "lobby", &err) == VC_ERR_FORBIDDEN, "nor delete");
  reset_err();
  vc_actor_free(viewer);

  vc_actor* keyed = NULL;
  CHECK(vc_actor_from_token(inst, "vck_not-a-key", &keyed, &err) == VC_ERR_UNAUTHENTICATED && keyed == NULL, "bad key");
  reset_err();
  OK(vc_actor_from_token(inst, key, &keyed, &err));
  OK(vc_device_get(keyed, "hall", &json, &err));
  vc_free(json);
  CHECK(vc_device_rename(keyed, "hall", "no", NULL, &err) == VC_ERR_FORBIDDEN, "a read key may not write");
  reset_err();
  vc_actor_free(keyed);

  vc_actor* admin = NULL;
  OK(vc_actor_login(inst, "admin", admin_password, &admin, &err));
  OK(vc_device_delete(admin, "hall", &err));
  CHECK(vc_device_get(admin, "hall", NULL, &err) == VC_ERR_NOT_FOUND, "deleted");
  reset_err();
  vc_actor_free(admin);

  /* After unsubscribing no callback runs. */
  vc_unsubscribe(inst, sub);
  int before = atomic_load(&device_events);
  OK(vc_device_create(sys, "late", NULL, NULL, &err));
  struct timespec t = {0, 200 * 1000 * 1000};
  nanosleep(&t, NULL);
  CHECK(atomic_load(&device_events) == before, "no events after vc_unsubscribe");
  vc_unsubscribe(inst, 12345); /* unknown: nothing happens */

  vc_actor_free(sys);
  vc_actor_free(NULL);
  vc_close(inst);
  vc_close(NULL);

  /* Reopened: not a first run, and the data is there. */
  OK(vc_open(settings, VC_OPEN_ADMINISTER, &inst, &err));
  CHECK(vc_first_run_password(inst) == NULL, "not a first run");
  OK(vc_actor_system(inst, "default", &sys, &err));
  OK(vc_devices_list(sys, &json, &err));
  CHECK(contains(json, "lobby") && contains(json, "late") && !contains(json, "\"hall\""), "kept: %s", json);
  vc_free(json);
  vc_actor_free(sys);
  vc_close(inst);
  reset_err();

  if (failures) fprintf(stderr, "%d checks failed\n", failures);
  else printf("c api: all checks passed\n");
  return failures ? 1 : 0;
}
