"""Arrow C Data Interface interop with Arrow C++ (pyarrow), in one process.

Quiver is loaded with ctypes through a small shim (tests/interop/c_data_shim.c,
built as libquiver_cdata_shim.so); the ArrowSchema, ArrowArray and
ArrowArrayStream structs are allocated with pyarrow.cffi and passed by address.

1. pyarrow imports every sample array Quiver exports (the unit tests' samples of
   every type, as an array and as a batch column), validates it fully and sees
   the expected type (and, for many, the expected values); sent back, Quiver
   finds it equal to the sample.
2. Quiver imports what pyarrow exports (arrays of many types incl. nested,
   dictionary and sliced ones; record batches with metadata; streams of several
   batches), validates it fully and exports it again: pyarrow gets back data
   equal to what it sent, and all its memory is released once that is dropped.
3. Errors cross with their messages: a pyarrow stream producer's error reaches
   Quiver's reader and, through Quiver's exported stream, pyarrow's consumer as
   the same kind of error; data Quiver refuses (types it lacks, invalid UTF-8)
   fails with the right status and releases pyarrow's memory.
"""
import ctypes
import datetime
import decimal
import gc
import struct

import pyarrow as pa
import pytest
from pyarrow.cffi import ffi


class QuiverError(Exception):
    """A failing shim call: the qv_status name and Quiver's message."""

    def __init__(self, status, message):
        super().__init__(f"{status}: {message}")
        self.status = status
        self.message = message


def c_struct(kind):
    """A zeroed C Data struct (kept alive by the returned cffi object) and its address."""
    ptr = ffi.new(f"struct {kind}*")
    return ptr, int(ffi.cast("uintptr_t", ptr))


