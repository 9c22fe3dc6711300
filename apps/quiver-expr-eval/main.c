/* quiver-expr-eval: evaluates one scalar expression over an Arrow IPC stream,
 * for the differential tests against DuckDB (tests/interop/test_expr_duckdb.py)
 * and for trying expressions by hand.
 *
 *   quiver-expr-eval EXPR < input.arrows > result.arrows
 *
 * It reads an IPC stream on standard input, evaluates EXPR over every batch
 * and writes an IPC stream with one column, "result", one batch per input
 * batch. Errors go to standard error with exit status 1.
 *
 * EXPR is a small prefix (S-expression) syntax:
 *   (col NAME)  (int N)  (float X)  (str "text")  (bool true|false)
 *   (null [TYPE])  (dec UNSCALED P S)  (date "YYYY-MM-DD")  (lit TYPE "text")
 *   (interval MONTHS DAYS NANOS)
 *   (add a b) (sub a b) (mul a b) (div a b) (mod a b) (neg a)
 *   (eq a b) (ne a b) (lt a b) (le a b) (gt a b) (ge a b)
 *   (and a b) (or a b) (not a) (is_null a) (is_not_null a)
 *   (in a x ...) (not_in a x ...) (between a lo hi) (not_between a lo hi)
 *   (like a p) (not_like a p) (ilike a p) (not_ilike a p)
 *   (case (when c t) ... [(else e)])  (case_on base (when v t) ... [(else e)])
 *   (cast a TYPE)  (fn NAME arg ...)
 * TYPE is int8 ... int64, uint8 ... uint64, float32, float64, bool, utf8,
 * large_utf8, binary, date32, decimal:P:S, or timestamp:UNIT (s, ms, us, ns). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expr/expr_internal.h"
#include "quiver/ipc.h"

/* ---- tokens ---------------------------------------------------------------- */

typedef struct parser {
  const char *s;
  size_t pos;
  const qv_schema *schema;
  qv_error *err;
} parser;

static void skip_blanks(parser *p) {
  while (p->s[p->pos] && isspace((unsigned char)p->s[p->pos])) p->pos++;
}

/* The next atom or string into buf; false at ')' or the end. */
static bool next_token(parser *p, char *buf, size_t size, bool *quoted) {
  skip_blanks(p);
  *quoted = false;
  char c = p->s[p->pos];
  if (!c || c == ')' || c == '(') return false;
  size_t n = 0;
  if (c == '"') {
    *quoted = true;
    p->pos++;
    while (p->s[p->pos] && p->s[p->pos] != '"') {
      if (p->s[p->pos] == '\\' && p->s[p->pos + 1]) p->pos++;
      if (n + 1 < size) buf[n++] = p->s[p->pos];
      p->pos++;
    }
    if (p->s[p->pos] == '"') p->pos++;
  } else {
    while (p->s[p->pos] && !isspace((unsigned char)p->s[p->pos]) && p->s[p->pos] != '(' && p->s[p->pos] != ')') {
      if (n + 1 < size) buf[n++] = p->s[p->pos];
      p->pos++;
    }
  }
  buf[n] = '\0';
  return true;
}

static qv_status fail(parser *p, const char *what) {
  return qv_error_set(p->err, QV_INVALID, "expression syntax at offset %zu: %s", p->pos, what);
}

static qv_status expect(parser *p, char c) {
  skip_blanks(p);
  if (p->s[p->pos] != c) {
    char what[32];
    snprintf(what, sizeof what, "expected '%c'", c);
    return fail(p, what);
  }
  p->pos++;
  return QV_OK;
}

static qv_status parse_type(parser *p, const char *name, qv_data_type **out) {
  *out = NULL;
  static const struct {
    const char *n;
    qv_type_id id;
  } prim[] = {{"int8", QV_INT8},       {"int16", QV_INT16},       {"int32", QV_INT32},   {"int64", QV_INT64},
              {"uint8", QV_UINT8},     {"uint16", QV_UINT16},     {"uint32", QV_UINT32}, {"uint64", QV_UINT64},
              {"float32", QV_FLOAT32}, {"float64", QV_FLOAT64},   {"bool", QV_BOOL},     {"utf8", QV_UTF8},
              {"large_utf8", QV_LARGE_UTF8}, {"binary", QV_BINARY}, {"date32", QV_DATE32}};
  for (size_t i = 0; i < sizeof prim / sizeof prim[0]; i++)
    if (strcmp(prim[i].n, name) == 0) {
      *out = qv_type_primitive(prim[i].id);
      return QV_OK;
    }
  int prec, scale;
  if (sscanf(name, "decimal:%d:%d", &prec, &scale) == 2) return qv_type_decimal(QV_DECIMAL128, prec, scale, out, p->err);
  if (strncmp(name, "timestamp:", 10) == 0) {
    static const char *units[] = {"s", "ms", "us", "ns"};
    for (int u = 0; u < 4; u++)
      if (strcmp(name + 10, units[u]) == 0) return qv_type_timestamp((qv_time_unit)u, NULL, out, p->err);
  }
  return qv_error_set(p->err, QV_INVALID, "unknown type '%s'", name);
}

