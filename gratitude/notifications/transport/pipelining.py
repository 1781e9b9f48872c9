"""Sending one message over SMTP with PIPELINING (RFC 2920): MAIL, RCPT and DATA written at once.

smtplib's `sendmail` waits for the server's reply to each command before writing the next: MAIL, each RCPT,
DATA, then the message, four round trips for a message to one recipient. A server that announces
PIPELINING lets a client write MAIL, the RCPTs and DATA together and read their replies after, so a message
takes two round trips (the commands, then the content). Postfix, Exim and the providers' relays announce it;
a server that does not gets smtplib's own `sendmail`, unchanged.

Every outcome is reported as `sendmail` reports it (the worker classifies failures by these exceptions and
their codes, sending/delivery.py): SMTPSenderRefused when MAIL is refused, SMTPRecipientsRefused when every
recipient is, SMTPDataError when DATA or the content is, and the refused recipients returned when only some
are. After a refusal the session is reset (RSET), or closed on 421, as `sendmail` does.
"""

from __future__ import annotations

import contextlib
import re
import smtplib

CRLF = b"\r\n"
# A line of the content that starts with "." gets a second one (RFC 5321 4.5.2), as smtplib.data() does.
_LEADING_DOT = re.compile(rb"(?m)^\.")
# What sendmail accepts from a RCPT: 250 (ok) and 251 (user not local; will forward).
_RECIPIENT_OK = (250, 251)


def sendmail(
    connection: smtplib.SMTP, from_addr: str, to_addrs: list[str], msg: bytes
) -> dict[str, tuple[int, bytes]]:
    """`connection.sendmail(from_addr, to_addrs, msg)`, pipelined when the server announces PIPELINING.
    Returns the recipients the server refused (empty when it took them all), as `sendmail` does."""
    connection.ehlo_or_helo_if_needed()
    if not connection.does_esmtp or not connection.has_extn("pipelining") or not to_addrs:
        return connection.sendmail(from_addr, to_addrs, msg)
    # The same MAIL option sendmail adds: the server may refuse an oversized message before its content.
    options = f" size={len(msg)}" if connection.has_extn("size") else ""
    commands = [f"mail FROM:{smtplib.quoteaddr(from_addr)}{options}"]
    commands += [f"rcpt TO:{smtplib.quoteaddr(address)}" for address in to_addrs]
    commands.append("data")
    for command in commands:
        if "\r" in command or "\n" in command:
            # What smtplib.putcmd refuses: a line break would start a command of its own.
            raise ValueError("command and arguments contain prohibited newline characters")
    connection.send("".join(f"{command}\r\n" for command in commands))

    code, reply = connection.getreply()
    if code == 421:
        connection.close()
        raise smtplib.SMTPSenderRefused(code, reply, from_addr)
    sender_refused = None if code == 250 else (code, reply)
    refused: dict[str, tuple[int, bytes]] = {}
    for address in to_addrs:
        code, reply = connection.getreply()
        if code not in _RECIPIENT_OK:
            refused[address] = (code, reply)
        if code == 421:
            connection.close()
            raise smtplib.SMTPRecipientsRefused(refused)
    data_code, data_reply = connection.getreply()
    if data_code == 421:
        connection.close()
        raise smtplib.SMTPDataError(data_code, data_reply)
    if sender_refused is not None or len(refused) == len(to_addrs):
        if data_code == 354:
            # The server took DATA although the transaction had failed: end it with no content.
            connection.send(b"." + CRLF)
            connection.getreply()
        _reset(connection)
        if sender_refused is not None:
            raise smtplib.SMTPSenderRefused(*sender_refused, from_addr)
        raise smtplib.SMTPRecipientsRefused(refused)
    if data_code != 354:
        _reset(connection)
        raise smtplib.SMTPDataError(data_code, data_reply)

    content = _LEADING_DOT.sub(b"..", msg)
    if not content.endswith(CRLF):
        content += CRLF
    connection.send(content + b"." + CRLF)
    code, reply = connection.getreply()
    if code != 250:
        if code == 421:
            connection.close()
        else:
            _reset(connection)
        raise smtplib.SMTPDataError(code, reply)
    return refused


def _reset(connection: smtplib.SMTP) -> None:
    # smtplib's own _rset: a failed RSET (the server gone) is not the error to report.
    with contextlib.suppress(smtplib.SMTPServerDisconnected):
        connection.rset()
