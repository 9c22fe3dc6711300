/* File listing and grouping for the file scans: turns the paths a scan was
 * given (files, directories, glob patterns, with optional byte ranges and
 * partitions) into a sorted list of files with their sizes, then cuts that
 * work into one group of pieces per partition, of about equal bytes. The
 * grouping is deterministic (it depends only on the list and the sizes), so
 * a plan rebuilt elsewhere from the same files gets the same groups; the
 * plan codec nevertheless carries groups explicitly (qv_scan_file.partition)
 * so that nothing depends on re-listing directories. */
#include "exec/file_groups.h"

#include <dirent.h>
#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "quiver/status.h"

/* Directories nested deeper than this are not followed (symlink loops). */
#define MAX_DIR_DEPTH 64

void qv__file_list_reset(qv_file_list *list) {
  for (int32_t i = 0; i < list->n; i++) free(list->files[i].path);
  free(list->files);
  list->files = NULL;
  list->n = list->cap = 0;
}

static qv_status list_add(qv_file_list *list, const char *path, int64_t size, int64_t begin, int64_t end,
                          int32_t partition, const char *what, qv_error *err) {
  if (list->n == INT32_MAX) return qv_error_set(err, QV_INVALID, "%s: too many files", what);
  if (list->n == list->cap) {
    int32_t cap = list->cap ? (list->cap > INT32_MAX / 2 ? INT32_MAX : list->cap * 2) : 16;
    qv_scan_file *f = realloc(list->files, sizeof *f * (size_t)cap);
    if (!f) return qv_error_set(err, QV_NOMEM, "%s: out of memory", what);
    list->files = f;
    list->cap = cap;
  }
  char *copy = strdup(path);
  if (!copy) return qv_error_set(err, QV_NOMEM, "%s: out of memory", what);
  list->files[list->n++] = (qv_scan_file){copy, size, begin, end, partition};
  return QV_OK;
}

