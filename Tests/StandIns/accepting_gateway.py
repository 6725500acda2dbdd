#!/usr/bin/python3
"""A gateway stand-in for `varsel bench --gateway` in Varsel's tests: it answers every POST and GET
with 202 and `{"id":"gw-…","status":"accepted"}`, over HTTP/1.1 keep-alive, as nginx does in the
reference method.

It runs in a process of its own, so a test process whose shared task pool is busy with other tests
cannot hold its answers back. It listens on 127.0.0.1 (a free port), prints `port=N` on stderr once
listening, and counts the requests by path. It stops on SIGTERM or after --lifetime seconds, and then
writes the counts (`{"/sms": 600, …}`) to the --counts file.
"""
import argparse
import json
import signal
import sys
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

counts = {}
lock = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in one write, and at once: no wait for a delayed ACK.
    disable_nagle_algorithm = True
    wbufsize = 65536

    def log_message(self, format, *args):
        pass

    def answer(self, status, body):
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        self.wfile.flush()

    def take(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        path = self.path.split("?")[0]
        with lock:
            counts[path] = counts.get(path, 0) + 1
        self.answer(202, json.dumps({"id": "gw-" + uuid.uuid4().hex, "status": "accepted"}))

    def do_POST(self):
        self.take()

    def do_GET(self):
        self.take()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--lifetime", type=float, default=900)
    parser.add_argument("--counts", required=True)
    args = parser.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    # The test process that spawns this may block SIGTERM in the spawning thread; the mask is inherited.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(f"port={server.server_address[1]} ", file=sys.stderr, flush=True)
    stop.wait(args.lifetime)
    server.shutdown()
    with lock, open(args.counts, "w") as out:
        json.dump(counts, out)


if __name__ == "__main__":
    main()
