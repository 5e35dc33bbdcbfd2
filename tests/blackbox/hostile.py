"""Raw clients that misbehave on purpose: they close or reset connections at chosen points, send
nothing, trickle bytes, or lie about lengths. HTTP/1.1 is written by hand; HTTP/2 uses the `h2`
package's frames (prior knowledge on plain HTTP, ALPN on TLS). Requests are signed by botocore
(see rawsign.py), so everything but the misbehaviour is what a real SDK sends.
"""

import os
import socket
import ssl
import struct
import time
from urllib.parse import urlsplit

import h2.config
import h2.connection
import h2.errors
import h2.events

H2_PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"


def connect(server, alpn=None, timeout=10):
    """A connected socket to `server` (TLS when it serves TLS, with `alpn` offered)."""
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=timeout)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    if server.http:
        return sock
    ctx = ssl.create_default_context(cafile=server.ca_bundle)
    if alpn:
        ctx.set_alpn_protocols(alpn)
    return ctx.wrap_socket(sock, server_hostname="localhost")


def reset(sock):
    """Closes `sock` with a TCP RST (SO_LINGER 0) instead of a FIN."""
    try:
        raw = sock if not isinstance(sock, ssl.SSLSocket) else sock
        raw.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    sock.close()


def request_bytes(req):
    """The HTTP/1.1 request line, headers and body of a signed botocore AWSRequest."""
    url = urlsplit(req.url)
    target = url.path or "/"
    if url.query:
        target += "?" + url.query
    body = req.body or b""
    if isinstance(body, str):
        body = body.encode()
    lines = [f"{req.method} {target} HTTP/1.1", f"Host: {url.netloc}"]
    for k, v in req.headers.items():
        if k.lower() in ("host", "content-length"):
            continue
        lines.append(f"{k}: {v.decode() if isinstance(v, bytes) else v}")
    lines.append(f"Content-Length: {len(body)}")
    head = ("\r\n".join(lines) + "\r\n\r\n").encode()
    return head, body


def read_response(sock, deadline=10):
    """Reads one HTTP/1.1 response (status, headers dict, body) until it is complete or the
    connection closes."""
    sock.settimeout(deadline)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1]) if lines and lines[0].startswith("HTTP/") else None
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            k, v = line.split(":", 1)
            headers[k.strip().lower()] = v.strip()
    length = int(headers.get("content-length", "0"))
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        rest += chunk
    return status, headers, rest


def closed_by_peer(sock, within):
    """Whether the server closes `sock` (EOF or reset) within `within` seconds, reading and
    discarding anything it sends first."""
    deadline = time.time() + within
    while time.time() < deadline:
        sock.settimeout(max(0.05, deadline - time.time()))
        try:
            chunk = sock.recv(65536)
        except (socket.timeout, TimeoutError):
            continue
        except ssl.SSLWantReadError:
            continue
        except (ConnectionResetError, BrokenPipeError, ssl.SSLError, OSError):
            return True
        if not chunk:
            return True
    return False


class H2:
    """An HTTP/2 client connection driven frame by frame."""

    def __init__(self, server):
        self.sock = connect(server, alpn=["h2"])
        if not server.http:
            assert self.sock.selected_alpn_protocol() == "h2", "the server must offer h2 by ALPN"
        self.conn = h2.connection.H2Connection(config=h2.config.H2Configuration(client_side=True,
                                                                                 header_encoding="utf-8"))
        self.conn.initiate_connection()
        self.flush()
        self.authority = f"127.0.0.1:{server.port}"
        self.scheme = "http" if server.http else "https"

    def flush(self):
        data = self.conn.data_to_send()
        if data:
            self.sock.sendall(data)

    def send_request(self, req, end=True, body=None):
        """Sends a signed AWSRequest on a new stream; `body` overrides how much of it is sent."""
        url = urlsplit(req.url)
        path = (url.path or "/") + (("?" + url.query) if url.query else "")
        payload = req.body or b""
        if isinstance(payload, str):
            payload = payload.encode()
        headers = [(":method", req.method), (":path", path), (":scheme", self.scheme),
                   (":authority", self.authority)]
        for k, v in req.headers.items():
            if k.lower() in ("host", "content-length", "connection"):
                continue
            headers.append((k.lower(), v.decode() if isinstance(v, bytes) else v))
        headers.append(("content-length", str(len(payload))))
        sid = self.conn.get_next_available_stream_id()
        self.conn.send_headers(sid, headers, end_stream=not payload)
        part = payload if body is None else body
        if payload:
            self.conn.send_data(sid, part, end_stream=end and part == payload)
        self.flush()
        return sid

    def reset_stream(self, sid):
        try:
            self.conn.reset_stream(sid, error_code=h2.errors.ErrorCodes.CANCEL)
            self.flush()
        except Exception:
            pass

    def response(self, sid, timeout=10):
        """Waits for stream `sid`'s response: (status, body)."""
        status, body = None, b""
        deadline = time.time() + timeout
        while time.time() < deadline:
            self.sock.settimeout(max(0.05, deadline - time.time()))
            try:
                data = self.sock.recv(65536)
            except (socket.timeout, TimeoutError):
                continue
            if not data:
                break
            for ev in self.conn.receive_data(data):
                if isinstance(ev, h2.events.ResponseReceived) and ev.stream_id == sid:
                    status = int(dict(ev.headers)[":status"])
                elif isinstance(ev, h2.events.DataReceived):
                    self.conn.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
                    if ev.stream_id == sid:
                        body += ev.data
                elif isinstance(ev, (h2.events.StreamEnded, h2.events.StreamReset)) and ev.stream_id == sid:
                    self.flush()
                    return status, body
            self.flush()
        return status, body

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def rss_kib(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def open_files(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))
