"""Arrow IPC interop with Arrow C++ (pyarrow), an implementation we did not write.

1. pyarrow reads every IPC file and stream that Quiver writes from the golden
   JSON, and gets exactly the data of Arrow's own golden file for that JSON.
2. Quiver reads IPC that pyarrow writes (random tables over every type pyarrow
   produces, nulls, slices, dictionaries incl. deltas, nested types, LZ4/ZSTD):
   Quiver decodes each stream fully and re-encodes it, and pyarrow must read
   back a table equal to the one it wrote, value for value.
"""
import io
import pathlib
import random

import pyarrow as pa
import pyarrow.ipc as ipc
import pytest

from conftest import SHARED, run_tool

GOLDEN = sorted((SHARED / "testdata" / "arrow-ipc").rglob("*.json.gz"))


def case_id(path):
    return str(path.relative_to(SHARED / "testdata" / "arrow-ipc")).removesuffix(".json.gz")


def read_file(data):
    return ipc.open_file(pa.BufferReader(data)).read_all()


def read_stream(data):
    return ipc.open_stream(pa.BufferReader(data)).read_all()


@pytest.mark.parametrize("json_path", GOLDEN, ids=case_id)
def test_pyarrow_reads_what_quiver_writes(json_path, integration_tool, tmp_path):
    base = str(json_path).removesuffix(".json.gz")
    expected = read_file(pathlib.Path(base + ".arrow_file").read_bytes())
    out = tmp_path / "quiver.arrow_file"
    run_tool(integration_tool, "--mode", "JSON_TO_ARROW", "--json", json_path, "--arrow", out)
    got_file = read_file(out.read_bytes())
    stream = run_tool(integration_tool, "--mode", "FILE_TO_STREAM", stdin=out.read_bytes())
    got_stream = read_stream(stream)
    for got in (got_file, got_stream):
        assert got.schema.equals(expected.schema, check_metadata=True)
        assert got.equals(expected), f"{case_id(json_path)}: values differ"


# ---- random tables written by pyarrow ------------------------------------------

def random_values(rng, typ, n):
    """n random Python values (about 15% None) for a pyarrow type."""
    def one():
        if rng.random() < 0.15:
            return None
        if pa.types.is_boolean(typ):
            return rng.random() < 0.5
        if pa.types.is_integer(typ):
            bits = typ.bit_width
            if pa.types.is_signed_integer(typ):
                return rng.randint(-(1 << (bits - 1)), (1 << (bits - 1)) - 1)
            return rng.randint(0, (1 << bits) - 1)
        if pa.types.is_floating(typ):
            return rng.uniform(-1e6, 1e6) if not pa.types.is_float16(typ) else None
        if pa.types.is_decimal(typ):
            import decimal
            digits = rng.randint(0, 10 ** min(typ.precision, 30) - 1)
            return decimal.Decimal(digits).scaleb(-typ.scale) * rng.choice([1, -1])
        if pa.types.is_date32(typ) or pa.types.is_date64(typ):
            import datetime
            return datetime.date(1970, 1, 1) + datetime.timedelta(days=rng.randint(-30000, 30000))
        if pa.types.is_timestamp(typ) or pa.types.is_duration(typ) or pa.types.is_time64(typ):
            return rng.randint(0, 86_399_999_999) if pa.types.is_time64(typ) and typ.unit == "us" else \
                rng.randint(0, 86_399_999_999_999) if pa.types.is_time64(typ) else rng.randint(-10**15, 10**15)
        if pa.types.is_time32(typ):
            return rng.randint(0, 86_399) if typ.unit == "s" else rng.randint(0, 86_399_999)
        if pa.types.is_string(typ) or pa.types.is_large_string(typ):
            return "".join(rng.choice("abcdéß€😀 ") for _ in range(rng.randint(0, 12)))
        if pa.types.is_fixed_size_binary(typ):
            return bytes(rng.getrandbits(8) for _ in range(typ.byte_width))
        if pa.types.is_binary(typ) or pa.types.is_large_binary(typ):
            return bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 12)))
        if pa.types.is_interval(typ):
            return pa.MonthDayNano([rng.randint(-100, 100), rng.randint(-100, 100), rng.randint(-10**12, 10**12)])
        raise AssertionError(f"no generator for {typ}")
    return [one() for _ in range(n)]


FLAT_TYPES = [
    pa.bool_(), pa.int8(), pa.int16(), pa.int32(), pa.int64(), pa.uint8(), pa.uint16(),
    pa.uint32(), pa.uint64(), pa.float32(), pa.float64(), pa.decimal128(15, 2),
    pa.decimal128(38, 10), pa.decimal256(50, 5), pa.date32(), pa.date64(),
    pa.time32("s"), pa.time32("ms"), pa.time64("us"), pa.time64("ns"),
    pa.timestamp("s"), pa.timestamp("ms", tz="UTC"), pa.timestamp("us", tz="Europe/Paris"),
    pa.timestamp("ns"), pa.duration("s"), pa.duration("ns"), pa.month_day_nano_interval(),
    pa.string(), pa.large_string(), pa.binary(), pa.large_binary(), pa.binary(7),
]


def flat_array(rng, typ, n):
    return pa.array(random_values(rng, typ, n), type=typ)


