"""Real servers for the sockguard test namespace (scripts/netns/run).

TCP on every namespace address: HTTP on 80 and 8080 (the body names the
address that answered), a greeting-and-echo line server on the other ports.
UDP echo on 53 and 8053. Writes the ready file given as argv[1] once every
socket listens. Only ever started inside the namespace.
"""

import asyncio
import socket
import sys

HTTP_PORTS = (80, 8080)
LINE_PORTS = (25, 53, 443, 465, 587, 993, 995, 3306, 9000)
UDP_PORTS = (53, 8053)


def local_name(writer):
    host, port = writer.get_extra_info("sockname")[:2]
    return f"{host}:{port}"


async def http(reader, writer):
    try:
        while True:
            line = await asyncio.wait_for(reader.readline(), 10)
            if line in (b"\r\n", b"\n", b""):
                break
        body = f"hello from {local_name(writer)}\n".encode()
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n"
            + f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body
        )
        await writer.drain()
    except (asyncio.TimeoutError, ConnectionError):
        pass
    finally:
        writer.close()


async def line_echo(reader, writer):
    try:
        writer.write(f"220 sockguard-test {local_name(writer)}\r\n".encode())
        await writer.drain()
        while True:
            line = await asyncio.wait_for(reader.readline(), 30)
            if not line:
                break
            writer.write(line)
            await writer.drain()
    except (asyncio.TimeoutError, ConnectionError):
        pass
    finally:
        writer.close()


class Echo(asyncio.DatagramProtocol):
    def connection_made(self, transport):
        self.transport = transport

    def datagram_received(self, data, addr):
        self.transport.sendto(data, addr)


def tcp_socket(family, port):
    s = socket.socket(family, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if family == socket.AF_INET6:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    s.bind(("::" if family == socket.AF_INET6 else "0.0.0.0", port))
    s.listen(128)
    s.setblocking(False)
    return s


def udp_socket(family, port):
    s = socket.socket(family, socket.SOCK_DGRAM)
    if family == socket.AF_INET6:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    s.bind(("::" if family == socket.AF_INET6 else "0.0.0.0", port))
    s.setblocking(False)
    return s


async def main(ready_path):
    loop = asyncio.get_running_loop()
    servers = []
    for family in (socket.AF_INET, socket.AF_INET6):
        for port in HTTP_PORTS:
            servers.append(await asyncio.start_server(http, sock=tcp_socket(family, port)))
        for port in LINE_PORTS:
            servers.append(await asyncio.start_server(line_echo, sock=tcp_socket(family, port)))
        for port in UDP_PORTS:
            await loop.create_datagram_endpoint(Echo, sock=udp_socket(family, port))
    with open(ready_path, "w") as f:
        f.write("ready\n")
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