class Shim:
    """Python face of c_data_shim.c: takes and returns pyarrow objects."""

    def __init__(self, path):
        lib = ctypes.CDLL(str(path))
        p, i, i64 = ctypes.c_void_p, ctypes.c_int, ctypes.POINTER(ctypes.c_int64)
        signatures = {
            "cdata_shim_sample_count": ([], i),
            "cdata_shim_sample_name": ([i], ctypes.c_char_p),
            "cdata_shim_export_sample": ([i, i, p, p], i),
            "cdata_shim_sample_equals": ([i, i, p, p, ctypes.POINTER(i)], i),
            "cdata_shim_roundtrip_array": ([p, p, p, p], i),
            "cdata_shim_roundtrip_batch": ([p, p, p, p], i),
            "cdata_shim_drain_stream": ([p, i64, i64], i),
            "cdata_shim_roundtrip_stream": ([p, p], i),
            "cdata_shim_last_error": ([], ctypes.c_char_p),
            "cdata_shim_status_name": ([i], ctypes.c_char_p),
        }
        for name, (args, result) in signatures.items():
            fn = getattr(lib, name)
            fn.argtypes, fn.restype = args, result
        self.lib = lib

    def _error(self, status):
        return QuiverError(self.lib.cdata_shim_status_name(status).decode(),
                           self.lib.cdata_shim_last_error().decode(errors="replace"))

    def _check(self, status):
        if status != 0:
            raise self._error(status)

    def sample_name(self, index):
        name = self.lib.cdata_shim_sample_name(index)
        if name is None:  # the sample could not be built
            raise QuiverError("FAILED", self.lib.cdata_shim_last_error().decode(errors="replace"))
        return name.decode()

    def sample_names(self):
        return [self.sample_name(i) for i in range(self.lib.cdata_shim_sample_count())]

    def export_sample(self, index, form):
        """Sample `index` as a pa.Array (form "array") or a one-column
        pa.RecordBatch (form "batch")."""
        schema, schema_addr = c_struct("ArrowSchema")
        array, array_addr = c_struct("ArrowArray")
        self._check(self.lib.cdata_shim_export_sample(index, form == "batch", schema_addr, array_addr))
        if form == "batch":
            return pa.RecordBatch._import_from_c(array_addr, schema_addr)
        return pa.Array._import_from_c(array_addr, schema_addr)

    def sample_equals(self, index, data):
        """Whether Quiver finds `data` (pa.Array, or one-column pa.RecordBatch)
        equal to its sample `index`."""
        schema, schema_addr = c_struct("ArrowSchema")
        array, array_addr = c_struct("ArrowArray")
        data._export_to_c(array_addr, schema_addr)
        equal = ctypes.c_int(-1)
        self._check(self.lib.cdata_shim_sample_equals(
            index, isinstance(data, pa.RecordBatch), schema_addr, array_addr, ctypes.byref(equal)))
        assert equal.value in (0, 1)
        return bool(equal.value)

    def roundtrip_array(self, field, array):
        """(field, array) after Quiver's import, full validation and export."""
        schema_in, schema_in_addr = c_struct("ArrowSchema")
        array_in, array_in_addr = c_struct("ArrowArray")
        schema_out, schema_out_addr = c_struct("ArrowSchema")
        array_out, array_out_addr = c_struct("ArrowArray")
        field._export_to_c(schema_in_addr)
        array._export_to_c(array_in_addr)
        status = self.lib.cdata_shim_roundtrip_array(schema_in_addr, array_in_addr,
                                                     schema_out_addr, array_out_addr)
        # Quiver consumes its inputs even when it fails, and fills no output then.
        assert schema_in.release == ffi.NULL and array_in.release == ffi.NULL
        if status != 0:
            assert schema_out.release == ffi.NULL and array_out.release == ffi.NULL
        self._check(status)
        back_field = pa.Field._import_from_c(schema_out_addr)
        return back_field, pa.Array._import_from_c(array_out_addr, back_field.type)

    def roundtrip_batch(self, batch):
        schema_in, schema_in_addr = c_struct("ArrowSchema")
        array_in, array_in_addr = c_struct("ArrowArray")
        schema_out, schema_out_addr = c_struct("ArrowSchema")
        array_out, array_out_addr = c_struct("ArrowArray")
        batch._export_to_c(array_in_addr, schema_in_addr)
        self._check(self.lib.cdata_shim_roundtrip_batch(schema_in_addr, array_in_addr,
                                                        schema_out_addr, array_out_addr))
        return pa.RecordBatch._import_from_c(array_out_addr, schema_out_addr)

    def drain_stream(self, reader):
        """Quiver reads the stream to its end: (batches, rows, QuiverError or None)."""
        stream, stream_addr = c_struct("ArrowArrayStream")
        reader._export_to_c(stream_addr)
        batches, rows = ctypes.c_int64(-1), ctypes.c_int64(-1)
        status = self.lib.cdata_shim_drain_stream(stream_addr, ctypes.byref(batches),
                                                  ctypes.byref(rows))
        return batches.value, rows.value, self._error(status) if status else None

    def roundtrip_stream(self, reader):
        """A pa.RecordBatchReader over Quiver's re-export of `reader`'s stream."""
        stream_in, stream_in_addr = c_struct("ArrowArrayStream")
        stream_out, stream_out_addr = c_struct("ArrowArrayStream")
        reader._export_to_c(stream_in_addr)
        self._check(self.lib.cdata_shim_roundtrip_stream(stream_in_addr, stream_out_addr))
        return pa.RecordBatchReader._import_from_c(stream_out_addr)


@pytest.fixture(scope="module")
def shim(cdata_shim_path):
    return Shim(cdata_shim_path)


def allocated_bytes():
    """pyarrow's default pool usage once unreachable Python objects are gone."""
    gc.collect()
    return pa.total_allocated_bytes()


def type_matches(got, expected):
    """Type equality that also compares what DataType.equals ignores (list item
    names). `expected` is the type's name where pyarrow has no factory for it."""
    if isinstance(expected, str):
        return str(got) == expected
    return got.equals(expected) and str(got) == str(expected)


# ---- 1. Quiver's samples in pyarrow ------------------------------------------

AB = pa.struct([("a", pa.int32()), ("b", pa.string())])
INT_STR_FIELDS = [pa.field("i", pa.int32()), pa.field("s", pa.string())]