def random_table(seed, n=500):
    rng = random.Random(seed)
    cols, names = [], []
    for i, typ in enumerate(FLAT_TYPES):
        cols.append(flat_array(rng, typ, n))
        names.append(f"c{i}_{typ}".replace(" ", ""))
    ints = flat_array(rng, pa.int32(), n * 3)
    strs = flat_array(rng, pa.string(), n * 3)
    offsets = sorted(rng.randint(0, n * 3) for _ in range(n - 1))
    offsets = pa.array([0] + offsets + [n * 3], pa.int32())
    cols.append(pa.ListArray.from_arrays(offsets, ints))
    names.append("list_int")
    cols.append(pa.LargeListArray.from_arrays(pa.array(offsets.to_pylist(), pa.int64()), strs))
    names.append("large_list_str")
    cols.append(pa.FixedSizeListArray.from_arrays(flat_array(rng, pa.float64(), n * 2), 2))
    names.append("fixed_list")
    cols.append(pa.StructArray.from_arrays(
        [flat_array(rng, pa.int64(), n), flat_array(rng, pa.string(), n)], names=["x", "y"],
        mask=pa.array([rng.random() < 0.1 for _ in range(n)])))
    names.append("struct")
    keys = pa.array([f"k{i}" for i in range(n * 3)])
    cols.append(pa.MapArray.from_arrays(offsets, keys, ints))
    names.append("map")
    codes = pa.array([rng.choice([0, 1]) for _ in range(n)], pa.int8())
    cols.append(pa.UnionArray.from_sparse(codes, [flat_array(rng, pa.int32(), n), flat_array(rng, pa.string(), n)]))
    names.append("sparse_union")
    dense_children = [flat_array(rng, pa.float64(), n), flat_array(rng, pa.binary(), n)]
    dense_offsets = pa.array(list(range(n)), pa.int32())
    cols.append(pa.UnionArray.from_dense(codes, dense_offsets, dense_children))
    names.append("dense_union")
    words = pa.array(["red", "green", "blue", None, "cyan"])
    idx = pa.array([rng.choice([0, 1, 2, 3, 4, None]) for _ in range(n)], pa.int16())
    cols.append(pa.DictionaryArray.from_arrays(idx, words))
    names.append("dict_str")
    cols.append(pa.nulls(n))
    names.append("null")
    return pa.table(cols, names=names)


def roundtrip_through_quiver(tool, table, options, fmt):
    sink = io.BytesIO()
    writer = (ipc.new_stream if fmt == "stream" else ipc.new_file)(sink, table.schema, options=options)
    for batch in table.to_batches(max_chunksize=128):
        writer.write_batch(batch)
    writer.close()
    if fmt == "stream":
        quiver_file = run_tool(tool, "--mode", "STREAM_TO_FILE", stdin=sink.getvalue())
        return read_file(quiver_file)
    quiver_stream = run_tool(tool, "--mode", "FILE_TO_STREAM", stdin=sink.getvalue())
    return read_stream(quiver_stream)


@pytest.mark.parametrize("codec", [None, "lz4", "zstd"])
@pytest.mark.parametrize("fmt", ["stream", "file"])
@pytest.mark.parametrize("seed", [1, 2])
def test_quiver_reads_what_pyarrow_writes(integration_tool, codec, fmt, seed):
    table = random_table(seed)
    options = ipc.IpcWriteOptions(compression=codec)
    got = roundtrip_through_quiver(integration_tool, table, options, fmt)
    assert got.schema.equals(table.schema)
    assert got.equals(table)


def test_sliced_batches(integration_tool):
    table = random_table(7, n=300)
    sink = io.BytesIO()
    with ipc.new_stream(sink, table.schema) as writer:
        for start, length in [(0, 1), (1, 13), (14, 77), (91, 200), (291, 9)]:
            writer.write_batch(table.slice(start, length).combine_chunks().to_batches()[0])
    got = read_file(run_tool(integration_tool, "--mode", "STREAM_TO_FILE", stdin=sink.getvalue()))
    assert got.equals(table)


def test_dictionary_deltas_and_replacements(integration_tool):
    """A stream whose dictionary grows by deltas and is then replaced: Quiver
    decodes it and re-encodes it as a stream (STREAM_TO_STREAM, a Quiver
    extension of the harness modes: a file cannot carry replacements)."""
    schema = pa.schema([("d", pa.dictionary(pa.int32(), pa.string()))])
    first = pa.DictionaryArray.from_arrays(pa.array([0, 1, None, 1], pa.int32()), pa.array(["a", "b"]))
    delta = pa.DictionaryArray.from_arrays(pa.array([2, 0, 3], pa.int32()), pa.array(["a", "b", "c", "d"]))
    replaced = pa.DictionaryArray.from_arrays(pa.array([0, 0, 1], pa.int32()), pa.array(["x", "y"]))
    sink = io.BytesIO()
    with ipc.new_stream(sink, schema, options=ipc.IpcWriteOptions(emit_dictionary_deltas=True)) as writer:
        for arr in (first, delta, replaced):
            writer.write_batch(pa.record_batch([arr], schema=schema))
    got = read_stream(run_tool(integration_tool, "--mode", "STREAM_TO_STREAM", stdin=sink.getvalue()))
    assert got.column("d").to_pylist() == ["a", "b", None, "b", "c", "a", "d", "x", "x", "y"]
