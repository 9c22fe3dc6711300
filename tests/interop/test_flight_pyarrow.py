"""Arrow Flight interop with Arrow C++ (pyarrow.flight), an implementation we
did not write.

1. pyarrow's FlightClient against a Quiver server (apps/quiver-flight-testserver):
   DoGet of generated batches (strings, decimals, dates, timestamps, nulls,
   dictionaries, large strings) equal to the same values computed here, a
   large batch, concurrent streams, cancellation, ListActions/DoAction, every
   other method answering UNIMPLEMENTED, error codes and messages, and TLS.
2. Quiver's client (apps/quiver-flight-get, which writes the stream to stdout
   as Arrow IPC) against a pyarrow FlightServerBase: many types incl. nested
   ones, dictionaries that change between batches, a large batch, an empty
   stream, errors with their codes and messages, request headers,
   ListActions.
Every call and subprocess is bounded by a timeout.
"""
import datetime
import decimal
import subprocess
import threading

import pyarrow as pa
import pyarrow.flight as flight
import pyarrow.ipc as ipc
import pytest

from conftest import BUILD

TIMEOUT = 120


def tool(name):
    path = BUILD / name
    if not path.exists():
        pytest.fail(f"{path} is not built; run `make build` first")
    return path


def call_options():
    return flight.FlightCallOptions(timeout=TIMEOUT)


# ---- a Quiver server -----------------------------------------------------------

