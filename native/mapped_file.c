/*
 * mapped_file: read-only memory maps of prometheus_client multiprocess files,
 * for the prometheus_multiproc receiver (src/receivers/prometheus_multiproc/
 * mapped-files.ts loads it; without it the receiver reads files with read(2)).
 *
 * Why: a pass over a directory of 500 processes reads 2,500 files, about
 * 100 MB, to take 650,000 float64 values that sit between the keys. With the
 * files mapped once, a pass takes the values straight from the page cache:
 * no open, read or close per file and no copy of the keys.
 *
 * Contract (JavaScript side):
 *   map(path)          -> [errno, size, ino, ArrayBuffer | null]
 *                         errno 0: the file's `size` bytes mapped read-only
 *                         (null for a 0-byte file); otherwise open/fstat/mmap's
 *                         errno and nothing mapped.
 *   list(dir)          -> [errno, names: string[], inodes: number[]]: the entries
 *                         of a directory ending in `.db`, with their inode numbers
 *                         (from the directory itself: no stat per file)
 *   A file's bytes are given as (buffer, base, limit): `limit` bytes of the
 *   ArrayBuffer from byte `base` (a multiple of 8); offsets are the file's own.
 *   gather(buffer, base, limit, offsets, count, values, timestamps)
 *                      -> 0, or -1 when an offset is out of range (nothing then
 *                         trusted): values[i] = the float64 at offsets[i],
 *                         timestamps[i] = the one after it (when timestamps is
 *                         not null), for i < count. offsets an Int32Array of
 *                         multiples of 8; values, timestamps Float64Arrays.
 *   sameOutsideValues(buffer, base, end, from, other, otherStart, offsets, first, width)
 *                      -> 1 when the file's bytes [from, end) equal other[otherStart, ...)
 *                         byte for byte outside the value fields
 *                         [offsets[i], offsets[i] + width) for i >= first
 *                         (ascending, in buffer's coordinates), 0 when not, -1
 *                         when a range is out of bounds. other a Uint8Array
 *                         (a template with those fields zeroed). Reads only:
 *                         the mapping is read-only.
 *   readFiles, readFilesAhead, filesRead: see file_batches.c.
 *   unmap(buffer)      -> undefined: unmaps now and detaches the buffer
 *                         (otherwise the mapping goes when the buffer is collected)
 *   faults()           -> how many times a mapped page was found past the end of
 *                         its file (the file was truncated after it was mapped).
 *   faultCount         -> the same count in place: an ArrayBuffer of 4 bytes over
 *                         it (an int32), read through a view without a call (the
 *                         reader reads it around every file).
 *
 * A truncated file: reading a mapped page past the end of a file raises
 * SIGBUS, which would kill the process. The SIGBUS handler installed here
 * puts a page of zeros in place of such a page of one of this module's
 * mappings, counts a fault and lets the read go on; the reader compares
 * the count before and after reading a file and skips the file when it
 * changed. A SIGBUS anywhere else is left to the handler that was there
 * before (the default: the process dies, as without this module).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <node_api.h>
#include "napi_arguments.h"
#include "file_batches.h"
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct {
  char *addr;
  size_t length;
  int live;
} Region;

/* Live mappings, for the SIGBUS handler. Changed on the JavaScript thread only. */
static Region **regions = NULL;
static size_t region_count = 0;
static size_t region_room = 0;
/* The handler's count of faults; JavaScript reads it in place (faultCount). An int32, stored whole by the handler. */
static volatile int32_t fault_count = 0;
static struct sigaction previous_action;
static int handler_installed = 0;
static size_t page_size = 4096;

static void on_sigbus(int sig, siginfo_t *info, void *context) {
  char *at = (char *)info->si_addr;
  for (size_t i = 0; i < region_count; i++) {
    Region *r = regions[i];
    if (r->live && at >= r->addr && at < r->addr + r->length) {
      char *page = (char *)((uintptr_t)at & ~(uintptr_t)(page_size - 1));
      if (mmap(page, page_size, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) != MAP_FAILED) {
        fault_count++;
        return; /* the read is retried and finds zeros */
      }
      break;
    }
  }
  /*
   * Not ours: give the signal back to whoever handled it before. A fault
   * happens again when the read is retried; a signal sent by kill(2) is sent
   * again (delivered once this handler returns).
   */
  sigaction(SIGBUS, &previous_action, NULL);
  if (info->si_code <= 0) raise(sig);
  (void)context;
}

