/* Whole-file input: maps a regular file read-only with mmap and wraps the
 * mapping in a qv_buffer whose release callback unmaps it, so readers slice
 * the file without copying and the pages stay valid exactly as long as some
 * array still references them. Anything mmap refuses (pipes, character
 * devices, /proc files reporting size 0) is read with read(2) into an
 * allocator buffer instead. Errors name the file and the failing call. */
#include "io/file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct mapping {
  void *addr;
  size_t size;
} mapping;

static void unmap(void *ctx) {
  mapping *m = ctx;
  munmap(m->addr, m->size);
  free(m);
}

static qv_status open_error(const char *path, int e, qv_error *err) {
  if (e == ENOENT || e == ENOTDIR)
    return qv_error_set(err, QV_NOT_FOUND, "%s: no such file", path);
  return qv_error_set(err, QV_IO, "%s: cannot open: %s", path, strerror(e));
}

/* Reads fd to its end into a growing byte vector. */
static qv_status read_stream(int fd, const char *path, qv_allocator *alloc, qv_buffer **out,
                             qv_error *err) {
  qv_bytes v;
  qv_bytes_init(&v, alloc);
  for (;;) {
    qv_status st = qv_bytes_reserve(&v, 1 << 16, err);
    if (st != QV_OK) {
      qv_bytes_reset(&v);
      qv_error_prefix(err, "%s", path);
      return st;
    }
    ssize_t n = read(fd, v.data + v.size, (size_t)(v.capacity - v.size));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int e = errno;
      qv_bytes_reset(&v);
      return qv_error_set(err, QV_IO, "%s: cannot read: %s", path, strerror(e));
    }
    if (n == 0) break;
    v.size += n;
  }
  qv_status st = qv_bytes_finish(&v, out, err);
  qv_bytes_reset(&v);
  return st;
}

qv_status qv__file_read_all(const char *path, qv_allocator *alloc, qv_buffer **out,
                            qv_error *err) {
  *out = NULL;
  if (!alloc) alloc = qv_default_allocator();
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return open_error(path, errno, err);
  struct stat sb;
  if (fstat(fd, &sb) != 0) {
    int e = errno;
    close(fd);
    return qv_error_set(err, QV_IO, "%s: cannot stat: %s", path, strerror(e));
  }
  if (S_ISDIR(sb.st_mode)) {
    close(fd);
    return qv_error_set(err, QV_IO, "%s: is a directory", path);
  }
  qv_status st;
  if (S_ISREG(sb.st_mode) && sb.st_size > 0) {
    void *addr = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (addr != MAP_FAILED) {
      close(fd);
      mapping *m = malloc(sizeof *m);
      if (!m) {
        munmap(addr, (size_t)sb.st_size);
        return qv_error_set(err, QV_NOMEM, "%s: out of memory", path);
      }
      m->addr = addr;
      m->size = (size_t)sb.st_size;
      st = qv_buffer_wrap(addr, (int64_t)sb.st_size, unmap, m, out, err);
      if (st != QV_OK) unmap(m);
      return st;
    }
  }
  st = read_stream(fd, path, alloc, out, err);
  close(fd);
  return st;
}
