/*
 * file_batches: many multiprocess files read with one call, for the reads
 * of a fresh process (the `multiproc` command) and the receiver's read(2)
 * access: one call instead of five system calls per file from JavaScript.
 *
 * Contract (JavaScript side):
 *   readFiles(dir, names, starts, from, buffer, meta)
 *                      -> the index after the last name read: reads the files
 *                         dir/name[from], dir/name[from + 1], ... one after
 *                         the other into buffer (an ArrayBuffer; each file from
 *                         a multiple of 8), as long as they fit (and meta has
 *                         room): of each, the bytes in use (`used`, the header's
 *                         first field) or, when the header says an impossible
 *                         `used`, the header alone.
 *                         meta (a Float64Array), meta[5k..5k+4] for the k-th file
 *                         of the call: errno (0 when read; -1: alone larger than
 *                         buffer, not read), size, inode, where its bytes start,
 *                         how many were read.
 *                         The names: `names` a Uint8Array of NUL-terminated
 *                         names (its last byte a NUL), name[k] the one at byte
 *                         starts[k] (an Int32Array): made once per listing,
 *                         read in place by every call.
 *   readFilesAhead(dir, names, starts, from, buffer, meta)
 *                      -> a handle: the same reads, started on a thread of their
 *                         own, so that they overlap the caller's work on the
 *                         previous batch. buffer and meta are written until
 *                         filesRead(handle) returns: the caller must not read
 *                         them before, nor change names and starts (the call
 *                         keeps all four alive meanwhile).
 *   filesRead(handle)  -> waits for the reads of readFilesAhead to end; what
 *                         readFiles would have returned (again on later calls).
 */
#define _GNU_SOURCE
#include "file_batches.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "napi_arguments.h"

/* One batch: where the names are (read in place: they stay alive and unchanged until the batch is read), where the bytes go, and the result. */
typedef struct {
  char path[PATH_MAX]; /* dir + '/'; each name is put after it in turn */
  size_t dir_length;
  const char *names; /* NUL-terminated names, the last byte a NUL */
  const int32_t *starts; /* name k at names + starts[k] */
  uint32_t from, count; /* names [from, from + count) may be read (as meta has room) */
  char *buffer;
  size_t buffer_size;
  double *meta;
  uint32_t end; /* the index after the last name read */
} Batch;

/* A batch read on its own thread; its four arguments (buffer, meta, names, starts) are kept alive by references until it is joined. */
enum { REFERENCES = 4 };
typedef struct {
  Batch batch;
  pthread_t thread;
  int running;
  napi_ref refs[REFERENCES];
} AheadBatch;