/* ---- expressions --------------------------------------------------------------- */

static qv_status parse_expr(parser *p, qv_expr **out);

/* Parses expressions up to the closing ')' into xs (owned), at most max. */
static qv_status parse_list(parser *p, qv_expr **xs, int *n, int max) {
  *n = 0;
  for (;;) {
    skip_blanks(p);
    if (p->s[p->pos] == ')' || !p->s[p->pos]) return QV_OK;
    if (*n == max) return fail(p, "too many operands");
    QV_RETURN_NOT_OK(parse_expr(p, &xs[*n]));
    (*n)++;
  }
}

static void unref_list(qv_expr **xs, int n) {
  for (int i = 0; i < n; i++) qv_expr_unref(xs[i]);
}

static qv_status literal_from_text(parser *p, qv_data_type *t, const char *text, qv_expr **out) {
  qv_array_builder b;
  QV_RETURN_NOT_OK(qv_array_builder_init(&b, NULL, qv_type_primitive(QV_UTF8), p->err));
  qv_array *s = NULL, *v = NULL;
  qv_status st = qv_array_builder_append_binary(&b, text, (int64_t)strlen(text), p->err);
  if (st == QV_OK) st = qv_array_builder_finish(&b, &s, p->err);
  else qv_array_builder_reset(&b);
  if (st == QV_OK) st = qv__cast_array(NULL, s, t, &v, p->err);
  if (st == QV_OK) st = qv_expr_literal(v, out, p->err);
  qv_array_unref(s);
  qv_array_unref(v);
  return st;
}

static qv_status interval_literal(parser *p, int32_t months, int32_t days, int64_t nanos, qv_expr **out) {
  qv_array_builder b;
  QV_RETURN_NOT_OK(qv_array_builder_init(&b, NULL, qv_type_primitive(QV_INTERVAL_MONTH_DAY_NANO), p->err));
  uint8_t v[16];
  memcpy(v, &months, 4);
  memcpy(v + 4, &days, 4);
  memcpy(v + 8, &nanos, 8);
  qv_array *a = NULL;
  qv_status st = qv_array_builder_append_fixed(&b, v, p->err);
  if (st == QV_OK) st = qv_array_builder_finish(&b, &a, p->err);
  else qv_array_builder_reset(&b);
  if (st == QV_OK) st = qv_expr_literal(a, out, p->err);
  qv_array_unref(a);
  return st;
}

static const struct {
  const char *name;
  qv_binary_op op;
} binary_ops[] = {{"add", QV_OP_ADD}, {"sub", QV_OP_SUB}, {"mul", QV_OP_MUL}, {"div", QV_OP_DIV}, {"mod", QV_OP_MOD},
                  {"eq", QV_OP_EQ},   {"ne", QV_OP_NE},   {"lt", QV_OP_LT},   {"le", QV_OP_LE},   {"gt", QV_OP_GT},
                  {"ge", QV_OP_GE},   {"and", QV_OP_AND}, {"or", QV_OP_OR}};

/* CASE arms: (when a b) ... (else e). */
static qv_status parse_case(parser *p, qv_expr *base, qv_expr **out) {
  qv_expr *whens[64] = {0}, *thens[64] = {0}, *else_ = NULL;
  int n = 0;
  qv_status st = QV_OK;
  for (;;) {
    skip_blanks(p);
    if (p->s[p->pos] != '(') break;
    p->pos++;
    char word[32];
    bool quoted;
    if (!next_token(p, word, sizeof word, &quoted)) {
      st = fail(p, "expected when or else");
      break;
    }
    if (strcmp(word, "when") == 0 && n < 64) {
      st = parse_expr(p, &whens[n]);
      if (st == QV_OK) st = parse_expr(p, &thens[n]);
      n++;
    } else if (strcmp(word, "else") == 0 && !else_) {
      st = parse_expr(p, &else_);
    } else {
      st = fail(p, "expected when or else");
    }
    if (st == QV_OK) st = expect(p, ')');
    if (st != QV_OK) break;
  }
  if (st == QV_OK) st = qv_expr_case(base, whens, thens, n, else_, out, p->err);
  unref_list(whens, n);
  unref_list(thens, n);
  qv_expr_unref(else_);
  return st;
}