# tests/unit/arrow/sample_arrays.c, in its order.
SAMPLES = [
    ("null", pa.null()), ("bool", pa.bool_()),
    ("int8", pa.int8()), ("int16", pa.int16()), ("int32", pa.int32()), ("int64", pa.int64()),
    ("uint8", pa.uint8()), ("uint16", pa.uint16()), ("uint32", pa.uint32()),
    ("uint64", pa.uint64()), ("float16", pa.float16()), ("float32", pa.float32()),
    ("float64", pa.float64()), ("decimal128", pa.decimal128(10, 2)),
    ("decimal256", pa.decimal256(40, 5)), ("date32", pa.date32()), ("date64", pa.date64()),
    ("time32[ms]", pa.time32("ms")), ("time64[ns]", pa.time64("ns")),
    ("timestamp[us, UTC]", pa.timestamp("us", tz="UTC")), ("timestamp[s]", pa.timestamp("s")),
    ("duration[ms]", pa.duration("ms")),
    ("interval_months", "month_interval"), ("interval_day_time", "day_time_interval"),
    ("interval_mdn", pa.month_day_nano_interval()),
    ("binary", pa.binary()), ("large_binary", pa.large_binary()), ("utf8", pa.string()),
    ("large_utf8", pa.large_string()), ("fixed_size_binary(3)", pa.binary(3)),
    ("list<int32>", pa.list_(pa.int32())), ("large_list<utf8>", pa.large_list(pa.large_string())),
    ("fixed_size_list<int16, 2>", pa.list_(pa.int16(), 2)), ("struct<a, b>", AB),
    ("map<utf8, int32>", pa.map_(pa.string(), pa.int32(), keys_sorted=True)),
    ("sparse_union", pa.sparse_union(INT_STR_FIELDS, [5, 7])),
    ("dense_union", pa.dense_union(INT_STR_FIELDS, [5, 7])),
    ("dictionary<int32, utf8>", pa.dictionary(pa.int32(), pa.string())),
    ("dictionary<uint8, int64, ordered>", pa.dictionary(pa.uint8(), pa.int64(), ordered=True)),
    ("list<struct<a, b>>", pa.list_(AB)),
    ("list<dictionary>", pa.list_(pa.dictionary(pa.int32(), pa.string()))),
]

# The values the samples are built from (sample_arrays.c): slots 2 and 6 null.
INTS = [1, -2, 3, 0, 5, 6, 7, -8, 9, 10]
STRS = ["a", "héllo", None, "", "wörld €", "x", None, "𝄞 clef", "zz", "end"]
DICT_INDICES = [0, 1, 2, 0, 2, 1, 1, 0, 1, 2]


def with_nulls(values):
    return [None if i in (2, 6) else v for i, v in enumerate(values)]


EPOCH = datetime.date(1970, 1, 1)
SAMPLE_VALUES = {
    "null": [None] * 7,
    "bool": with_nulls([v != 0 for v in INTS]),
    "int8": with_nulls(INTS),
    "int64": with_nulls(INTS),
    "uint16": with_nulls([v % 2**16 for v in INTS]),
    "uint64": with_nulls([v % 2**64 for v in INTS]),
    "float32": with_nulls([v / 4 for v in INTS]),
    "decimal128": with_nulls([decimal.Decimal(v).scaleb(-2) for v in INTS]),
    "date32": with_nulls([EPOCH + datetime.timedelta(days=v) for v in INTS]),
    "utf8": STRS,
    "large_binary": [None if s is None else s.encode() for s in STRS],
    "fixed_size_binary(3)": with_nulls([bytes([ord("a") + i, ord("0") + i, i]) for i in range(10)]),
    "list<int32>": [[1, -2], [], None, [], [6, None, -8, 9], [10]],
    "fixed_size_list<int16, 2>": [[1, -2], None, [5, 6], [None, -8], [9, 10]],
    "struct<a, b>": [None] + [{"a": a, "b": b} for a, b in zip(with_nulls(INTS), STRS)][1:],
    "map<utf8, int32>": [[("k1", 1), ("k2", None)], [("k3", 3)], None,
                         [("k1", 4), ("k2", 5), ("k9", 6)]],
    "sparse_union": [1, "héllo", None, 0, 5, "x", None, "𝄞 clef"],
    "dense_union": [1, "a", "héllo", -2, None, None, 0, ""],
    "dictionary<int32, utf8>": with_nulls([["red", "green", "blue"][k] for k in DICT_INDICES]),
    "dictionary<uint8, int64, ordered>": with_nulls([[100, 200, 300][k] for k in DICT_INDICES]),
}

