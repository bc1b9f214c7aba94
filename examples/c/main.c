/* The C API in a few lines: open an installation, create a device, hear about it as an event.
 * Build against the installed package:  cc main.c $(pkg-config --cflags --libs videocontrol-c)
 * Run:  ./a.out DATA_DIR */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <videocontrol.h>

static void on_event(const vc_event* e, void* user) {
  (void)user;
  printf("event %s %s\n", e->kind, e->device_id); /* on the library's event thread */
}

int main(int argc, char** argv) {
  char data_dir[1024];
  snprintf(data_dir, sizeof data_dir, "DATA_DIR=%s", argc > 1 ? argv[1] : "./data");
  const char* settings[] = {data_dir, "LOG_LEVEL=warn", NULL};
  vc_installation* inst = NULL;
  vc_actor* admin = NULL;
  char* err = NULL;
  char* json = NULL;
  if (vc_open(settings, VC_OPEN_ADMINISTER, &inst, &err) != VC_OK) {
    fprintf(stderr, "open: %s\n", err);
    vc_free(err);
    return 1;
  }
  printf("library %s, first run: %s\n", vc_version(), vc_first_run_password(inst) ? "yes" : "no");
  uint64_t sub = 0;
  vc_subscribe(inst, on_event, NULL, &sub, NULL);
  vc_actor_system(inst, NULL, &admin, NULL);
  vc_status s = vc_device_create(admin, "c-lobby", "Lobby", &json, &err);
  if (s == VC_OK) printf("created %s\n", json);
  else printf("not created (%s): %s\n", vc_status_name(s), err); /* VC_ERR_CONFLICT on the second run */
  vc_free(json);
  vc_free(err);
  usleep(200 * 1000); /* let the event arrive */
  vc_unsubscribe(inst, sub);
  vc_actor_free(admin);
  vc_close(inst);
  return 0;
}