class QuiverServer:
    def __init__(self, *args):
        self.proc = subprocess.Popen([str(tool("quiver-flight-testserver")), *map(str, args)],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        line = self._read_port_line()
        assert line.startswith(b"PORT "), line
        self.port = int(line.split()[1])

    def _read_port_line(self):
        result = []
        reader = threading.Thread(target=lambda: result.append(self.proc.stdout.readline()))
        reader.start()
        reader.join(30)
        if not result:
            self.proc.kill()
            pytest.fail("quiver-flight-testserver did not report its port")
        return result[0]

    def stop(self):
        self.proc.terminate()
        try:
            rc = self.proc.wait(60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            pytest.fail("quiver-flight-testserver did not shut down within 60 s")
        err = self.proc.stderr.read().decode(errors="replace")
        assert rc == 0, f"quiver-flight-testserver exited {rc}: {err}"


@pytest.fixture(scope="module")
def quiver_server():
    server = QuiverServer()
    yield server
    server.stop()


@pytest.fixture
def client(quiver_server):
    c = flight.connect(f"grpc://127.0.0.1:{quiver_server.port}")
    yield c
    c.close()


def expected_rows(batches, rows):
    """The values quiver-flight-testserver serves for ticket rows:<batches>:<rows>,
    computed independently from its documented formulas."""
    colors = ["red", "green", "blue", "yellow"]
    utc = datetime.timezone.utc
    out = []
    for b in range(batches):
        gs = range(b * rows, (b + 1) * rows)
        idx = [None if g % 9 == 8 else g % 4 for g in gs]
        out.append(pa.record_batch([
            pa.array(list(gs), pa.int64()),
            pa.array([None if g % 7 == 3 else f"name-{g}" for g in gs], pa.string()),
            pa.array([None if g % 5 == 1 else decimal.Decimal(125 * g - 5000).scaleb(-2)
                      for g in gs], pa.decimal128(15, 2)),
            pa.array([None if g % 11 == 4 else 19000 + g for g in gs], pa.int32()).cast(pa.date32()),
            pa.array([datetime.datetime(2023, 11, 14, 22, 13, 20, tzinfo=utc)
                      + datetime.timedelta(microseconds=1000 * g) for g in gs],
                     pa.timestamp("us", tz="UTC")),
            pa.array([None if g % 13 == 12 else g % 3 == 0 for g in gs], pa.bool_()),
            pa.array([g / 4 for g in gs], pa.float64()),
            pa.nulls(rows),
            pa.DictionaryArray.from_arrays(pa.array(idx, pa.int32()), pa.array(colors)),
            pa.array(["L" * (g % 5) for g in gs], pa.large_string()),
        ], names=["id", "name", "price", "day", "ts", "ok", "ratio", "nothing", "color", "tail"]))
    return pa.Table.from_batches(out)


def test_pyarrow_reads_quiver_do_get(client):
    reader = client.do_get(flight.Ticket(b"rows:3:1000"), call_options())
    got = reader.read_all()
    want = expected_rows(3, 1000)
    assert got.schema.equals(want.schema)
    assert got.num_rows == 3000
    assert got.equals(want)
    assert [len(b) for b in got.to_batches()] == [1000, 1000, 1000]


def test_pyarrow_reads_empty_and_large_streams(client):
    empty = client.do_get(flight.Ticket(b"rows:0:10"), call_options()).read_all()
    assert empty.num_rows == 0 and empty.schema.equals(expected_rows(1, 1).schema)
    big = client.do_get(flight.Ticket(b"big:96"), call_options()).read_all()
    assert big.num_rows == 96 * 2**20 // 8
    assert big.column(0).equals(pa.chunked_array([pa.array(range(big.num_rows), pa.int64())]))


def test_pyarrow_concurrent_streams(client):
    results, errors = {}, []

    def one(i):
        try:
            results[i] = client.do_get(flight.Ticket(f"rows:{1 + i % 3}:500".encode()),
                                       call_options()).read_all()
        except Exception as e:  # reported below
            errors.append(e)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(TIMEOUT)
    assert not errors
    for i, table in results.items():
        assert table.equals(expected_rows(1 + i % 3, 500))


def test_pyarrow_cancels_a_quiver_stream(client):
    reader = client.do_get(flight.Ticket(b"rows:1000000:100"), call_options())
    for _ in range(3):
        chunk = reader.read_chunk()
        assert chunk.data.num_rows == 100
    reader.cancel()
    # The server is still serving.
    assert client.do_get(flight.Ticket(b"rows:1:10"), call_options()).read_all().num_rows == 10


def test_pyarrow_list_actions_and_do_action(client):
    actions = list(client.list_actions(call_options()))
    assert [(a.type, a.description) for a in actions] == [("healthcheck", 'answers "ok"')]
    results = list(client.do_action(flight.Action("healthcheck", b""), call_options()))
    assert [r.body.to_pybytes() for r in results] == [b"ok"]
    with pytest.raises(pa.ArrowNotImplementedError, match="unknown action type 'nope'"):
        list(client.do_action(flight.Action("nope", b""), call_options()))


def test_pyarrow_other_methods_are_unimplemented(client):
    descriptor = flight.FlightDescriptor.for_command(b"anything")
    calls = {
        "GetFlightInfo": lambda: client.get_flight_info(descriptor, call_options()),
        "GetSchema": lambda: client.get_schema(descriptor, call_options()),
        "ListFlights": lambda: list(client.list_flights(b"", call_options())),
        "Handshake": lambda: client.authenticate_basic_token("user", "pass", call_options()),
    }
    for method, call in calls.items():
        with pytest.raises(pa.ArrowNotImplementedError, match=method):
            call()
    schema = pa.schema([("a", pa.int64())])
    with pytest.raises(pa.ArrowNotImplementedError, match="DoPut"):
        writer, _ = client.do_put(descriptor, schema, call_options())
        writer.write_table(pa.table({"a": [1, 2]}))
        writer.close()
    with pytest.raises(pa.ArrowNotImplementedError, match="DoExchange"):
        writer, reader = client.do_exchange(descriptor, call_options())
        writer.begin(schema)
        writer.write_table(pa.table({"a": [1, 2]}))
        writer.done_writing()
        reader.read_all()


@pytest.mark.parametrize("code,error", [
    (1, pa.ArrowInvalid),                  # QV_INVALID -> INVALID_ARGUMENT
    (4, KeyError),                         # QV_NOT_FOUND -> NOT_FOUND
    (3, pa.ArrowInvalid),                  # QV_RESOURCE_EXHAUSTED -> RESOURCE_EXHAUSTED
    (11, flight.FlightUnavailableError),   # QV_UNAVAILABLE -> UNAVAILABLE
    (5, pa.ArrowNotImplementedError),      # QV_NOT_IMPLEMENTED -> UNIMPLEMENTED
    (8, flight.FlightInternalError),       # QV_INTERNAL -> INTERNAL
])
def test_pyarrow_sees_quiver_error_codes(client, code, error):
    with pytest.raises(error, match=f"requested error {code}") as info:
        client.do_get(flight.Ticket(f"error:{code}".encode()), call_options()).read_all()
    if code == 3:  # pyarrow has no exception of its own for this code
        assert "resource exhausted" in str(info.value)


def make_certificate(tmp_path):
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True, timeout=60)
    return cert, key


def test_pyarrow_reads_quiver_over_tls(tmp_path):
    cert, key = make_certificate(tmp_path)
    server = QuiverServer("--tls-cert", cert, "--tls-key", key)
    try:
        c = flight.connect(f"grpc+tls://127.0.0.1:{server.port}", tls_root_certs=cert.read_bytes())
        got = c.do_get(flight.Ticket(b"rows:2:100"), call_options()).read_all()
        assert got.equals(expected_rows(2, 100))
        c.close()
    finally:
        server.stop()


# ---- Quiver's client against a pyarrow server ---------------------------------------

def types_table():
    n = 1000
    words = ["apple", "", None, "pear", "quince", "ümlaut", "a" * 100]
    rng = range(n)
    return pa.table({
        "i8": pa.array([None if i % 17 == 0 else (i % 256) - 128 for i in rng], pa.int8()),
        "u32": pa.array([i * 7 for i in rng], pa.uint32()),
        "i64": pa.array([None if i % 5 == 0 else i * 1_000_003 - 10**9 for i in rng], pa.int64()),
        "f32": pa.array([i / 8 for i in rng], pa.float32()),
        "f64": pa.array([None if i % 6 == 0 else i / 3 for i in rng], pa.float64()),
        "flag": pa.array([None if i % 7 == 0 else i % 2 == 0 for i in rng], pa.bool_()),
        "s": pa.array([words[i % len(words)] for i in rng], pa.string()),
        "ls": pa.array([words[(i + 1) % len(words)] for i in rng], pa.large_string()),
        "bin": pa.array([None if i % 4 == 0 else bytes([i % 256]) * (i % 9) for i in rng],
                        pa.binary()),
        "dec": pa.array([None if i % 3 == 0 else decimal.Decimal(i * 101 - 5000).scaleb(-2)
                         for i in rng], pa.decimal128(15, 2)),
        "dec38": pa.array([decimal.Decimal(i * 10**20 + 7).scaleb(-10) for i in rng],
                          pa.decimal128(38, 10)),
        "d32": pa.array([None if i % 11 == 0 else datetime.date(1970, 1, 1)
                         + datetime.timedelta(days=i * 13) for i in rng], pa.date32()),
        "d64": pa.array([datetime.date(2000, 1, 1) + datetime.timedelta(days=i) for i in rng],
                        pa.date64()),
        "ts": pa.array([datetime.datetime(2024, 1, 1) + datetime.timedelta(seconds=i * 61)
                        for i in rng], pa.timestamp("us", tz="Europe/Paris")),
        "nothing": pa.nulls(n),
        "dict": pa.array([None if i % 10 == 0 else ["x", "y", "z"][i % 3] for i in rng])
                  .dictionary_encode(),
        "list": pa.array([None if i % 8 == 0 else list(range(i % 4)) for i in rng],
                         pa.list_(pa.int32())),
        "struct": pa.array([{"a": i, "b": str(i)} for i in rng],
                           pa.struct([("a", pa.int64()), ("b", pa.string())])),
    })


def changing_dictionaries():
    """A stream whose dictionary is replaced between batches."""
    batches = [pa.record_batch([pa.array(vals).dictionary_encode()], names=["c"])
               for vals in (["a", "b", "a"], ["c", None, "d", "c"], ["b", "e"])]
    return pa.Table.from_batches(batches)


class PyarrowServer(flight.FlightServerBase):
    def __init__(self):
        self.headers = {}
        super().__init__("grpc://127.0.0.1:0",
                         middleware={"headers": HeaderRecorder(self.headers)})
        self.tables = {
            b"types": types_table().combine_chunks(),
            b"types-chunked": pa.Table.from_batches(types_table().to_batches(max_chunksize=128)),
            b"dictionaries": changing_dictionaries(),
            b"big": pa.table({"v": pa.array(range(96 * 2**20 // 8), pa.int64())}),
            b"empty": pa.table({"a": pa.array([], pa.int64()), "s": pa.array([], pa.string())}),
        }

    def do_get(self, context, ticket):
        t = ticket.ticket
        if t == b"unavailable":
            raise flight.FlightUnavailableError("worker 7 is draining")
        if t == b"missing":
            raise KeyError("no table named missing")
        if t == b"headers":
            return flight.RecordBatchStream(pa.table({"ok": [True]}))
        return flight.RecordBatchStream(self.tables[t])

    def list_actions(self, context):
        return [("clear", "drops every table"), ("ping", "answers pong")]


class HeaderRecorder(flight.ServerMiddlewareFactory):
    def __init__(self, store):
        self.store = store

    def start_call(self, info, headers):
        if info.method == flight.FlightMethod.DO_GET:
            self.store.update({k: v for k, v in headers.items() if k.startswith("x-")})
        return None


@pytest.fixture(scope="module")
def pyarrow_server():
    server = PyarrowServer()
    yield server
    server.shutdown()


def quiver_get(port, ticket, *args):
    proc = subprocess.run([str(tool("quiver-flight-get")), *args, f"127.0.0.1:{port}", ticket],
                          capture_output=True, timeout=TIMEOUT)
    return proc


def read_ipc(data):
    return ipc.open_stream(pa.BufferReader(data)).read_all()


@pytest.mark.parametrize("ticket", ["types", "types-chunked", "dictionaries", "empty"])
def test_quiver_reads_pyarrow_do_get(pyarrow_server, ticket):
    proc = quiver_get(pyarrow_server.port, ticket)
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")
    got = read_ipc(proc.stdout)
    want = pyarrow_server.tables[ticket.encode()]
    assert got.schema.equals(want.schema)
    assert got.equals(want)


def test_quiver_reads_a_large_pyarrow_batch(pyarrow_server):
    proc = quiver_get(pyarrow_server.port, "big")
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")
    got = read_ipc(proc.stdout)
    assert got.equals(pyarrow_server.tables[b"big"])


def test_quiver_reports_pyarrow_errors(pyarrow_server):
    location = f"127.0.0.1:{pyarrow_server.port}"
    proc = quiver_get(pyarrow_server.port, "unavailable")
    err = proc.stderr.decode()
    assert proc.returncode == 1
    assert "UNAVAILABLE" in err and "worker 7 is draining" in err and location in err
    proc = quiver_get(pyarrow_server.port, "missing")
    err = proc.stderr.decode()
    assert proc.returncode == 1 and "NOT_FOUND" in err and "no table named missing" in err


def test_quiver_sends_headers(pyarrow_server):
    proc = quiver_get(pyarrow_server.port, "headers", "--header", "x-quiver-config-batch_size=4096",
                      "--header", "x-trace=abc")
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")
    assert pyarrow_server.headers.get("x-quiver-config-batch_size") == ["4096"]
    assert pyarrow_server.headers.get("x-trace") == ["abc"]


def test_quiver_lists_pyarrow_actions(pyarrow_server):
    proc = subprocess.run([str(tool("quiver-flight-get")), "--list-actions",
                           f"127.0.0.1:{pyarrow_server.port}"], capture_output=True, timeout=TIMEOUT)
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")
    assert proc.stdout.decode().splitlines() == ["clear\tdrops every table", "ping\tanswers pong"]