# pyarrow's Python layer has no array class for the month and day-time interval
# types (Arrow C++ imports them fine), so those go as batch columns only.
SAMPLE_CASES = [
    pytest.param(index, name, expected, form, id=f"{name}-{form}")
    for index, (name, expected) in enumerate(SAMPLES)
    for form in ("array", "batch")
    if form == "batch" or not isinstance(expected, str)
]


def test_samples_are_all_listed(shim):
    assert shim.sample_names() == [name for name, _ in SAMPLES]


@pytest.mark.parametrize("index, name, expected, form", SAMPLE_CASES)
def test_pyarrow_imports_quiver_sample(shim, index, name, expected, form):
    assert shim.sample_name(index) == name
    got = shim.export_sample(index, form)
    got.validate(full=True)
    if form == "batch":
        assert got.schema.names == ["sample"]
        typ = got.schema.field(0).type
    else:
        typ = got.type
    assert type_matches(typ, expected), f"{name}: pyarrow sees {typ}"
    if name in SAMPLE_VALUES:
        column = got.column(0) if form == "batch" else got
        assert column.to_pylist() == SAMPLE_VALUES[name]
    assert shim.sample_equals(index, got), f"{name}: changed on the way back to Quiver"


def test_sample_comparison_detects_differences(shim):
    """The check above can fail: a sliced sample or another sample is not equal."""
    names = [name for name, _ in SAMPLES]
    int32, int64, utf8 = (names.index(n) for n in ("int32", "int64", "utf8"))
    ints = shim.export_sample(int32, "array")
    assert shim.sample_equals(int32, ints)
    assert not shim.sample_equals(int32, ints.slice(1))
    assert not shim.sample_equals(int64, ints)
    strs = shim.export_sample(utf8, "batch")
    edited = pa.record_batch([pa.array(["A"] + STRS[1:])], names=["sample"])
    assert not shim.sample_equals(utf8, edited)
    assert shim.sample_equals(utf8, strs)


# ---- 2. pyarrow's data through Quiver --------------------------------------------

def halves(*bits):
    return pa.Array.from_buffers(pa.float16(), len(bits),
                                 [None, pa.py_buffer(struct.pack(f"<{len(bits)}H", *bits))])