static void install_handler(void) {
  if (handler_installed) return;
  struct sigaction action;
  memset(&action, 0, sizeof action);
  action.sa_sigaction = on_sigbus;
  action.sa_flags = SA_SIGINFO;
  sigemptyset(&action.sa_mask);
  if (sigaction(SIGBUS, &action, &previous_action) == 0) handler_installed = 1;
}

static int add_region(Region *r) {
  if (region_count == region_room) {
    size_t room = region_room ? region_room * 2 : 1024;
    Region **grown = malloc(room * sizeof *grown);
    if (!grown) return -1;
    if (region_count) memcpy(grown, regions, region_count * sizeof *grown);
    /* Swapped in whole so that the handler never sees a half-copied list. */
    Region **old = regions;
    regions = grown;
    region_room = room;
    free(old);
  }
  regions[region_count++] = r;
  return 0;
}

static void remove_region(Region *r) {
  for (size_t i = 0; i < region_count; i++) {
    if (regions[i] == r) {
      regions[i] = regions[--region_count];
      return;
    }
  }
}

static void release(Region *r) {
  if (!r->live) return;
  r->live = 0;
  remove_region(r);
  munmap(r->addr, r->length);
}

static void finalize_region(napi_env env, void *data, void *hint) {
  Region *r = (Region *)hint;
  release(r);
  free(r);
  (void)env;
  (void)data;
}

static napi_value map_file(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  char path[PATH_MAX];
  if (!arguments_of(env, info, 1, argv, "map(path)") || path_argument(env, argv[0], path) != 0) return NULL;

  int error = 0;
  double size = 0, ino = 0;
  napi_value buffer;
  napi_get_null(env, &buffer);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) error = errno;
  else {
    struct stat st;
    if (fstat(fd, &st) != 0) error = errno;
    else {
      size = (double)st.st_size;
      ino = (double)st.st_ino;
      if (st.st_size > 0) {
        void *addr = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
        Region *r = addr == MAP_FAILED ? NULL : malloc(sizeof *r);
        if (addr == MAP_FAILED) error = errno;
        else if (!r || add_region(r) != 0) {
          munmap(addr, (size_t)st.st_size);
          free(r);
          error = ENOMEM;
        } else {
          r->addr = addr;
          r->length = (size_t)st.st_size;
          r->live = 1;
          if (napi_create_external_arraybuffer(env, addr, r->length, finalize_region, r, &buffer) != napi_ok) {
            release(r);
            free(r);
            close(fd);
            napi_throw_error(env, NULL, "cannot make an ArrayBuffer of a mapping");
            return NULL;
          }
        }
      }
    }
    close(fd);
  }
  napi_value out;
  napi_create_array_with_length(env, 4, &out);
  napi_set_element(env, out, 0, number(env, error));
  napi_set_element(env, out, 1, number(env, size));
  napi_set_element(env, out, 2, number(env, ino));
  napi_set_element(env, out, 3, buffer);
  return out;
}

static napi_value unmap_file(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  bool is_buffer = false;
  if (!arguments_of(env, info, 1, argv, "unmap(buffer)")) return NULL;
  if (napi_is_arraybuffer(env, argv[0], &is_buffer) != napi_ok || !is_buffer) {
    napi_throw_type_error(env, NULL, "unmap takes an ArrayBuffer from map()");
    return NULL;
  }
  void *data = NULL;
  size_t length = 0;
  napi_get_arraybuffer_info(env, argv[0], &data, &length);
  for (size_t i = 0; i < region_count; i++) {
    Region *r = regions[i];
    if (r->addr == data && r->length == length) {
      napi_detach_arraybuffer(env, argv[0]); /* no view can reach the pages any more */
      release(r);                            /* the Region is freed by the finalizer */
      break;
    }
  }
  return NULL;
}

