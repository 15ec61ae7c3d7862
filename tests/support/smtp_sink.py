#!/usr/bin/env python3
"""A real SMTP server on loopback for the mail delivery tests (tests/web/mail.rs): Debian's
python3-aiosmtpd, keeping every message instead of relaying it.

    smtp_sink.py --mode plain|starttls|implicit [--cert C --key K] [--user U --password P]

Listens on 127.0.0.1 on a free port and prints `PORT <n>` once it accepts connections, then
one JSON line per event on stdout:
    {"event": "message", "mail_from", "rcpt_tos", "data", "tls", "login"}
    {"event": "auth_refused", "login"}
`starttls` offers STARTTLS and refuses MAIL before it; `implicit` speaks TLS from the first
byte (smtps). With --user, MAIL is refused until AUTH (PLAIN or LOGIN) succeeds with exactly
that user and password. Exits when stdin closes (the test ended), so no server outlives it.
"""
import argparse
import asyncio
import json
import logging
import ssl
import sys
import warnings

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

# "AUTH without TLS" is what the plain-SMTP test asks for; stderr stays for real trouble.
warnings.filterwarnings("ignore")
logging.getLogger("mail.log").setLevel(logging.ERROR)


def emit(event: dict) -> None:
    print(json.dumps(event), flush=True)


class Sink:
    async def handle_DATA(self, server, session, envelope):
        tls = server.transport.get_extra_info("ssl_object") is not None
        auth = session.auth_data
        login = auth.login.decode() if isinstance(auth, LoginPassword) else None
        emit({
            "event": "message",
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "data": envelope.content.decode("utf-8", "replace"),
            "tls": tls,
            "login": login,
        })
        return "250 OK"


def authenticator(user: str, password: str):
    def check(server, session, envelope, mechanism, auth_data):
        if (isinstance(auth_data, LoginPassword)
                and auth_data.login == user.encode()
                and auth_data.password == password.encode()):
            return AuthResult(success=True, auth_data=auth_data)
        login = auth_data.login.decode() if isinstance(auth_data, LoginPassword) else None
        emit({"event": "auth_refused", "login": login})
        return AuthResult(success=False, handled=False)
    return check


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mode", choices=["plain", "starttls", "implicit"], default="plain")
    parser.add_argument("--cert")
    parser.add_argument("--key")
    parser.add_argument("--user")
    parser.add_argument("--password")
    args = parser.parse_args()

    context = None
    if args.mode != "plain":
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(args.cert, args.key)

    def protocol():
        return SMTP(
            Sink(),
            hostname="smtp-sink.test",
            tls_context=context if args.mode == "starttls" else None,
            require_starttls=args.mode == "starttls",
            authenticator=authenticator(args.user, args.password) if args.user else None,
            auth_required=bool(args.user),
            # Over implicit TLS the connection is encrypted from the start; aiosmtpd only
            # knows about STARTTLS, so it is told not to ask for it before AUTH.
            auth_require_tls=args.mode == "starttls",
        )

    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        protocol, "127.0.0.1", 0, ssl=context if args.mode == "implicit" else None
    )
    print(f"PORT {server.sockets[0].getsockname()[1]}", flush=True)
    # Runs until the test closes stdin (or dies).
    await loop.run_in_executor(None, sys.stdin.read)
    server.close()


if __name__ == "__main__":
    asyncio.run(main())