D = decimal.Decimal
WORDS = pa.array(["red", "green", None, "blue", "ünïcode"])
ARRAY_CASES = {
    "null": lambda: pa.nulls(9),
    "null_sliced": lambda: pa.nulls(9).slice(2, 5),
    "bool_sliced": lambda: pa.array([True, None, False, True, True] * 5).slice(3, 17),
    "int8": lambda: pa.array([-128, 127, None, 0], pa.int8()),
    "int32_empty": lambda: pa.array([], pa.int32()),
    "int64_all_null": lambda: pa.nulls(6, pa.int64()),
    "uint64_extremes": lambda: pa.array([0, 2**64 - 1, None, 2**63], pa.uint64()),
    "float16": lambda: halves(0x3C00, 0xC000, 0x7BFF, 0x0001),
    "float64_sliced": lambda: pa.array([1.5, None, -0.0, 1e300, -2.25, None]).slice(1, 4),
    "decimal128": lambda: pa.array([D("1.23"), None, D("-99999999.99")], pa.decimal128(10, 2)),
    "decimal128_38": lambda: pa.array([D("-" + "1" * 28 + ".0123456789"), None], pa.decimal128(38, 10)),
    "decimal256": lambda: pa.array([D("-" + "9" * 70 + ".12345"), None, D(0)], pa.decimal256(76, 5)),
    "date32": lambda: pa.array([0, -719162, None, 2932896], pa.date32()),
    "date64": lambda: pa.array([0, 86_400_000, None], pa.date64()),
    "time32_s": lambda: pa.array([0, 86_399, None], pa.time32("s")),
    "time64_us": lambda: pa.array([0, 86_399_999_999, None], pa.time64("us")),
    "timestamp_ms_tz": lambda: pa.array([1, None, -3], pa.timestamp("ms", tz="Europe/Paris")),
    "timestamp_ns": lambda: pa.array([2**62, None, 0], pa.timestamp("ns")),
    "duration_s": lambda: pa.array([-5, None, 7], pa.duration("s")),
    "interval_mdn": lambda: pa.array([pa.MonthDayNano([1, -2, 3]), None, pa.MonthDayNano([0, 0, -1])],
                                     pa.month_day_nano_interval()),
    "string_sliced": lambda: pa.array(["é", None, "ü€", "", "x", "𝄞", None, "end"]).slice(1, 6),
    "large_string": lambda: pa.array(["a", None, "bc" * 40, ""], pa.large_string()),
    "binary": lambda: pa.array([b"\x00\xff", None, b"", b"abc"]),
    "large_binary_sliced": lambda: pa.array([b"a", b"bb", None, b"ccc"], pa.large_binary()).slice(2),
    "fixed_size_binary": lambda: pa.array([b"ab", None, b"\x00\x01"], pa.binary(2)),
    "list_int32_sliced": lambda: pa.array([[1, 2], None, [], [3, None], [4], [5, 6, 7]],
                                          pa.list_(pa.int32())).slice(1, 4),
    "large_list_string": lambda: pa.array([["a"], None, [], ["b", None, "c"]],
                                          pa.large_list(pa.string())),
    "list_list": lambda: pa.array([[[1], [2, 3]], None, [[]], [None, [4]]],
                                  pa.list_(pa.list_(pa.int64()))),
    "fixed_size_list_sliced": lambda: pa.array([[1, 2], None, [3, None], [5, 6], [7, 8]],
                                               pa.list_(pa.int16(), 2)).slice(1, 3),
    "struct_sliced": lambda: pa.array([{"x": 1, "y": "a"}, None, {"x": None, "y": "b"},
                                       {"x": 4, "y": None}, {"x": 5, "y": "e"}],
                                      pa.struct([("x", pa.int32()), ("y", pa.string())])).slice(1, 3),
    "struct_non_nullable_child": lambda: pa.StructArray.from_arrays(
        [pa.array([1, 2, 3]), pa.array(["a", None, "c"])],
        fields=[pa.field("id", pa.int64(), nullable=False), pa.field("s", pa.string())]),
    "map_sliced": lambda: pa.array([[("a", 1)], None, [], [("b", 2), ("c", None)], [("d", 4)]],
                                   pa.map_(pa.string(), pa.int32())).slice(1, 4),
    "sparse_union_sliced": lambda: pa.UnionArray.from_sparse(
        pa.array([3, 9, 9, 3, 3, 9, 3], pa.int8()),
        [pa.array([1, 2, 3, 4, 5, 6, 7]), pa.array(["a", "b", None, "d", "e", "f", "g"])],
        ["i", "s"], [3, 9]).slice(2, 4),
    "dense_union_sliced": lambda: pa.UnionArray.from_dense(
        pa.array([5, 1, 1, 5, 5, 1, 5], pa.int8()), pa.array([0, 0, 1, 1, 2, 2, 3], pa.int32()),
        [pa.array([1, None, 3, 4]), pa.array(["a", "b", "c"])], ["i", "s"], [5, 1]).slice(1, 5),
    "dictionary_string": lambda: pa.DictionaryArray.from_arrays(
        pa.array([0, 1, None, 3, 4, 2, 0], pa.int32()), WORDS),
    "dictionary_ordered_int": lambda: pa.DictionaryArray.from_arrays(
        pa.array([0, 1, None, 2, 0], pa.int8()), pa.array([10, 20, 30], pa.int64()), ordered=True),
    "dictionary_sliced": lambda: pa.array(["x", "y", None, "x", "z", "y", "x"])
                                   .dictionary_encode().slice(2, 4),
    "list_dictionary": lambda: pa.ListArray.from_arrays(
        pa.array([0, 2, 2, 5], pa.int32()),
        pa.DictionaryArray.from_arrays(pa.array([0, 1, None, 3, 4], pa.int16()), WORDS)),
    "list_struct_sliced": lambda: pa.array(
        [[{"a": 1, "b": "x"}], None, [{"a": None, "b": None}, {"a": 3, "b": "z"}], []],
        pa.list_(AB)).slice(1),
}