static napi_value list_directory(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  char path[PATH_MAX];
  if (!arguments_of(env, info, 1, argv, "list(dir)") || path_argument(env, argv[0], path) != 0) return NULL;
  napi_value out, names, inodes;
  napi_create_array_with_length(env, 3, &out);
  napi_create_array(env, &names);
  napi_create_array(env, &inodes);
  int error = 0;
  DIR *dir = opendir(path);
  if (!dir) error = errno;
  else {
    uint32_t n = 0;
    struct dirent *e;
    errno = 0;
    while ((e = readdir(dir)) != NULL) {
      size_t length = strlen(e->d_name);
      if (length < 3 || strcmp(e->d_name + length - 3, ".db") != 0) continue;
      napi_value name;
      napi_create_string_utf8(env, e->d_name, length, &name);
      napi_set_element(env, names, n, name);
      napi_set_element(env, inodes, n, number(env, (double)e->d_ino));
      n++;
    }
    if (errno != 0) error = errno;
    closedir(dir);
  }
  napi_set_element(env, out, 0, number(env, error));
  napi_set_element(env, out, 1, names);
  napi_set_element(env, out, 2, inodes);
  return out;
}

/*
 * The bytes of one file inside an ArrayBuffer: `limit` bytes from `base`
 * (a mapping: base 0 and its size; a batch of readFiles: where the file was
 * put). Returns NULL with a JavaScript exception pending when the arguments
 * are not an ArrayBuffer and a range inside it.
 */
static const char *region_argument(napi_env env, napi_value buffer, napi_value base_value, napi_value limit_value, size_t *limit) {
  bool is_buffer = false;
  void *data = NULL;
  size_t size = 0;
  double base = -1, length = -1;
  if (napi_is_arraybuffer(env, buffer, &is_buffer) != napi_ok || !is_buffer) {
    napi_throw_type_error(env, NULL, "buffer must be an ArrayBuffer");
    return NULL;
  }
  napi_get_arraybuffer_info(env, buffer, &data, &size);
  napi_get_value_double(env, base_value, &base);
  napi_get_value_double(env, limit_value, &length);
  if (!(base >= 0 && length >= 0 && base + length <= (double)size) || ((size_t)base & 7) != 0) {
    napi_throw_range_error(env, NULL, "base and limit must be a range of the buffer, base a multiple of 8");
    return NULL;
  }
  *limit = (size_t)length;
  return (const char *)data + (size_t)base;
}

/*
 * A call whose first three arguments are a file's bytes (buffer, base,
 * limit): its `n` arguments into argv, and the bytes with their length in
 * *limit; NULL (a JavaScript exception pending) when they are wrong.
 */
static const char *file_call(napi_env env, napi_callback_info info, size_t n, napi_value *argv, const char *usage, size_t *limit) {
  if (!arguments_of(env, info, n, argv, usage)) return NULL;
  return region_argument(env, argv[0], argv[1], argv[2], limit);
}