/* Reads up to `length` bytes from the start of `fd` into `into`; the bytes read, or -1 (errno set). */
static ssize_t read_start(int fd, char *into, size_t length) {
  size_t got = 0;
  while (got < length) {
    ssize_t n = pread(fd, into + got, length - got, (off_t)got);
    if (n < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    if (n == 0) break;
    got += (size_t)n;
  }
  return (ssize_t)got;
}

/* The reads of a batch (no JavaScript: runs on any thread). */
static void read_batch(Batch *b) {
  uint32_t k = b->from;
  size_t at = 0;
  for (uint32_t slot = 0; slot < b->count; slot++, k++) {
    const char *name = b->names + b->starts[k];
    size_t name_length = strlen(name);
    if (b->dir_length + name_length >= PATH_MAX) {
      b->meta[slot * 5] = ENAMETOOLONG, b->meta[slot * 5 + 1] = 0, b->meta[slot * 5 + 2] = 0, b->meta[slot * 5 + 3] = (double)at, b->meta[slot * 5 + 4] = 0;
      continue;
    }
    memcpy(b->path + b->dir_length, name, name_length + 1);
    double *m = b->meta + slot * 5; /* errno, size, inode, where its bytes start in buffer, how many */
    m[0] = 0, m[1] = 0, m[2] = 0, m[3] = (double)at, m[4] = 0;
    int fd = open(b->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      m[0] = errno;
      continue;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
      m[0] = errno;
      close(fd);
      continue;
    }
    m[1] = (double)st.st_size, m[2] = (double)st.st_ino;
    size_t want = 0;
    if (st.st_size > 0) {
      int32_t used = 0;
      ssize_t got = pread(fd, &used, sizeof used, 0);
      size_t size = (size_t)st.st_size;
      /* The bytes in use when the header says a possible `used`; else the header alone (the reader says what is wrong). */
      want = got == (ssize_t)sizeof used && used >= 8 && (size_t)used <= size ? (size_t)used : (size < 8 ? size : 8);
    }
    if (at + want > b->buffer_size) {
      close(fd);
      if (slot == 0) {
        m[0] = -1; /* alone larger than the buffer: the caller reads it another way */
        k++;
      }
      break;
    }
    ssize_t got = want ? read_start(fd, b->buffer + at, want) : 0;
    if (got < 0) m[0] = errno;
    else {
      m[4] = (double)got;
      at += ((size_t)got + 7) & ~(size_t)7;
    }
    close(fd);
  }
  b->end = k;
}

/*
 * A batch from the arguments (dir, names, starts, from, buffer, meta): the
 * names from `from` on, as many as meta has room for. 0, or -1 with a
 * JavaScript exception pending.
 */
static int batch_of(napi_env env, napi_value *argv, Batch *b) {
  bool is_buffer = false;
  if (path_argument(env, argv[0], b->path) != 0) return -1;
  void *names, *starts, *meta, *buffer;
  size_t names_length, starts_length, meta_length;
  if (typed_argument(env, argv[1], napi_uint8_array, &names, &names_length) != 0 || typed_argument(env, argv[2], napi_int32_array, &starts, &starts_length) != 0 ||
      typed_argument(env, argv[5], napi_float64_array, &meta, &meta_length) != 0)
    return -1;
  if (napi_is_arraybuffer(env, argv[4], &is_buffer) != napi_ok || !is_buffer) {
    napi_throw_type_error(env, NULL, "buffer must be an ArrayBuffer");
    return -1;
  }
  napi_get_arraybuffer_info(env, argv[4], &buffer, &b->buffer_size);
  /* Every name must end inside `names`: its last byte a NUL, every start inside it. */
  if (names_length == 0 || ((const char *)names)[names_length - 1] != 0) {
    napi_throw_range_error(env, NULL, "names must end with a NUL");
    return -1;
  }
  for (size_t i = 0; i < starts_length; i++) {
    if (((const int32_t *)starts)[i] < 0 || (size_t)((const int32_t *)starts)[i] >= names_length) {
      napi_throw_range_error(env, NULL, "starts must be offsets into names");
      return -1;
    }
  }
  double from = 0;
  napi_get_value_double(env, argv[3], &from);
  b->names = names;
  b->starts = starts;
  b->buffer = buffer;
  b->meta = meta;
  b->dir_length = strlen(b->path);
  if (b->dir_length + 2 >= PATH_MAX) {
    napi_throw_range_error(env, NULL, "path too long");
    return -1;
  }
  b->path[b->dir_length++] = '/';
  uint32_t length = (uint32_t)starts_length;
  b->from = from > 0 ? (from < length ? (uint32_t)from : length) : 0;
  b->count = length - b->from;
  if (b->count > meta_length / 5) b->count = (uint32_t)(meta_length / 5);
  return 0;
}

static napi_value read_files(napi_env env, napi_callback_info info) {
  napi_value argv[6];
  Batch b;
  if (!arguments_of(env, info, 6, argv, "readFiles(dir, names, starts, from, buffer, meta)") || batch_of(env, argv, &b) != 0) return NULL;
  read_batch(&b);
  return number(env, b.end);
}

static void *read_ahead(void *data) {
  read_batch(&((AheadBatch *)data)->batch);
  return NULL;
}

/* Waits for the thread (once) and lets go of its arguments. */
static void join_ahead(napi_env env, AheadBatch *a) {
  if (a->running) {
    pthread_join(a->thread, NULL);
    a->running = 0;
  }
  for (int i = 0; i < REFERENCES; i++) {
    if (a->refs[i]) napi_delete_reference(env, a->refs[i]);
    a->refs[i] = NULL;
  }
}

static void finalize_ahead(napi_env env, void *data, void *hint) {
  (void)hint;
  join_ahead(env, data);
  free(data);
}

static napi_value read_files_ahead(napi_env env, napi_callback_info info) {
  napi_value argv[6];
  AheadBatch *a = calloc(1, sizeof *a);
  if (!a) {
    napi_throw_error(env, NULL, "out of memory");
    return NULL;
  }
  if (!arguments_of(env, info, 6, argv, "readFilesAhead(dir, names, starts, from, buffer, meta)") || batch_of(env, argv, &a->batch) != 0) {
    free(a);
    return NULL;
  }
  const int kept[REFERENCES] = {1, 2, 4, 5}; /* names, starts, buffer, meta */
  for (int i = 0; i < REFERENCES; i++) napi_create_reference(env, argv[kept[i]], 1, &a->refs[i]);
  a->running = pthread_create(&a->thread, NULL, read_ahead, a) == 0;
  if (!a->running) read_batch(&a->batch); /* no thread to be had: read now */
  napi_value handle;
  if (napi_create_external(env, a, finalize_ahead, NULL, &handle) != napi_ok) {
    join_ahead(env, a);
    free(a);
    return NULL;
  }
  return handle;
}

static napi_value files_read(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  void *data = NULL;
  napi_valuetype type;
  if (!arguments_of(env, info, 1, argv, "filesRead(handle)")) return NULL;
  if (napi_typeof(env, argv[0], &type) != napi_ok || type != napi_external || napi_get_value_external(env, argv[0], &data) != napi_ok || !data) {
    napi_throw_type_error(env, NULL, "filesRead(handle): a handle of readFilesAhead");
    return NULL;
  }
  AheadBatch *a = data;
  join_ahead(env, a);
  return number(env, a->batch.end);
}

void define_file_batches(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"readFiles", NULL, read_files, NULL, NULL, NULL, napi_default, NULL},
      {"readFilesAhead", NULL, read_files_ahead, NULL, NULL, NULL, napi_default, NULL},
      {"filesRead", NULL, files_read, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
}
