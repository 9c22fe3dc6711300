/* Quiver: every public module. */
#ifndef QUIVER_H
#define QUIVER_H

#include "quiver/array.h"
#include "quiver/c_data.h"
#include "quiver/codec.h"
#include "quiver/compute.h"
#include "quiver/csv.h"
#include "quiver/exec.h"
#include "quiver/expr.h"
#include "quiver/ipc.h"
#include "quiver/jsonl.h"
#include "quiver/memory.h"
#include "quiver/parquet.h"
#include "quiver/plan.h"
#include "quiver/pretty.h"
#include "quiver/session.h"
#include "quiver/status.h"
#include "quiver/type.h"

#endif
