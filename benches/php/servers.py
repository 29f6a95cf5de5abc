"""Benchmark servers on 127.0.0.1: 9100 accepts and closes, 9101 sends
TRANSFER_BYTES then closes. Started by scripts/bench inside the
test namespace; writes argv[1] when listening."""

import socket
import sys
import threading

TRANSFER_BYTES = 100 * 1024 * 1024


def serve(port, handle):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port))
    s.listen(4096)
    while True:
        c, _ = s.accept()
        handle(c)


def close_now(c):
    c.close()


PAYLOAD = sys.argv[1] + ".payload"
with open(PAYLOAD, "wb") as f:
    f.truncate(TRANSFER_BYTES)


def send_all(c):
    # sendfile(2): the kernel copies, so the server is never the bottleneck.
    try:
        with open(PAYLOAD, "rb") as f:
            c.sendfile(f)
    finally:
        c.close()


threading.Thread(target=serve, args=(9100, close_now), daemon=True).start()
threading.Thread(target=serve, args=(9101, lambda c: threading.Thread(target=send_all, args=(c,)).start()), daemon=True).start()
open(sys.argv[1], "w").write("ready\n")
threading.Event().wait()