static qv_status parse_form(parser *p, const char *head, qv_expr **out) {
  char tok[4096];
  bool quoted;
  qv_expr *xs[256] = {0};
  int n = 0;
  qv_status st = QV_OK;
  if (strcmp(head, "col") == 0) {
    if (!next_token(p, tok, sizeof tok, &quoted)) return fail(p, "col needs a name");
    return qv_expr_column_named(p->schema, tok, out, p->err);
  }
  if (strcmp(head, "int") == 0) {
    if (!next_token(p, tok, sizeof tok, &quoted)) return fail(p, "int needs a value");
    return qv_expr_literal_int64(strtoll(tok, NULL, 10), out, p->err);
  }
  if (strcmp(head, "float") == 0) {
    if (!next_token(p, tok, sizeof tok, &quoted)) return fail(p, "float needs a value");
    return qv_expr_literal_double(strtod(tok, NULL), out, p->err);
  }
  if (strcmp(head, "str") == 0) {
    if (!next_token(p, tok, sizeof tok, &quoted)) return fail(p, "str needs a value");
    return qv_expr_literal_string(tok, out, p->err);
  }
  if (strcmp(head, "bool") == 0) {
    if (!next_token(p, tok, sizeof tok, &quoted)) return fail(p, "bool needs a value");
    return qv_expr_literal_bool(strcmp(tok, "true") == 0, out, p->err);
  }
  if (strcmp(head, "date") == 0) {
    if (!next_token(p, tok, sizeof tok, &quoted)) return fail(p, "date needs a value");
    return literal_from_text(p, qv_type_primitive(QV_DATE32), tok, out);
  }
  if (strcmp(head, "null") == 0) {
    qv_data_type *t = NULL;
    if (next_token(p, tok, sizeof tok, &quoted)) QV_RETURN_NOT_OK(parse_type(p, tok, &t));
    st = qv_expr_literal_null(t, out, p->err);
    qv_type_unref(t);
    return st;
  }
  if (strcmp(head, "dec") == 0) {
    char v[64], pr[16], sc[16];
    if (!next_token(p, v, sizeof v, &quoted) || !next_token(p, pr, sizeof pr, &quoted) ||
        !next_token(p, sc, sizeof sc, &quoted))
      return fail(p, "dec needs UNSCALED P S");
    return qv_expr_literal_decimal(strtoll(v, NULL, 10), atoi(pr), atoi(sc), out, p->err);
  }
  if (strcmp(head, "lit") == 0) {
    char tname[64];
    qv_data_type *t = NULL;
    if (!next_token(p, tname, sizeof tname, &quoted) || !next_token(p, tok, sizeof tok, &quoted))
      return fail(p, "lit needs TYPE and text");
    QV_RETURN_NOT_OK(parse_type(p, tname, &t));
    st = literal_from_text(p, t, tok, out);
    qv_type_unref(t);
    return st;
  }
  if (strcmp(head, "interval") == 0) {
    char m[32], d[32], ns[32];
    if (!next_token(p, m, sizeof m, &quoted) || !next_token(p, d, sizeof d, &quoted) ||
        !next_token(p, ns, sizeof ns, &quoted))
      return fail(p, "interval needs MONTHS DAYS NANOS");
    return interval_literal(p, atoi(m), atoi(d), strtoll(ns, NULL, 10), out);
  }
  if (strcmp(head, "cast") == 0) {
    qv_expr *x = NULL;
    qv_data_type *t = NULL;
    QV_RETURN_NOT_OK(parse_expr(p, &x));
    if (!next_token(p, tok, sizeof tok, &quoted)) st = fail(p, "cast needs a type");
    if (st == QV_OK) st = parse_type(p, tok, &t);
    if (st == QV_OK) st = qv_expr_cast(x, t, out, p->err);
    qv_expr_unref(x);
    qv_type_unref(t);
    return st;
  }
  if (strcmp(head, "fn") == 0) {
    if (!next_token(p, tok, sizeof tok, &quoted)) return fail(p, "fn needs a name");
    QV_RETURN_NOT_OK(parse_list(p, xs, &n, 256));
    st = qv_expr_function(NULL, tok, xs, n, out, p->err);
    unref_list(xs, n);
    return st;
  }
  if (strcmp(head, "case") == 0) return parse_case(p, NULL, out);
  if (strcmp(head, "case_on") == 0) {
    qv_expr *base = NULL;
    QV_RETURN_NOT_OK(parse_expr(p, &base));
    st = parse_case(p, base, out);
    qv_expr_unref(base);
    return st;
  }
  QV_RETURN_NOT_OK(parse_list(p, xs, &n, 256));
  bool negated = strncmp(head, "not_", 4) == 0;
  const char *base_name = negated ? head + 4 : head;
  for (size_t i = 0; i < sizeof binary_ops / sizeof binary_ops[0]; i++)
    if (strcmp(head, binary_ops[i].name) == 0) {
      st = n == 2 ? qv_expr_binary(binary_ops[i].op, xs[0], xs[1], out, p->err) : fail(p, "needs two operands");
      goto done;
    }
  if (strcmp(head, "not") == 0 && n == 1) st = qv_expr_not(xs[0], out, p->err);
  else if (strcmp(head, "neg") == 0 && n == 1) st = qv_expr_negate(xs[0], out, p->err);
  else if (strcmp(head, "is_null") == 0 && n == 1) st = qv_expr_is_null(xs[0], false, out, p->err);
  else if (strcmp(head, "is_not_null") == 0 && n == 1) st = qv_expr_is_null(xs[0], true, out, p->err);
  else if (strcmp(base_name, "in") == 0 && n >= 2) st = qv_expr_in_list(xs[0], xs + 1, n - 1, negated, out, p->err);
  else if (strcmp(base_name, "between") == 0 && n == 3)
    st = qv_expr_between(xs[0], xs[1], xs[2], negated, out, p->err);
  else if (strcmp(base_name, "like") == 0 && n == 2) st = qv_expr_like(xs[0], xs[1], negated, false, out, p->err);
  else if (strcmp(base_name, "ilike") == 0 && n == 2) st = qv_expr_like(xs[0], xs[1], negated, true, out, p->err);
  else st = qv_error_set(p->err, QV_INVALID, "unknown form '%s' with %d operands", head, n);
done:
  unref_list(xs, n);
  return st;
}

