#!/usr/bin/python3
"""s3proxy.py - a fault-injecting HTTP/1.1 proxy to put in front of S3.

drivemon's tests point drivemon at this proxy instead of the gateway, so
that they can count what drivemon asks for and make S3 misbehave on cue.
Each request is forwarded unchanged (method, target, headers including
Host, body) to 127.0.0.1:UPSTREAM over a keep-alive connection of its own;
bodies stream in both directions and chunked framing is kept.  One line
per request is appended to the log:

    METHOD TARGET STATUS [FAULT]

TARGET is the request target as sent (path and query, still
percent-encoded), STATUS the status the client got or "-" when it got
none, FAULT the fault injected, if any (fail, reset, truncate), or
"upstream" when the gateway could not be reached (the client then gets
502).  The line is written before the body is sent, so it is in the log
by the time the client has the response.

Faults come from a control file, checked on every request.  Whenever the
file changes, its rules are read afresh and their counts start over; write
the whole file each time.  One rule a line, "#" starts a comment:

    fail STATUS N [METHOD] [TEXT]   answer the next N requests with STATUS
                                    and an S3 XML error (503 SlowDown, ...)
    reset N [METHOD] [TEXT]         close the next N connections with a TCP
                                    reset instead of answering
    truncate N [METHOD] [TEXT]      send the headers and half the body of
                                    the next N responses, then close
                                    (METHOD defaults to GET)
    delay MS [METHOD] [TEXT]        wait MS milliseconds before forwarding
                                    every matching request
    throttle BPS [METHOD] [TEXT]    send the body of every matching
                                    response at BPS bytes a second

METHOD limits a rule to one method, TEXT to targets containing it.  For
one request the first matching rule with a count left is used, in file
order; delays add to it.

It is a test tool: no TLS, no access control, 127.0.0.1 only, and it does
not defend itself against a malicious client.
"""

import argparse
import http.client
import http.server
import os
import select
import signal
import socket
import struct
import sys
import threading
import time
import uuid

COPY_BLOCK = 64 * 1024
UPSTREAM_TIMEOUT_S = 300
CLIENT_IDLE_TIMEOUT_S = 300

METHODS = {"GET", "HEAD", "PUT", "POST", "DELETE", "OPTIONS", "PATCH"}

# The S3 error code a failure of each status carries.
ERROR_CODES = {
    400: "BadRequest",
    403: "AccessDenied",
    404: "NoSuchKey",
    409: "OperationAborted",
    500: "InternalError",
    501: "NotImplemented",
    502: "BadGateway",
    503: "SlowDown",
    504: "GatewayTimeout",
}


# ---- the control file -----------------------------------------------------

class Rule:
    """One line of the control file, with the count it has left."""

    def __init__(self, kind, count, status, method, text):
        self.kind = kind          # fail, reset, truncate, delay, throttle
        self.left = count         # requests to hit; ms for delay; B/s
        self.status = status      # for fail
        self.method = method
        self.text = text

    def matches(self, method, target):
        return ((self.method is None or self.method == method)
                and (self.text is None or self.text in target))


def number(word):
    try:
        return int(word)
    except ValueError:
        raise ValueError(f"'{word}' is not a number") from None


def parse_rule(words):
    """A Rule from the words of one line; ValueError when malformed."""
    kind = words[0]
    if kind == "fail":
        if len(words) < 3:
            raise ValueError("want: fail STATUS N [METHOD] [TEXT]")
        status, count = number(words[1]), number(words[2])
        scope = words[3:]
        if not 400 <= status <= 599:
            raise ValueError(f"status {status} is not an error")
    elif kind in ("reset", "truncate", "delay", "throttle"):
        if len(words) < 2:
            raise ValueError(f"want: {kind} N [METHOD] [TEXT]")
        status, count, scope = None, number(words[1]), words[2:]
    else:
        raise ValueError(f"unknown rule '{kind}'")

    method = None
    if scope and scope[0] in METHODS:
        method, scope = scope[0], scope[1:]
    if len(scope) > 1:
        raise ValueError("TEXT must be one word")
    if kind == "truncate" and method is None:
        method = "GET"
    return Rule(kind, count, status, method, scope[0] if scope else None)


