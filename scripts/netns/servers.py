"""Real servers for the sockguard test namespace (scripts/netns/run).

TCP on every namespace address: HTTP on 80 and 8080 and HTTPS on 443 (the
body names the address that answered, and for TLS the SNI name), a
greeting-and-echo line server on the other ports. UDP echo on 53 and 8053 on
every address. A DNS server on 127.0.0.53:53 answers the test names that
/etc/hosts does not carry (rebind.sockguard.test answers a public address
once, then a private one). Writes STATE/ready once every socket listens.
Only ever started inside the namespace.

usage: servers.py STATE_DIR ADDRESSES_FILE
"""

import asyncio
import socket
import sys

import os
import ssl
import struct

HTTP_PORTS = (80, 8080)
TLS_PORTS = (443,)
LINE_PORTS = (21, 25, 53, 465, 587, 993, 995, 3306, 9000)
UDP_PORTS = (53, 8053)
DNS_ADDRESSES = ("127.0.0.53", "8.8.8.8")

# SNI names seen by the TLS servers, by id() of the connection's SSLObject.
SNI = {}

# name -> (TTL, A answers): each query takes the next answer, the last one
# repeats.
DNS_A = {
    "rebind.sockguard.test": (0, ["93.184.216.34", "10.20.30.40"]),
    "smtp.gmail.com": (2, ["142.250.4.108", "142.250.4.109"]),
    "public.sockguard.test": (60, ["93.184.216.34"]),
    "private.sockguard.test": (60, ["10.20.30.40"]),
}


def local_name(writer):
    sockname = writer.get_extra_info("sockname")
    if not sockname:
        return "?"
    return f"{sockname[0]}:{sockname[1]}"


async def http(reader, writer):
    sslobj = writer.get_extra_info("ssl_object")
    sni = f" sni={SNI.pop(id(sslobj), None)}" if sslobj is not None else ""
    try:
        request = await asyncio.wait_for(reader.readline(), 10)
        while True:
            line = await asyncio.wait_for(reader.readline(), 10)
            if line in (b"\r\n", b"\n", b""):
                break
        parts = request.decode("latin-1").split()
        path = parts[1] if len(parts) > 1 else "/"
        body = f"hello from {local_name(writer)}{sni}\n".encode()
        if path.startswith("/redirect?to="):
            # /redirect?to=URL answers 302 to URL.
            head = f"HTTP/1.1 302 Found\r\nLocation: {path[len('/redirect?to='):]}\r\n"
        else:
            head = "HTTP/1.1 200 OK\r\n"
        writer.write(
            head.encode()
            + b"Content-Type: text/plain\r\nConnection: close\r\n"
            + f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body
        )
        await writer.drain()
    except (asyncio.TimeoutError, ConnectionError, ssl.SSLError):
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


class Dns(asyncio.DatagramProtocol):
    """Just enough DNS: A queries for DNS_A names, NXDOMAIN for the rest.
    Datagrams too short to be DNS are echoed (the allowlist tests ping
    8.8.8.8:53)."""

    def connection_made(self, transport):
        self.transport = transport
        self.asked = {}

    def datagram_received(self, data, addr):
        if len(data) < 12:
            self.transport.sendto(data, addr)
            return
        qid, _flags, qdcount = struct.unpack("!HHH", data[:6])
        pos, labels = 12, []
        while pos < len(data) and data[pos] != 0:
            n = data[pos]
            labels.append(data[pos + 1 : pos + 1 + n].decode("ascii", "replace"))
            pos += 1 + n
        question = data[12 : pos + 5]
        qtype = struct.unpack("!H", data[pos + 1 : pos + 3])[0] if pos + 3 <= len(data) else 0
        name = ".".join(labels).lower()
        if os.environ.get("SG_DNS_DEBUG"):
            print("dns", addr, qtype, name, data.hex(), file=sys.stderr, flush=True)
        answers = b""
        rcode = 3
        if name in DNS_A:
            rcode = 0
            if qtype == 1:
                ttl, ips = DNS_A[name]
                n = self.asked.get(name, 0)
                self.asked[name] = n + 1
                ip = ips[min(n, len(ips) - 1)]
                answers = struct.pack("!HHHIH", 0xC00C, 1, 1, ttl, 4) + socket.inet_aton(ip)
        flags = 0x8180 | rcode
        header = struct.pack("!HHHHHH", qid, flags, qdcount, 1 if answers else 0, 0, 0)
        self.transport.sendto(header + question + answers, addr)


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


def udp_socket(address, port):
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    s = socket.socket(family, socket.SOCK_DGRAM)
    s.bind((address, port))
    s.setblocking(False)
    return s


def namespace_addresses(path):
    addresses = ["127.0.0.1", "::1"]
    with open(path) as f:
        for line in f:
            line = line.split("#")[0].strip()
            if line:
                addresses.append(line.split("/")[0])
    return addresses


async def main(state, addresses_file):
    loop = asyncio.get_running_loop()
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(os.path.join(state, "server.pem"), os.path.join(state, "server.key"))
    tls.sni_callback = lambda sslobj, name, _ctx: SNI.__setitem__(id(sslobj), name)
    servers = []
    for family in (socket.AF_INET, socket.AF_INET6):
        for port in HTTP_PORTS:
            servers.append(await asyncio.start_server(http, sock=tcp_socket(family, port)))
        for port in TLS_PORTS:
            servers.append(await asyncio.start_server(http, sock=tcp_socket(family, port), ssl=tls))
        for port in LINE_PORTS:
            servers.append(await asyncio.start_server(line_echo, sock=tcp_socket(family, port)))
    # Port 9001 answers on 93.184.216.34 only: fallback.sockguard.test's IPv6
    # address refuses it, so clients must fall back to the IPv4 one.
    only_v4 = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    only_v4.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    only_v4.bind(("93.184.216.34", 9001))
    only_v4.listen(128)
    only_v4.setblocking(False)
    servers.append(await asyncio.start_server(line_echo, sock=only_v4))
    for address in namespace_addresses(addresses_file):
        for port in UDP_PORTS:
            if not (port == 53 and address in DNS_ADDRESSES):
                await loop.create_datagram_endpoint(Echo, sock=udp_socket(address, port))
    for address in DNS_ADDRESSES:
        await loop.create_datagram_endpoint(Dns, sock=udp_socket(address, 53))
    with open(os.path.join(state, "ready"), "w") as f:
        f.write("ready\n")
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
