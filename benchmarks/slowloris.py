"""A slowloris against the dashboard on this machine only: `python -m benchmarks.slowloris PORT
CONNECTIONS SECONDS`. It keeps CONNECTIONS half-sent requests open to 127.0.0.1:PORT (no token,
headers never finished, one more header byte every few seconds), opening a new one whenever the
server drops one, and sends a malformed request on every fifth reconnect to flood the log. The
target address is fixed: this never connects anywhere but 127.0.0.1. Prints one JSON line."""

from __future__ import annotations

import asyncio
import json
import random
import resource
import sys
import time

TARGET = "127.0.0.1"


async def _hold(port: int, until: float, stats: dict[str, int]) -> None:
    while time.monotonic() < until:
        try:
            reader, writer = await asyncio.wait_for(asyncio.open_connection(TARGET, port), 5)
        except (OSError, TimeoutError):
            stats["connect_failed"] += 1
            await asyncio.sleep(0.5)
            continue
        stats["opened"] += 1
        try:
            if stats["opened"] % 5 == 0:
                writer.write(b"NOT HTTP\r\n\r\n")  # malformed: the server logs it
            else:
                writer.write(f"GET / HTTP/1.1\r\nHost: {TARGET}:{port}\r\n".encode())
            await writer.drain()
            while time.monotonic() < until:
                writer.write(b"X")  # never a finished header
                await writer.drain()
                if await _closed(reader, 3 + random.random() * 2):
                    stats["dropped_by_server"] += 1
                    break
        except (OSError, ConnectionError):
            stats["dropped_by_server"] += 1
        finally:
            writer.close()
        await asyncio.sleep(0.05 + random.random() * 0.1)


async def _closed(reader: asyncio.StreamReader, wait_s: float) -> bool:
    try:
        await asyncio.wait_for(reader.read(1024), wait_s)
        return True  # any answer (a 400, or EOF) ends this connection
    except TimeoutError:
        return False


async def _main(port: int, connections: int, seconds: float) -> dict[str, int]:
    stats = {"opened": 0, "dropped_by_server": 0, "connect_failed": 0}
    until = time.monotonic() + seconds
    await asyncio.gather(*(_hold(port, until, stats) for _ in range(connections)))
    return stats


if __name__ == "__main__":
    port, connections, seconds = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, connections + 1024), hard))
    result = asyncio.run(_main(port, connections, seconds))
    print(json.dumps({"connections": connections, "seconds": seconds, **result}))