class Control:
    """The rules of the control file, re-read whenever the file changes."""

    def __init__(self, path):
        self.path = path
        self.lock = threading.Lock()
        self.signature = None
        self.rules = []

    def reload_if_changed(self):
        try:
            st = os.stat(self.path)
            signature = (st.st_ino, st.st_mtime_ns, st.st_size)
        except FileNotFoundError:
            signature = None
        if signature == self.signature:
            return
        self.signature = signature
        self.rules = self.read_rules() if signature else []

    def read_rules(self):
        rules = []
        try:
            with open(self.path, encoding="utf-8") as f:
                lines = f.readlines()
        except OSError as e:
            warn(f"cannot read control file '{self.path}': {e.strerror}")
            return rules
        for line_no, line in enumerate(lines, 1):
            words = line.split("#", 1)[0].split()
            if not words:
                continue
            try:
                rules.append(parse_rule(words))
            except ValueError as e:
                warn(f"{self.path}:{line_no}: {e}; line ignored")
        return rules

    def take(self, method, target):
        """(delay in ms, body rate in B/s or None, the fault rule this
        request uses up or None)."""
        with self.lock:
            self.reload_if_changed()
            delay_ms, rate, fault = 0, None, None
            for rule in self.rules:
                if not rule.matches(method, target):
                    continue
                if rule.kind == "delay":
                    delay_ms += rule.left
                elif rule.kind == "throttle":
                    rate = min(rate or rule.left, rule.left)
                elif fault is None and rule.left > 0:
                    rule.left -= 1
                    fault = rule
            return delay_ms, rate, fault


# ---- the request log ------------------------------------------------------

class RequestLog:
    def __init__(self, path):
        self.lock = threading.Lock()
        self.file = open(path, "a", encoding="utf-8", buffering=1)

    def write(self, method, target, status, fault=None):
        line = f"{method} {target} {status}"
        if fault:
            line += f" {fault}"
        with self.lock:
            self.file.write(line + "\n")


def warn(message):
    print(f"s3proxy: {message}", file=sys.stderr, flush=True)


# ---- one client connection ------------------------------------------------

class ProxyHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = CLIENT_IDLE_TIMEOUT_S
    # Headers and body go out in separate writes; with Nagle on, each
    # response on a kept-alive connection would wait for a delayed ACK.
    disable_nagle_algorithm = True

    def setup(self):
        super().setup()
        self.upstream = None

    def finish(self):
        super().finish()
        if self.upstream:
            self.upstream.close()

    def log_message(self, format, *args):
        """Quiet: the request log says what matters."""

    def handle_one_request(self):
        try:
            super().handle_one_request()
        except (ConnectionError, socket.timeout):
            self.close_connection = True

    def forward(self):
        delay_ms, rate, fault = self.server.control.take(self.command,
                                                         self.path)
        if delay_ms:
            time.sleep(delay_ms / 1000)
        self.rate = rate

        if fault and fault.kind == "reset":
            self.reset()
        elif fault and fault.kind == "fail":
            self.fail(fault.status)
        else:
            self.relay(truncate=fault is not None)

    do_GET = do_HEAD = do_PUT = do_POST = do_DELETE = forward
    do_OPTIONS = do_PATCH = forward

    # ---- faults ------------------------------------------------------------

    def reset(self):
        """Close with a TCP reset: SO_LINGER 0, then close the descriptor
        itself, since rfile and wfile would keep a plain close() from
        reaching the kernel.  detach() leaves the socket object without a
        descriptor, so nothing later touches one reused by another thread."""
        self.server.log.write(self.command, self.path, "-", "reset")
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                   struct.pack("ii", 1, 0))
        os.close(self.connection.detach())
        self.close_connection = True

    def fail(self, status):
        self.skip_request_body()
        code = ERROR_CODES.get(status, "InjectedFault")
        request_id = uuid.uuid4().hex
        body = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                f"<Error><Code>{code}</Code>"
                "<Message>injected by s3proxy</Message>"
                f"<RequestId>{request_id}</RequestId></Error>").encode()
        if self.command == "HEAD":
            body = b""

        self.server.log.write(self.command, self.path, status, "fail")
        reason = http.server.BaseHTTPRequestHandler.responses.get(
            status, ("Error",))[0]
        head = (f"HTTP/1.1 {status} {reason}\r\n"
                "Content-Type: application/xml\r\n"
                f"Content-Length: {len(body)}\r\n"
                f"x-amz-request-id: {request_id}\r\n\r\n")
        self.wfile.write(head.encode("latin-1") + body)

    def skip_request_body(self):
        """Read the body we will not forward, so the connection stays
        usable for the client's next request."""
        sink = DiscardSink()
        copy_request_body(self.rfile, self.headers, sink)

    # ---- forwarding --------------------------------------------------------

    def relay(self, truncate):
        try:
            response = self.send_upstream()
        except (OSError, http.client.HTTPException) as e:
            self.bad_gateway(e)
            return

        headers = self.response_head(response)
        self.server.log.write(self.command, self.path, response.status,
                              "truncate" if truncate else None)
        if truncate:
            self.send_half(response, headers)
            return
        self.wfile.write(headers)
        self.copy_response_body(response)
        # http.client reuses the connection only once the response is
        # closed, and reading to the end does not always close it.
        response.close()
        if response.will_close or self.close_connection:
            self.close_upstream()

    def send_upstream(self):
        """Send the request as received; return the upstream's response."""
        conn = self.upstream_connection()
        conn.putrequest(self.command, self.path, skip_host=True,
                        skip_accept_encoding=True)
        for name, value in self.headers.items():
            conn.putheader(name, value)
        conn.endheaders()
        copy_request_body(self.rfile, self.headers, conn)
        return conn.getresponse()

    def upstream_connection(self):
        """The keep-alive connection to the gateway, renewed if the gateway
        has closed it while idle (it is then readable, at end of file)."""
        if self.upstream and self.upstream.sock:
            readable, _, _ = select.select([self.upstream.sock], [], [], 0)
            if readable:
                self.close_upstream()
        if not self.upstream:
            self.upstream = http.client.HTTPConnection(
                "127.0.0.1", self.server.upstream_port,
                timeout=UPSTREAM_TIMEOUT_S)
        return self.upstream

    def close_upstream(self):
        if self.upstream:
            self.upstream.close()
            self.upstream = None

    def bad_gateway(self, error):
        self.close_upstream()
        self.close_connection = True
        self.server.log.write(self.command, self.path, 502, "upstream")
        body = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                "<Error><Code>BadGateway</Code>"
                f"<Message>s3proxy: upstream: {error}</Message></Error>"
                ).encode()
        head = ("HTTP/1.1 502 Bad Gateway\r\n"
                "Content-Type: application/xml\r\n"
                f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n")
        try:
            self.wfile.write(head.encode("latin-1") + body)
        except OSError:
            pass

    def response_head(self, response):
        lines = [f"HTTP/1.1 {response.status} {response.reason}\r\n"]
        for name, value in response.getheaders():
            lines.append(f"{name}: {value}\r\n")
            if (name.lower() == "connection"
                    and value.strip().lower() == "close"):
                self.close_connection = True
        lines.append("\r\n")
        return "".join(lines).encode("latin-1")

    def copy_response_body(self, response):
        chunked = response.chunked
        block = min(COPY_BLOCK, self.rate) if self.rate else COPY_BLOCK
        while True:
            data = response.read1(block)
            if not data:
                break
            if self.rate:
                time.sleep(len(data) / self.rate)
            if chunked:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
            else:
                self.wfile.write(data)
        if chunked:
            self.wfile.write(b"0\r\n\r\n")
        elif response.length is None and self.command != "HEAD" \
                and not self.headers_say_no_body(response):
            # The body ended when the gateway closed: so must ours.
            self.close_connection = True

    @staticmethod
    def headers_say_no_body(response):
        return response.status in (204, 304) or response.status < 200

    def send_half(self, response, headers):
        """Headers, then half the body, then close both connections."""
        body = response.read()
        half = body[:len(body) // 2]
        self.wfile.write(headers)
        if response.chunked and half:
            self.wfile.write(b"%x\r\n%s\r\n" % (len(half), half))
        else:
            self.wfile.write(half)
        self.close_upstream()
        self.close_connection = True


# ---- request bodies -------------------------------------------------------

class DiscardSink:
    def send(self, data):
        pass


def copy_request_body(rfile, headers, sink):
    """Copy the body that follows the headers to sink.send(), keeping the
    chunked framing byte for byte when the client used it."""
    if "chunked" in headers.get("Transfer-Encoding", "").lower():
        copy_chunked(rfile, sink)
        return
    left = int(headers.get("Content-Length", 0) or 0)
    while left > 0:
        data = rfile.read(min(left, COPY_BLOCK))
        if not data:
            raise ConnectionError("client closed inside the request body")
        sink.send(data)
        left -= len(data)


def copy_chunked(rfile, sink):
    while True:
        size_line = rfile.readline(1024)
        if not size_line.endswith(b"\n"):
            raise ConnectionError("bad chunk size line from the client")
        sink.send(size_line)
        size = int(size_line.split(b";", 1)[0].strip() or b"0", 16)
        if size == 0:
            break
        left = size + 2  # the data and its CRLF
        while left > 0:
            data = rfile.read(min(left, COPY_BLOCK))
            if not data:
                raise ConnectionError("client closed inside a chunk")
            sink.send(data)
            left -= len(data)
    while True:  # trailers, up to the empty line
        line = rfile.readline(65536)
        sink.send(line)
        if line in (b"\r\n", b"\n", b""):
            break


# ---- the server -----------------------------------------------------------

class ProxyServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128


class Stop(Exception):
    """Raised by the SIGTERM handler to leave serve_forever()."""


def on_sigterm(signum, frame):
    raise Stop()


def parse_args(argv):
    parser = argparse.ArgumentParser(
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=__doc__.split("\n", 2)[2],
        epilog="example:\n  s3proxy.py --listen 7580 --upstream 7480 "
        "--log /tmp/p.log --control /tmp/p.ctl --pid-file /tmp/p.pid &\n"
        "  echo 'fail 503 2 GET /demo.gbai/' > /tmp/p.ctl\n"
        "  grep -c '^GET /demo.gbai/' /tmp/p.log")
    parser.add_argument("--listen", type=int, required=True,
                        metavar="PORT", help="port on 127.0.0.1 to serve")
    parser.add_argument("--upstream", type=int, required=True,
                        metavar="PORT", help="gateway port on 127.0.0.1")
    parser.add_argument("--log", required=True, metavar="FILE",
                        help="request log, appended to")
    parser.add_argument("--control", required=True, metavar="FILE",
                        help="fault rules; need not exist")
    parser.add_argument("--pid-file", metavar="FILE",
                        help="written once the port is open, removed at exit")
    return parser.parse_args(argv)


def main(argv):
    args = parse_args(argv)
    try:
        server = ProxyServer(("127.0.0.1", args.listen), ProxyHandler)
        server.log = RequestLog(args.log)
    except OSError as e:
        warn(f"cannot start on 127.0.0.1:{args.listen}: {e.strerror}")
        return 1
    server.control = Control(args.control)
    server.upstream_port = args.upstream

    if args.pid_file:
        with open(args.pid_file, "w") as f:
            f.write(f"{os.getpid()}\n")
    signal.signal(signal.SIGTERM, on_sigterm)
    try:
        server.serve_forever(poll_interval=0.2)
    except (Stop, KeyboardInterrupt):
        pass
    finally:
        server.server_close()
        if args.pid_file:
            try:
                os.unlink(args.pid_file)
            except FileNotFoundError:
                pass
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