static qv_status parse_expr(parser *p, qv_expr **out) {
  *out = NULL;
  QV_RETURN_NOT_OK(expect(p, '('));
  char head[64];
  bool quoted;
  if (!next_token(p, head, sizeof head, &quoted)) return fail(p, "expected a form name");
  qv_status st = parse_form(p, head, out);
  if (st == QV_OK) st = expect(p, ')');
  if (st != QV_OK) {
    qv_expr_unref(*out);
    *out = NULL;
  }
  return st;
}

/* ---- main ---------------------------------------------------------------------------- */

static qv_status read_stdin(qv_buffer **out, qv_error *err) {
  qv_bytes b;
  qv_bytes_init(&b, NULL);
  char chunk[65536];
  size_t n;
  while ((n = fread(chunk, 1, sizeof chunk, stdin)) > 0) {
    qv_status st = qv_bytes_append(&b, chunk, (int64_t)n, err);
    if (st != QV_OK) {
      qv_bytes_reset(&b);
      return st;
    }
  }
  return qv_bytes_finish(&b, out, err);
}

static qv_status run(const char *text, qv_error *err) {
  qv_buffer *input = NULL;
  QV_RETURN_NOT_OK(read_stdin(&input, err));
  qv_ipc_stream_reader *r = NULL;
  qv_status st = qv_ipc_stream_reader_create(input, NULL, &r, err);
  qv_buffer_unref(input);
  if (st != QV_OK) return st;
  parser p = {text, 0, qv_ipc_stream_reader_schema(r), err};
  qv_expr *e = NULL;
  st = parse_expr(&p, &e);
  qv_field *f = NULL;
  qv_schema *out_schema = NULL;
  qv_ipc_stream_writer *w = NULL;
  if (st == QV_OK) st = qv_field_create("result", qv_expr_type(e), true, NULL, &f, err);
  if (st == QV_OK) st = qv_schema_create(&f, 1, NULL, &out_schema, err);
  if (st == QV_OK) st = qv_ipc_stream_writer_create(out_schema, NULL, qv_ipc_sink_file(stdout), &w, err);
  while (st == QV_OK) {
    qv_record_batch *in = NULL, *res = NULL;
    st = qv_ipc_stream_reader_next(r, &in, err);
    if (st != QV_OK || !in) break;
    qv_array *col = NULL;
    st = qv_expr_evaluate(e, in, NULL, &col, err);
    if (st == QV_OK) st = qv_record_batch_create(out_schema, qv_record_batch_num_rows(in), &col, 1, &res, err);
    if (st == QV_OK) st = qv_ipc_stream_writer_write(w, res, err);
    qv_array_unref(col);
    qv_record_batch_unref(res);
    qv_record_batch_unref(in);
  }
  if (st == QV_OK) st = qv_ipc_stream_writer_close(w, err);
  qv_ipc_stream_writer_destroy(w);
  qv_schema_unref(out_schema);
  qv_field_unref(f);
  qv_expr_unref(e);
  qv_ipc_stream_reader_destroy(r);
  return st;
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: quiver-expr-eval EXPR < input.arrows > result.arrows\n"
                    "see apps/quiver-expr-eval/main.c for the expression syntax\n");
    return 2;
  }
  qv_error err;
  qv_error_init(&err);
  qv_status st = run(argv[1], &err);
  if (st != QV_OK) {
    fprintf(stderr, "quiver-expr-eval: %s: %s\n", qv_status_name(st), err.message);
    return 1;
  }
  return fflush(stdout) == 0 ? 0 : 1;
}