static napi_value gather(napi_env env, napi_callback_info info) {
  napi_value argv[7];
  size_t size = 0;
  const char *bytes = file_call(env, info, 7, argv, "gather(buffer, base, limit, offsets, count, values, timestamps)", &size);
  if (!bytes) return NULL;
  void *offsets_data, *values_data, *timestamps_data = NULL;
  size_t offsets_length, values_length, timestamps_length = 0;
  double count_value = 0;
  napi_valuetype timestamps_type;
  napi_typeof(env, argv[6], &timestamps_type);
  if (typed_argument(env, argv[3], napi_int32_array, &offsets_data, &offsets_length) != 0 ||
      typed_argument(env, argv[5], napi_float64_array, &values_data, &values_length) != 0 ||
      (timestamps_type != napi_null && typed_argument(env, argv[6], napi_float64_array, &timestamps_data, &timestamps_length) != 0))
    return NULL;
  napi_get_value_double(env, argv[4], &count_value);
  size_t count = count_value > 0 ? (size_t)count_value : 0;
  if (count > offsets_length || count > values_length || (timestamps_data && count > timestamps_length)) {
    napi_throw_range_error(env, NULL, "count exceeds an array");
    return NULL;
  }
  const int32_t *offsets = offsets_data;
  double *values = values_data, *timestamps = timestamps_data;
  size_t width = timestamps ? 16 : 8;
  for (size_t i = 0; i < count; i++) {
    if (offsets[i] < 0 || (size_t)offsets[i] + width > size || (offsets[i] & 7) != 0) return number(env, -1);
  }
  /* Values sit a cache line or more apart in memory no cache holds: fetch ahead. */
  const size_t ahead = 8;
  for (size_t i = 0; i < count; i++) {
    if (i + ahead < count) __builtin_prefetch(bytes + offsets[i + ahead]);
    const double *at = (const double *)(bytes + offsets[i]);
    values[i] = at[0];
    if (timestamps) timestamps[i] = at[1];
  }
  return number(env, 0);
}

static napi_value same_outside_values(napi_env env, napi_callback_info info) {
  napi_value argv[9];
  size_t end = 0;
  const char *a = file_call(env, info, 9, argv, "sameOutsideValues(buffer, base, end, from, other, otherStart, offsets, first, width)", &end);
  if (!a) return NULL;
  double from_value, other_start_value, first_value, width_value;
  napi_get_value_double(env, argv[3], &from_value);
  napi_get_value_double(env, argv[5], &other_start_value);
  napi_get_value_double(env, argv[7], &first_value);
  napi_get_value_double(env, argv[8], &width_value);
  void *other_data, *offsets_data;
  size_t other_length, offsets_length;
  if (typed_argument(env, argv[4], napi_uint8_array, &other_data, &other_length) != 0 ||
      typed_argument(env, argv[6], napi_int32_array, &offsets_data, &offsets_length) != 0)
    return NULL;
  if (!(from_value >= 0 && (double)end >= from_value && other_start_value >= 0 &&
        other_start_value + ((double)end - from_value) <= (double)other_length && first_value >= 0 && width_value >= 0))
    return number(env, -1);
  size_t from = (size_t)from_value, other_start = (size_t)other_start_value;
  size_t width = (size_t)width_value;
  const char *b = (const char *)other_data + other_start - from; /* b[x] stands beside a[x] */
  const int32_t *offsets = offsets_data;
  size_t at = from;
  for (size_t i = (size_t)first_value; i < offsets_length; i++) {
    if (offsets[i] < 0 || (size_t)offsets[i] < at || (size_t)offsets[i] + width > end) return number(env, -1);
    size_t field = (size_t)offsets[i];
    if (memcmp(a + at, b + at, field - at) != 0) return number(env, 0);
    at = field + width;
  }
  return number(env, memcmp(a + at, b + at, end - at) == 0 ? 1 : 0);
}

static napi_value faults(napi_env env, napi_callback_info info) {
  (void)info;
  return number(env, fault_count);
}

static napi_value init(napi_env env, napi_value exports) {
  long p = sysconf(_SC_PAGESIZE);
  if (p > 0) page_size = (size_t)p;
  install_handler();
  napi_property_descriptor props[] = {
      {"map", NULL, map_file, NULL, NULL, NULL, napi_default, NULL},
      {"list", NULL, list_directory, NULL, NULL, NULL, napi_default, NULL},
      {"gather", NULL, gather, NULL, NULL, NULL, napi_default, NULL},
      {"sameOutsideValues", NULL, same_outside_values, NULL, NULL, NULL, napi_default, NULL},
      {"unmap", NULL, unmap_file, NULL, NULL, NULL, napi_default, NULL},
      {"faults", NULL, faults, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  napi_value fault_buffer;
  if (napi_create_external_arraybuffer(env, (void *)&fault_count, sizeof fault_count, NULL, NULL, &fault_buffer) == napi_ok)
    napi_set_named_property(env, exports, "faultCount", fault_buffer);
  define_file_batches(env, exports);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
