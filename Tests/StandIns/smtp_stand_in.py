#!/usr/bin/python3
"""A loopback SMTP server for Varsel's tests, on Debian's python3-aiosmtpd.

It listens on 127.0.0.1 (a free port), prints `port=N` on stderr once listening, and for every
message it takes writes `<outdir>/<n>.eml` (the DATA as received) and one JSON line in
`<outdir>/log.jsonl` with the envelope, the connection number, whether the session was TLS and
who authenticated. It stops on SIGTERM or after --lifetime seconds.

Behaviour is chosen by the first recipient's local part, so one server covers every case:
  reject-rcpt…  550 to RCPT TO (permanent)      busy…         451 to RCPT TO (transient)
  reject-data…  554 after the data (permanent)  defer-data…   452 after the data (transient)
  drop-data…    closes the connection after the data without a reply (ambiguous)
"""
import argparse
import asyncio
import json
import os
import signal
import ssl
import sys
import threading

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


class Recorder:
    def __init__(self, outdir):
        self.outdir = outdir
        self.count = 0
        self.connections = 0
        self.peers = {}
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.split("@")[0]
        if local.startswith("reject-rcpt"):
            return "550 5.1.1 mailbox unavailable"
        if local.startswith("busy"):
            return "451 4.3.0 try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        local = envelope.rcpt_tos[0].split("@")[0] if envelope.rcpt_tos else ""
        if local.startswith("reject-data"):
            return "554 5.7.1 message refused"
        if local.startswith("defer-data"):
            return "452 4.3.1 insufficient system storage"
        if local.startswith("drop-data"):
            server.transport.abort()
            return None
        with self.lock:
            self.count += 1
            number = self.count
        with open(os.path.join(self.outdir, f"{number}.eml"), "wb") as handle:
            handle.write(envelope.original_content)
        entry = {
            "n": number,
            "connection": getattr(session, "varsel_connection", None),
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "tls": server.transport.get_extra_info("ssl_object") is not None,
            "auth": getattr(session, "varsel_login", None),
        }
        with open(os.path.join(self.outdir, "log.jsonl"), "a") as handle:
            handle.write(json.dumps(entry) + "\n")
        return f"250 2.0.0 Ok: queued as Q{number}"


class CountingSMTP(SMTP):
    """Numbers each TCP connection (by the client's address: STARTTLS makes a new protocol object
    on the same connection), so tests can see libcurl reuse one for several messages."""

    def connection_made(self, transport):
        super().connection_made(transport)
        recorder = self.event_handler
        peer = transport.get_extra_info("peername")
        with recorder.lock:
            if peer not in recorder.peers:
                recorder.connections += 1
                recorder.peers[peer] = recorder.connections
            self.session.varsel_connection = recorder.peers[peer]
        with open(os.path.join(recorder.outdir, "connections"), "w") as handle:
            handle.write(str(recorder.connections))


def parse(path):
    """Prints a stored message as JSON, parsed by Python's own email package (an independent reader)."""
    import email
    from email import policy

    with open(path, "rb") as handle:
        message = email.message_from_binary_file(handle, policy=policy.default)
    body = {}
    for part in message.walk():
        kind = part.get_content_type()
        if kind in ("text/plain", "text/html") and part.get_content_disposition() is None:
            body[kind] = part.get_content()
    print(json.dumps({
        "headers": {name: str(value) for name, value in message.items()},
        "structure": [part.get_content_type() for part in message.walk()],
        "text": body.get("text/plain"),
        "html": body.get("text/html"),
        "defects": [str(defect) for defect in message.defects],
    }))


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--parse":
        parse(sys.argv[2])
        return
    parser = argparse.ArgumentParser()
    parser.add_argument("--outdir", required=True)
    parser.add_argument("--cert")
    parser.add_argument("--key")
    parser.add_argument("--implicit-tls", action="store_true", help="TLS from the first byte (smtps)")
    parser.add_argument("--no-starttls", action="store_true", help="do not offer STARTTLS")
    parser.add_argument("--auth", help="user:password that AUTH must give; without it AUTH is not required")
    parser.add_argument("--lifetime", type=float, default=600)
    args = parser.parse_args()

    recorder = Recorder(args.outdir)
    context = None
    if args.cert:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(args.cert, args.key)

    def authenticator(server, session, envelope, mechanism, auth_data):
        if not args.auth or not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        user, password = args.auth.split(":", 1)
        ok = auth_data.login.decode() == user and auth_data.password.decode() == password
        if ok:
            session.varsel_login = user
        return AuthResult(success=ok, handled=False)

    def factory():
        return CountingSMTP(
            recorder,
            hostname="stand-in.example",
            tls_context=None if args.implicit_tls or args.no_starttls else context,
            require_starttls=bool(context) and not args.implicit_tls and not args.no_starttls,
            authenticator=authenticator if args.auth else None,
            auth_required=bool(args.auth),
            auth_require_tls=False,
        )

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    server = loop.run_until_complete(
        loop.create_server(factory, host="127.0.0.1", port=0, ssl=context if args.implicit_tls else None)
    )
    port = server.sockets[0].getsockname()[1]
    print(f"listening port={port} ", file=sys.stderr, flush=True)
    # Every message is on disk when its 250 goes out: stopping needs no clean-up. The parent (a
    # test process whose signal handling blocks SIGTERM) may hand down a mask that blocks it.
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})
    loop.call_later(args.lifetime, lambda: os._exit(0))
    loop.run_forever()


if __name__ == "__main__":
    main()