def roundtrip_and_compare(shim, make):
    """Sends make()'s array through Quiver (pyarrow's own copy dropped first, so
    only the export keeps its buffers alive) and checks what comes back."""
    expected = make()
    field = pa.field("f", expected.type, metadata={"origin": "pyarrow"})
    sent = make()
    back_field, back = shim.roundtrip_array(field, sent)
    del sent
    back.validate(full=True)
    assert back_field.equals(field, check_metadata=True), f"{back_field} != {field}"
    assert type_matches(back.type, expected.type)
    assert back.null_count == expected.null_count
    assert back.equals(expected), f"{back} != {expected}"


@pytest.mark.parametrize("make", ARRAY_CASES.values(), ids=ARRAY_CASES.keys())
def test_quiver_roundtrips_pyarrow_array(shim, make):
    before = allocated_bytes()
    roundtrip_and_compare(shim, make)
    assert allocated_bytes() == before, "pyarrow memory not released after the round trip"


METADATA = {b"k": b"v\x00w", "ünï".encode(): b""}


def many_columns_batch():
    """Seven rows over flat, nested, dictionary and union columns, with schema
    and field metadata and a non-nullable field."""
    columns = {
        "null": pa.nulls(7),
        "bool": pa.array([True, None, False, True, True, False, None]),
        "int8": pa.array([1, -2, None, 4, 5, 6, 7], pa.int8()),
        "uint64": pa.array([1, 2, None, 2**63, 5, 6, 7], pa.uint64()),
        "float16": halves(0x3C00, 0xC000, 0x7BFF, 0x0001, 0, 0x8000, 0x3555),
        "decimal256": pa.array([D("1.23"), None, D("-4.56"), 0, 1, 2, 3], pa.decimal256(50, 2)),
        "date64": pa.array([0, 86_400_000, None, 0, 0, 0, 0], pa.date64()),
        "time64": pa.array([1, None, 3, 4, 5, 6, 7], pa.time64("ns")),
        "timestamp": pa.array([1, None, 3, 4, 5, 6, 7], pa.timestamp("ms", tz="Europe/Paris")),
        "interval": pa.array([pa.MonthDayNano([1, 2, 3]), None] * 3 + [None],
                             pa.month_day_nano_interval()),
        "binary": pa.array([b"a", None, b"\xff\x00", b"", b"x", b"y", b"z"]),
        "large_string": pa.array(["é", None, "ü€", "", "x", "y", "z"], pa.large_string()),
        "fixed_size_binary": pa.array([b"ab", None, b"cd", b"ef", b"gh", b"ij", b"kl"], pa.binary(2)),
        "list": pa.array([[1, 2], None, [], [3], [4, None], [5], [6]], pa.list_(pa.int32())),
        "large_list": pa.array([["a"], None, [], ["b", "c"], ["d"], [], ["e"]],
                               pa.large_list(pa.string())),
        "fixed_size_list": pa.array([[1, 2], None, [3, 4], [5, 6], [7, 8], [9, 10], [11, 12]],
                                    pa.list_(pa.int16(), 2)),
        "struct": pa.array([{"a": 1, "b": "a"}, None, {"a": None, "b": "b"}, {"a": 4, "b": None},
                            {"a": 5, "b": "e"}, {"a": 6, "b": "f"}, {"a": 7, "b": "g"}], AB),
        "map": pa.array([[("a", 1)], None, [], [("b", 2), ("c", None)], [("d", 4)], [], [("e", 5)]],
                        pa.map_(pa.string(), pa.int32())),
        "dictionary": pa.array(["x", "y", None, "x", "z", "y", "x"]).dictionary_encode(),
        "dictionary_ordered": pa.DictionaryArray.from_arrays(
            pa.array([0, 1, None, 2, 0, 1, 2], pa.int8()), pa.array([10, 20, 30]), ordered=True),
        "sparse_union": pa.UnionArray.from_sparse(
            pa.array([3, 9, 9, 3, 3, 9, 3], pa.int8()),
            [pa.array([1, 2, 3, 4, 5, 6, 7]), pa.array(["a", "b", None, "d", "e", "f", "g"])],
            ["i", "s"], [3, 9]),
        "dense_union": pa.UnionArray.from_dense(
            pa.array([5, 1, 1, 5, 5, 1, 5], pa.int8()), pa.array([0, 0, 1, 1, 2, 2, 3], pa.int32()),
            [pa.array([1, None, 3, 4]), pa.array(["a", "b", "c"])], ["i", "s"], [5, 1]),
    }
    fields = [pa.field(name, col.type, metadata=METADATA if name == "int8" else None)
              for name, col in columns.items()]
    fields.append(pa.field("required", pa.int32(), nullable=False))
    arrays = list(columns.values()) + [pa.array(range(7), pa.int32())]
    return pa.record_batch(arrays, schema=pa.schema(fields, metadata={"top": "level"}))


