/* Session state internals: the function registry lookups that expression and
 * aggregate construction use, and the extension codec lookup of the plan
 * codec. */
#ifndef QV_SESSION_INTERNAL_H
#define QV_SESSION_INTERNAL_H

#include "quiver/session.h"

/* A registered user scalar function by name (case-insensitive), or NULL.
 * Borrowed: valid while the session lives. */
const qv_scalar_udf *qv__session_find_scalar_udf(const qv_session_state *s, const char *name);
const qv_aggregate_udf *qv__session_find_aggregate_udf(const qv_session_state *s, const char *name);

/* The extension codec registered under an operator name (case-sensitive),
 * or NULL. Borrowed: valid while the session lives. */
const qv_extension_codec *qv__session_find_extension_codec(const qv_session_state *s, const char *name);

/* The session's thread-safe unlimited parent allocator for query pools. */
qv_allocator *qv__session_allocator(const qv_session_state *s);

#endif
