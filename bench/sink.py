"""A webhook receiver for the delivery bench: answers every POST at once and counts webhook-ids.

Its own process on asyncio, so receiving costs the bench's sender as little as a real,
well-behaved receiver would (tens of microseconds a request). `GET /stats` answers
`{"received": N, "unique": U}`; `U < N` means something arrived twice.

    python bench/sink.py PORT
"""

from __future__ import annotations

import asyncio
import json
import sys

OK = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"
seen: dict[bytes, int] = {}
received = 0


async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    global received
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            length, msg_id = 0, b""
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                name = name.strip().lower()
                if name == b"content-length":
                    length = int(value)
                elif name == b"webhook-id":
                    msg_id = value.strip()
            if length:
                await reader.readexactly(length)
            if head.startswith(b"GET /stats"):
                body = json.dumps({"received": received, "unique": len(seen)}).encode()
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
            else:
                received += 1
                seen[msg_id] = seen.get(msg_id, 0) + 1
                writer.write(OK)
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


async def main(port: int) -> None:
    server = await asyncio.start_server(handle, "127.0.0.1", port, backlog=1024)
    print(server.sockets[0].getsockname()[1], flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 0))