def test_batch_fixture_is_valid():
    batch = many_columns_batch()
    batch.validate(full=True)
    assert batch.num_rows == 7 and batch.schema.field("int8").metadata == METADATA


@pytest.mark.parametrize("offset, length", [(0, None), (2, 4), (6, 1), (3, 0)],
                         ids=["whole", "sliced", "last_row", "empty"])
def test_quiver_roundtrips_pyarrow_batch(shim, offset, length):
    batch = many_columns_batch().slice(offset, length)
    back = shim.roundtrip_batch(batch)
    back.validate(full=True)
    assert back.schema.equals(batch.schema, check_metadata=True), f"{back.schema}\n!=\n{batch.schema}"
    assert back.schema.metadata == {b"top": b"level"}
    assert back.schema.field("int8").metadata == METADATA
    assert not back.schema.field("required").nullable
    assert back.num_rows == batch.num_rows
    for name in batch.schema.names:
        assert back.column(name).equals(batch.column(name)), f"column {name} differs"


def stream_batches():
    batch = many_columns_batch()
    return batch.schema, [batch, batch.slice(1, 3), batch.slice(6, 1), batch.slice(0, 0), batch]


def test_quiver_drains_pyarrow_stream(shim):
    schema, batches = stream_batches()
    n_batches, rows, error = shim.drain_stream(pa.RecordBatchReader.from_batches(schema, batches))
    assert error is None
    assert (n_batches, rows) == (len(batches), sum(b.num_rows for b in batches))


@pytest.mark.parametrize("n", [0, 1, 5])
def test_quiver_reexports_pyarrow_stream(shim, n):
    schema, batches = stream_batches()
    batches = batches[:n]
    reader = shim.roundtrip_stream(pa.RecordBatchReader.from_batches(schema, batches))
    assert reader.schema.equals(schema, check_metadata=True)
    got = list(reader)
    assert len(got) == len(batches)
    for i, (back, sent) in enumerate(zip(got, batches)):
        back.validate(full=True)
        assert back.equals(sent), f"batch {i} differs"


# ---- 3. errors -----------------------------------------------------------------------

# A Python exception in a pyarrow stream's producer becomes an Arrow status, an
# errno on the C stream, a qv_status in Quiver, an errno again on Quiver's
# stream, and a pyarrow exception in the consumer.
PRODUCER_ERRORS = [
    (ValueError, "INVALID", pa.ArrowInvalid),
    (NotImplementedError, "NOT_IMPLEMENTED", pa.ArrowNotImplementedError),
    (MemoryError, "NOMEM", pa.ArrowMemoryError),
    (OSError, "IO", OSError),
]


