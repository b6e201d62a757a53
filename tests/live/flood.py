#!/usr/bin/env python3
"""Hostile clients for tests/live/test_front_flood.sh, on loopback only.

  flood.py slowbody PORT DELAY BUDGET   one request: headers, DELAY s later the
                                        body (one image, latency=BUDGET); prints
                                        the JSON answer
  flood.py png W H OUT                  writes a one-colour W x H PNG
  flood.py uploads PORT N CL SEND SRC   N uploads from SRC announcing CL bytes;
                                        the ones let in send SEND bytes of
                                        images and hold; prints a JSON summary
  flood.py slow PORT N FIRST LAST T     N clients from 127.0.0.FIRST..LAST that
                                        trickle headers a byte a second; waits
                                        at most T s; prints a JSON summary

Every wait is bounded; every socket is bound to a 127.0.0.0/8 address.
"""
import json
import os
import select
import socket
import struct
import sys
import time
import zlib

HOST = "127.0.0.1"


def connect(port, src=None, timeout=10):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if src:
        s.bind((src, 0))
    s.settimeout(timeout)
    s.connect((HOST, int(port)))
    return s


def read_answer(s, limit_s=30):
    """The whole answer (the server closes or says Content-Length)."""
    data = b""
    end = time.monotonic() + limit_s
    while time.monotonic() < end:
        try:
            chunk = s.recv(65536)
        except (ConnectionResetError, socket.timeout):
            break
        if not chunk:
            break
        data += chunk
        head, sep, body = data.partition(b"\r\n\r\n")
        if sep:
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    if len(body) >= int(line.split(b":")[1]):
                        return data
    return data


def multipart(parts):
    out = b""
    for name, data in parts:
        fn = b'; filename="a.jpg"' if name == "images" else b""
        out += (b"--zz\r\nContent-Disposition: form-data; name=\"" + name.encode() + b"\"" +
                fn + b"\r\n\r\n" + data + b"\r\n")
    return out + b"--zz--\r\n"


def post_head(length, extra=""):
    return ("POST /inference HTTP/1.1\r\nHost: x\r\nConnection: close\r\n%s"
            "Content-Type: multipart/form-data; boundary=zz\r\n"
            "Content-Length: %d\r\n\r\n" % (extra, length)).encode()


def slowbody(port, delay, budget):
    img = open(os.environ["IMAGE"], "rb").read()
    body = multipart([("images", img), ("latency", budget.encode())])
    s = connect(port, timeout=60)
    s.sendall(post_head(len(body)))
    time.sleep(float(delay))
    s.sendall(body)
    ans = read_answer(s, 60)
    s.close()
    print(ans.partition(b"\r\n\r\n")[2].decode())


def png(w, h, out):
    w, h = int(w), int(h)
    row = b"\x00" + b"\x40\x80\xc0" * w
    raw = zlib.compress(row * h, 9)

    def chunk(kind, data):
        c = kind + data
        return struct.pack(">I", len(data)) + c + struct.pack(">I", zlib.crc32(c) & 0xffffffff)
    ihdr = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)
    with open(out, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", raw) +
                chunk(b"IEND", b""))


def uploads(port, n, cl, send, src):
    """Held uploads: refused at once with 503 + Retry-After, or let in and cut off."""
    n, cl, send = int(n), int(cl), int(send)
    part = 9 * 1024 * 1024  # under max_image_bytes (10 MB) each
    refused, retry_after, admitted, cut_after = 0, 0, 0, []
    held = []
    for _ in range(n):
        s = connect(port, src)
        s.sendall(post_head(cl))
        t0 = time.monotonic()  # the server's body deadline runs from about here
        r, _, _ = select.select([s], [], [], 0.5)
        if r:  # answered before any of the body was read
            ans = read_answer(s, 5)
            if ans.startswith(b"HTTP/1.1 503"):
                refused += 1
                retry_after += b"\r\nRetry-After: " in ans
            s.close()
            continue
        admitted += 1
        sent = 0
        try:
            while sent < send:
                k = min(part, send - sent)
                head = (b"--zz\r\nContent-Disposition: form-data; name=\"images\"; "
                        b"filename=\"a.png\"\r\n\r\n")
                s.sendall(head + b"\x89PNG" + b"\x00" * (k - 4) + b"\r\n")
                sent += k
        except OSError:
            pass
        held.append((s, t0))
    # Hold until the server cuts them off (at most 60 s).
    end = time.monotonic() + 60
    while held and time.monotonic() < end:
        r, _, _ = select.select([h[0] for h in held], [], [], 0.5)
        for s in r:
            try:
                data = s.recv(4096)
            except OSError:
                data = b""
            if not data:
                t0 = [h[1] for h in held if h[0] is s][0]
                cut_after.append(round(time.monotonic() - t0, 2))
                held = [h for h in held if h[0] is not s]
                s.close()
    print(json.dumps({"refused_503": refused, "retry_after": retry_after,
                      "admitted": admitted, "cut_after_s": cut_after,
                      "still_open": len(held)}))


def slow(port, n, first, last, limit):
    """Slow-loris clients: a header byte a second, never finishing."""
    n, first, last, limit = int(n), int(first), int(last), float(limit)
    head = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 4096
    socks = {}
    addrs = ["127.0.0.%d" % a for a in range(first, last + 1)]
    for i in range(n):
        s = connect(port, addrs[i % len(addrs)])
        s.setblocking(False)
        socks[s] = {"t0": time.monotonic(), "sent": 0}
        time.sleep(0.01)  # 100 a second
    closed, answered, most = [], 0, 0
    start = time.monotonic()
    next_tick = start
    while socks and time.monotonic() - start < limit:
        now = time.monotonic()
        if now >= next_tick:
            for s, st in list(socks.items()):
                try:
                    s.send(head[st["sent"]:st["sent"] + 1])
                    st["sent"] += 1
                except OSError:
                    pass  # the read side below sees it closed
            next_tick = now + 1.0
        r, _, _ = select.select(list(socks), [], [], max(0.0, min(0.1, next_tick - now)))
        for s in r:
            try:
                data = s.recv(4096)
            except OSError:
                data = b""
            if data:
                answered += 1
                continue
            closed.append(round(time.monotonic() - socks[s]["t0"], 2))
            most = max(most, socks[s]["sent"])
            del socks[s]
            s.close()
    for s in socks:
        s.close()
    print(json.dumps({"clients": n, "closed_after_s": sorted(closed),
                      "still_open": len(socks), "answered": answered,
                      "most_bytes_sent": max([most] + [st["sent"] for st in socks.values()])}))


if __name__ == "__main__":
    cmds = {"slowbody": slowbody, "png": png, "uploads": uploads, "slow": slow}
    cmds[sys.argv[1]](*sys.argv[2:])