static int compare_names(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool has_suffix(const char *name, const char *suffix) {
  size_t n = strlen(name), k = strlen(suffix);
  return n >= k && memcmp(name + n - k, suffix, k) == 0;
}

static qv_status list_path(qv_file_list *list, const char *path, const struct stat *st, int32_t partition,
                           const qv_file_list_request *req, int depth, qv_error *err);

/* Adds the files under directory `dir`, recursively, in name order. */
static qv_status list_directory(qv_file_list *list, const char *dir, int32_t partition,
                                const qv_file_list_request *req, int depth, qv_error *err) {
  if (depth > MAX_DIR_DEPTH)
    return qv_error_set(err, QV_INVALID, "%s: directories nested deeper than %d levels under '%s'", req->what,
                        MAX_DIR_DEPTH, dir);
  DIR *d = opendir(dir);
  if (!d) return qv_error_set(err, QV_IO, "%s: cannot read directory '%s': %s", req->what, dir, strerror(errno));
  char **names = NULL;
  size_t n = 0, cap = 0;
  qv_status st = QV_OK;
  for (struct dirent *e; st == QV_OK && (e = readdir(d)) != NULL;) {
    if (e->d_name[0] == '.' || e->d_name[0] == '_') continue;
    if (n == cap) {
      cap = cap ? cap * 2 : 32;
      char **grown = realloc(names, sizeof *names * cap);
      if (!grown) {
        st = qv_error_set(err, QV_NOMEM, "%s: out of memory", req->what);
        break;
      }
      names = grown;
    }
    if (!(names[n] = strdup(e->d_name))) st = qv_error_set(err, QV_NOMEM, "%s: out of memory", req->what);
    else n++;
  }
  closedir(d);
  if (st == QV_OK && n > 1) qsort(names, n, sizeof *names, compare_names);
  size_t dlen = strlen(dir);
  bool slash = dlen > 0 && dir[dlen - 1] == '/';
  for (size_t i = 0; st == QV_OK && i < n; i++) {
    size_t len = dlen + 1 + strlen(names[i]) + 1;
    char *full = malloc(len);
    if (!full) {
      st = qv_error_set(err, QV_NOMEM, "%s: out of memory", req->what);
      break;
    }
    snprintf(full, len, slash ? "%s%s" : "%s/%s", dir, names[i]);
    struct stat sb;
    if (stat(full, &sb) != 0) {
      /* A dangling link or a file removed meanwhile: not part of the data. */
      free(full);
      continue;
    }
    if (S_ISDIR(sb.st_mode)) st = list_path(list, full, &sb, partition, req, depth + 1, err);
    else if (S_ISREG(sb.st_mode) && (!req->extension || has_suffix(names[i], req->extension)))
      st = list_add(list, full, (int64_t)sb.st_size, 0, (int64_t)sb.st_size, partition, req->what, err);
    free(full);
  }
  for (size_t i = 0; i < n; i++) free(names[i]);
  free(names);
  return st;
}

static qv_status list_path(qv_file_list *list, const char *path, const struct stat *st, int32_t partition,
                           const qv_file_list_request *req, int depth, qv_error *err) {
  if (S_ISDIR(st->st_mode)) return list_directory(list, path, partition, req, depth, err);
  return list_add(list, path, (int64_t)st->st_size, 0, (int64_t)st->st_size, partition, req->what, err);
}

static bool is_pattern(const char *path) { return strpbrk(path, "*?[") != NULL; }

static qv_status expand_one(qv_file_list *list, const qv_file_list_request *req, int32_t i, qv_error *err) {
  const char *path = req->paths[i];
  int32_t partition = req->partitions ? req->partitions[i] : -1;
  bool ranged = (req->range_begin && req->range_begin[i] != 0) || (req->range_end && req->range_end[i] >= 0);
  struct stat sb;
  if (!path || !*path) return qv_error_set(err, QV_INVALID, "%s: path %d is empty", req->what, i);
  if (stat(path, &sb) == 0) {
    if (!ranged) return list_path(list, path, &sb, partition, req, 0, err);
    if (!S_ISREG(sb.st_mode))
      return qv_error_set(err, QV_INVALID, "%s: a byte range needs a regular file, and '%s' is not one", req->what,
                          path);
    int64_t size = (int64_t)sb.st_size;
    int64_t begin = req->range_begin ? req->range_begin[i] : 0;
    int64_t end = req->range_end && req->range_end[i] >= 0 ? req->range_end[i] : size;
    if (begin < 0 || begin > end || end > size)
      return qv_error_set(err, QV_INVALID, "%s: byte range [%lld, %lld) is outside '%s' (%lld bytes)", req->what,
                          (long long)begin, (long long)end, path, (long long)size);
    return list_add(list, path, size, begin, end, partition, req->what, err);
  }
  if (errno != ENOENT || !is_pattern(path)) {
    if (errno == ENOENT || errno == ENOTDIR)
      return qv_error_set(err, QV_NOT_FOUND, "%s: no such file or directory: '%s'", req->what, path);
    return qv_error_set(err, QV_IO, "%s: cannot stat '%s': %s", req->what, path, strerror(errno));
  }
  if (ranged) return qv_error_set(err, QV_INVALID, "%s: a byte range needs a file, not the pattern '%s'", req->what, path);
  glob_t g;
  int rc = glob(path, 0, NULL, &g);
  if (rc == GLOB_NOMATCH) {
    globfree(&g);
    return qv_error_set(err, QV_NOT_FOUND, "%s: no file matches '%s'", req->what, path);
  }
  if (rc != 0) {
    globfree(&g);
    return rc == GLOB_NOSPACE ? qv_error_set(err, QV_NOMEM, "%s: out of memory", req->what)
                              : qv_error_set(err, QV_IO, "%s: cannot expand '%s'", req->what, path);
  }
  qv_status st = QV_OK;
  for (size_t k = 0; st == QV_OK && k < g.gl_pathc; k++) {
    if (stat(g.gl_pathv[k], &sb) != 0) continue;
    if (S_ISDIR(sb.st_mode) || S_ISREG(sb.st_mode)) st = list_path(list, g.gl_pathv[k], &sb, partition, req, 0, err);
  }
  globfree(&g);
  return st;
}

qv_status qv__file_list_expand(const qv_file_list_request *req, qv_file_list *out, qv_error *err) {
  memset(out, 0, sizeof *out);
  if (req->n_paths < 0 || (req->n_paths > 0 && !req->paths))
    return qv_error_set(err, QV_INVALID, "%s: no paths", req->what);
  for (int32_t i = 0; i < req->n_paths; i++) {
    if (req->partitions && req->partitions[i] < 0)
      return qv_error_set(err, QV_INVALID, "%s: path %d has partition %d", req->what, i, req->partitions[i]);
    QV_RETURN_NOT_OK(expand_one(out, req, i, err));
  }
  return QV_OK;
}

/* ---- groups ---------------------------------------------------------------- */

void qv__file_groups_reset(qv_file_groups *g) {
  qv__file_list_reset(&g->files);
  free(g->offsets);
  free(g->pieces);
  memset(g, 0, sizeof *g);
}

int64_t qv__file_groups_bytes(const qv_file_groups *g, int32_t group) {
  int64_t total = 0;
  for (int32_t i = g->offsets[group]; i < g->offsets[group + 1]; i++) total += g->pieces[i].end - g->pieces[i].begin;
  return total;
}

/* Pieces are collected tagged with their group, then sorted into place. */
typedef struct tagged_piece {
  int32_t group;
  int32_t seq; /* order of creation, to keep list order within a group */
  qv_file_piece piece;
} tagged_piece;

static int compare_tagged(const void *a, const void *b) {
  const tagged_piece *x = a, *y = b;
  if (x->group != y->group) return x->group < y->group ? -1 : 1;
  return x->seq < y->seq ? -1 : x->seq > y->seq;
}

typedef struct piece_vec {
  tagged_piece *items;
  int32_t n, cap;
} piece_vec;

static qv_status push_piece(piece_vec *v, int32_t group, int32_t file, int64_t begin, int64_t end, const char *what,
                            qv_error *err) {
  if (v->n == v->cap) {
    if (v->cap > INT32_MAX / 2) return qv_error_set(err, QV_INVALID, "%s: too many file pieces", what);
    int32_t cap = v->cap ? v->cap * 2 : 16;
    tagged_piece *grown = realloc(v->items, sizeof *grown * (size_t)cap);
    if (!grown) return qv_error_set(err, QV_NOMEM, "%s: out of memory", what);
    v->items = grown;
    v->cap = cap;
  }
  v->items[v->n] = (tagged_piece){group, v->n, {file, begin, end}};
  v->n++;
  return QV_OK;
}

/* Stretches of equal bytes over the files laid end to end. */
static qv_status split_bytes(const qv_file_list *files, int32_t target, int64_t min_split, piece_vec *v,
                             int32_t *n_groups, const char *what, qv_error *err) {
  int64_t total = 0;
  for (int32_t i = 0; i < files->n; i++) total += files->files[i].end - files->files[i].begin;
  if (min_split < 1) min_split = 1;
  int64_t want = total / min_split + (total % min_split != 0);
  int32_t n = want < target ? (int32_t)(want < 1 ? 1 : want) : target;
  int64_t cap = total / n + (total % n != 0);
  if (cap < 1) cap = 1;
  int32_t g = 0;
  int64_t fill = 0;
  for (int32_t i = 0; i < files->n; i++) {
    const qv_scan_file *f = &files->files[i];
    if (f->end == f->begin) {
      QV_RETURN_NOT_OK(push_piece(v, g, i, f->begin, f->end, what, err));
      continue;
    }
    for (int64_t pos = f->begin; pos < f->end;) {
      if (fill >= cap && g < n - 1) {
        g++;
        fill = 0;
      }
      int64_t take = f->end - pos;
      if (g < n - 1 && take > cap - fill) take = cap - fill;
      QV_RETURN_NOT_OK(push_piece(v, g, i, pos, pos + take, what, err));
      fill += take;
      pos += take;
    }
  }
  *n_groups = n;
  return QV_OK;
}

/* Whole files, largest first, each to the lightest group. */
static qv_status deal_files(const qv_file_list *files, int32_t target, piece_vec *v, int32_t *n_groups,
                            const char *what, qv_error *err) {
  int32_t n = files->n < target ? files->n : target;
  if (n < 1) n = 1;
  int32_t *order = malloc(sizeof *order * (size_t)(files->n ? files->n : 1));
  int64_t *load = calloc((size_t)n, sizeof *load);
  int32_t *group_of = malloc(sizeof *group_of * (size_t)(files->n ? files->n : 1));
  qv_status st = QV_OK;
  if (!order || !load || !group_of) st = qv_error_set(err, QV_NOMEM, "%s: out of memory", what);
  if (st == QV_OK) {
    for (int32_t i = 0; i < files->n; i++) order[i] = i;
    /* Insertion sort by size descending, index ascending: stable and
     * deterministic; file counts are small enough. */
    for (int32_t i = 1; i < files->n; i++) {
      int32_t x = order[i];
      int64_t sx = files->files[x].end - files->files[x].begin;
      int32_t j = i;
      while (j > 0) {
        int32_t y = order[j - 1];
        int64_t sy = files->files[y].end - files->files[y].begin;
        if (sy >= sx) break;
        order[j] = y;
        j--;
      }
      order[j] = x;
    }
    for (int32_t k = 0; k < files->n; k++) {
      int32_t best = 0;
      for (int32_t g = 1; g < n; g++)
        if (load[g] < load[best]) best = g;
      group_of[order[k]] = best;
      load[best] += files->files[order[k]].end - files->files[order[k]].begin;
    }
    for (int32_t i = 0; st == QV_OK && i < files->n; i++)
      st = push_piece(v, group_of[i], i, files->files[i].begin, files->files[i].end, what, err);
  }
  free(order);
  free(load);
  free(group_of);
  *n_groups = n;
  return st;
}

qv_status qv__file_groups_build(qv_file_list *files, int32_t target_partitions, bool splittable,
                                int64_t min_split_bytes, bool explicit_partitions, const char *what,
                                qv_file_groups *out, qv_error *err) {
  memset(out, 0, sizeof *out);
  out->files = *files;
  memset(files, 0, sizeof *files);
  if (target_partitions < 1)
    return qv_error_set(err, QV_INVALID, "%s: %d target partitions", what, target_partitions);
  const qv_file_list *list = &out->files;
  if (!splittable)
    for (int32_t i = 0; i < list->n; i++)
      if (list->files[i].begin != 0 || list->files[i].end != list->files[i].size)
        return qv_error_set(err, QV_INVALID, "%s: '%s' cannot be read in byte ranges", what, list->files[i].path);
  piece_vec v = {0};
  int32_t n_groups = 0;
  qv_status st = QV_OK;
  if (explicit_partitions) {
    n_groups = target_partitions;
    for (int32_t i = 0; st == QV_OK && i < list->n; i++) {
      const qv_scan_file *f = &list->files[i];
      if (f->partition < 0 || f->partition >= target_partitions)
        st = qv_error_set(err, QV_INVALID, "%s: '%s' is given partition %d of %d", what, f->path, f->partition,
                          target_partitions);
      else st = push_piece(&v, f->partition, i, f->begin, f->end, what, err);
    }
  } else if (splittable) {
    st = split_bytes(list, target_partitions, min_split_bytes, &v, &n_groups, what, err);
  } else {
    st = deal_files(list, target_partitions, &v, &n_groups, what, err);
  }
  if (st == QV_OK) {
    out->offsets = calloc((size_t)n_groups + 1, sizeof *out->offsets);
    out->pieces = malloc(sizeof *out->pieces * (size_t)(v.n ? v.n : 1));
    if (!out->offsets || !out->pieces) st = qv_error_set(err, QV_NOMEM, "%s: out of memory", what);
  }
  if (st == QV_OK) {
    if (v.n > 1) qsort(v.items, (size_t)v.n, sizeof *v.items, compare_tagged);
    for (int32_t i = 0; i < v.n; i++) {
      out->pieces[i] = v.items[i].piece;
      out->offsets[v.items[i].group + 1]++;
    }
    for (int32_t g = 0; g < n_groups; g++) out->offsets[g + 1] += out->offsets[g];
    out->n_groups = n_groups;
    out->n_pieces = v.n;
  }
  free(v.items);
  return st;
}
