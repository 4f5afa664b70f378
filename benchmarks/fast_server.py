"""A minimal keep-alive HTTP/1.1 server for benchmarks, run in its own process.

    python -m benchmarks.fast_server PORT

It does as little as possible so that client-side costs dominate what is measured:
- ``GET .../regions``: 200 with a fixed JSON list;
- ``POST .../accounts``: 202 twice per ``transaction-id`` (``Retry-After: 1``), then 201.
"""

from __future__ import annotations

import asyncio
import sys

REGIONS = b'["vint-hill","new-york","london","singapore"]'
ACCEPTED = b'{"id":1,"error":"AcceptedError","message":"detecting broker settings"}'
CREATED = b'{"id":"bench-account","state":"DEPLOYED"}'
ACCEPTS_PER_TRANSACTION = 2


def _answer(status: bytes, body: bytes, extra: bytes = b"") -> bytes:
    return (
        b"HTTP/1.1 "
        + status
        + b"\r\ncontent-type: application/json\r\ncontent-length: "
        + str(len(body)).encode()
        + b"\r\n"
        + extra
        + b"\r\n"
        + body
    )


OK = _answer(b"200 OK", REGIONS)
WAIT = _answer(b"202 Accepted", ACCEPTED, b"retry-after: 1\r\n")
DONE = _answer(b"201 Created", CREATED)
NOT_FOUND = _answer(b"404 Not Found", b"{}")


SEEN: dict[bytes, int] = {}  # transaction-id -> answers given


class Http(asyncio.Protocol):
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport: asyncio.Transport = transport  # type: ignore[assignment]
        self.buffer = b""

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            head_end = self.buffer.find(b"\r\n\r\n")
            if head_end < 0:
                return
            head = self.buffer[:head_end]
            lines = head.split(b"\r\n")
            headers = {}
            for line in lines[1:]:
                name, _, value = line.partition(b":")
                headers[name.strip().lower()] = value.strip()
            length = int(headers.get(b"content-length", b"0"))
            if len(self.buffer) < head_end + 4 + length:
                return
            self.buffer = self.buffer[head_end + 4 + length :]
            method, path, _ = lines[0].split(b" ", 2)
            self.transport.write(self.route(method, path, headers))

    def route(self, method: bytes, path: bytes, headers: dict[bytes, bytes]) -> bytes:
        if method == b"GET" and path.endswith(b"/regions"):
            return OK
        if method == b"POST" and path.endswith(b"/accounts"):
            tid = headers.get(b"transaction-id", b"")
            count = SEEN.get(tid, 0)
            SEEN[tid] = count + 1
            return WAIT if count < ACCEPTS_PER_TRANSACTION else DONE
        return NOT_FOUND


async def serve(port: int) -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(Http, "127.0.0.1", port, backlog=4096)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(serve(int(sys.argv[1])))