def failing_reader(exc_type, message):
    schema, batches = stream_batches()

    def produce():
        yield batches[0]
        yield batches[1]
        raise exc_type(message)
    return batches[:2], pa.RecordBatchReader.from_batches(schema, produce())


@pytest.mark.parametrize("exc_type, status, _", PRODUCER_ERRORS,
                         ids=[e[0].__name__ for e in PRODUCER_ERRORS])
def test_producer_error_reaches_quiver(shim, exc_type, status, _):
    sent, reader = failing_reader(exc_type, "producer broke at batch 3")
    n_batches, rows, error = shim.drain_stream(reader)
    assert (n_batches, rows) == (2, sum(b.num_rows for b in sent))
    assert error is not None
    assert error.status == status
    assert "producer broke at batch 3" in error.message


@pytest.mark.parametrize("exc_type, _, consumer_error", PRODUCER_ERRORS,
                         ids=[e[0].__name__ for e in PRODUCER_ERRORS])
def test_producer_error_passes_through_quiver(shim, exc_type, _, consumer_error):
    sent, reader = failing_reader(exc_type, "producer broke at batch 3")
    reader = shim.roundtrip_stream(reader)
    for batch in sent:
        assert reader.read_next_batch().equals(batch)
    with pytest.raises(Exception) as info:
        reader.read_next_batch()
    assert info.type is consumer_error
    assert "producer broke at batch 3" in str(info.value)


def invalid_utf8():
    return pa.Array.from_buffers(pa.string(), 2, [None, pa.py_buffer(struct.pack("<3i", 0, 1, 3)),
                                                  pa.py_buffer(b"a\xff\xfe")])


def test_quiver_error_reaches_pyarrow_consumer(shim):
    """A batch that fails Quiver's full validation ends Quiver's stream with
    INVALID (EINVAL), which pyarrow raises as ArrowInvalid with Quiver's message."""
    good = pa.record_batch([pa.array(["ok", "fine"])], names=["s"])
    bad = pa.record_batch([invalid_utf8()], names=["s"])
    reader = shim.roundtrip_stream(pa.RecordBatchReader.from_batches(good.schema, [good, bad]))
    assert reader.read_next_batch().equals(good)
    with pytest.raises(pa.ArrowInvalid, match="UTF-8"):
        reader.read_next_batch()


def refusal(shim, make):
    """Quiver's (status, message) for an array it must refuse."""
    array = make()
    field = pa.field("f", array.type)
    try:
        shim.roundtrip_array(field, array)
    except QuiverError as e:
        return e.status, e.message
    return "OK", ""


REFUSED = {
    "string_view": (lambda: pa.array(["a", None], pa.string_view()), "NOT_IMPLEMENTED", "'vu'"),
    "binary_view": (lambda: pa.array([b"a"], pa.binary_view()), "NOT_IMPLEMENTED", "'vz'"),
    "list_view": (lambda: pa.array([[1]], pa.list_view(pa.int32())), "NOT_IMPLEMENTED", "'+vl'"),
    "run_end_encoded": (lambda: pa.RunEndEncodedArray.from_arrays(pa.array([2, 3], pa.int32()),
                                                                  pa.array([1, 2])),
                        "NOT_IMPLEMENTED", "'+r'"),
    "decimal32": (lambda: pa.array([D("1.5")], pa.decimal32(5, 2)), "NOT_IMPLEMENTED", "'d:5,2,32'"),
    "decimal64": (lambda: pa.array([D("1.5")], pa.decimal64(12, 2)), "NOT_IMPLEMENTED", "'d:12,2,64'"),
    "invalid_utf8": (invalid_utf8, "INVALID", "UTF-8"),
}


@pytest.mark.parametrize("make, status, detail", REFUSED.values(), ids=REFUSED.keys())
def test_quiver_refuses_and_releases(shim, make, status, detail):
    before = allocated_bytes()
    got_status, message = refusal(shim, make)
    assert got_status == status, message
    assert detail in message
    assert allocated_bytes() == before, "pyarrow memory not released after a refused import"
