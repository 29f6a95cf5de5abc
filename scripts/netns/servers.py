"""Real servers for the sockguard test namespace (scripts/netns/run).

TCP on every namespace address: HTTP on 80 and 8080 and HTTPS on 443 (the
body names the address that answered, and for TLS the SNI name), a
greeting-and-echo line server on the other ports, and an FTP server on 2121
whose PASV replies name 10.20.30.40 (a data connection to a private address,
which only the C-library floor can stop). UDP echo on 53 and 8053 on
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
        length = 0
        while True:
            line = await asyncio.wait_for(reader.readline(), 10)
            if line in (b"\r\n", b"\n", b""):
                break
            key, _, value = line.decode("latin-1").partition(":")
            if key.strip().lower() == "content-length":
                length = int(value.strip() or 0)
        parts = request.decode("latin-1").split()
        path = parts[1] if len(parts) > 1 else "/"
        body = f"hello from {local_name(writer)}{sni}\n".encode()
        kind = "text/plain"
        if path.startswith("/redirect?to="):
            # /redirect?to=URL answers 302 to URL.
            head = f"HTTP/1.1 302 Found\r\nLocation: {path[len('/redirect?to='):]}\r\n"
        elif path.startswith("/dns-query") and length:
            # DNS over HTTPS (RFC 8484, POST), with the test names.
            head = "HTTP/1.1 200 OK\r\n"
            body = dns_answer(await reader.readexactly(length), {})
            kind = "application/dns-message"
        else:
            head = "HTTP/1.1 200 OK\r\n"
        writer.write(
            head.encode()
            + f"Content-Type: {kind}\r\nConnection: close\r\n".encode()
            + f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body
        )
        await writer.drain()
    except (asyncio.TimeoutError, ConnectionError, ssl.SSLError, asyncio.IncompleteReadError, ValueError):
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


FTP_FILE = b"hello from the data connection on 10.20.30.40\n"


async def ftp(reader, writer):
    """Just enough FTP for ext/ftp: login, PASV (always naming 10.20.30.40,
    where the data listener is), RETR and NLST of one file, QUIT."""
    data_server = None
    data_conn = asyncio.get_running_loop().create_future()

    async def send(line):
        writer.write(line.encode() + b"\r\n")
        await writer.drain()

    async def serve_data(payload):
        try:
            r, w = await asyncio.wait_for(data_conn, 10)
        except asyncio.TimeoutError:
            await send("425 No data connection")
            return
        w.write(payload)
        await w.drain()
        w.close()
        await send("226 Transfer complete")

    try:
        await send("220 sockguard-test ftp")
        while True:
            line = await asyncio.wait_for(reader.readline(), 30)
            if not line:
                break
            verb = line.decode("latin-1").strip().split(" ")[0].upper()
            if verb == "USER":
                await send("331 Password required")
            elif verb == "PASS":
                await send("230 Logged in")
            elif verb in ("TYPE", "MODE", "STRU", "OPTS"):
                await send("200 OK")
            elif verb == "SYST":
                await send("215 UNIX Type: L8")
            elif verb == "PWD":
                await send('257 "/"')
            elif verb == "FEAT":
                await send("211 No features")
            elif verb == "SIZE":
                await send(f"213 {len(FTP_FILE)}")
            elif verb == "PASV":
                if data_server is not None:
                    data_server.close()
                data_conn = asyncio.get_running_loop().create_future()

                def accepted(r, w, fut=data_conn):
                    if not fut.done():
                        fut.set_result((r, w))

                data_server = await asyncio.start_server(accepted, "10.20.30.40", 0)
                port = data_server.sockets[0].getsockname()[1]
                await send(f"227 Entering Passive Mode (10,20,30,40,{port >> 8},{port & 255})")
            elif verb == "RETR":
                await send("150 Opening data connection")
                await serve_data(FTP_FILE)
            elif verb in ("NLST", "LIST"):
                await send("150 Opening data connection")
                await serve_data(b"file.txt\r\n")
            elif verb == "QUIT":
                await send("221 Bye")
                break
            else:
                await send("502 Not implemented")
    except (asyncio.TimeoutError, ConnectionError):
        pass
    finally:
        if data_server is not None:
            data_server.close()
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
        self.transport.sendto(dns_answer(data, self.asked), addr)


def dns_answer(data, asked):
    """The answer to a DNS query: A records for DNS_A names, NXDOMAIN for
    the rest. `asked` counts the queries per name."""
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
        print("dns", qtype, name, data.hex(), file=sys.stderr, flush=True)
    answers = b""
    rcode = 3
    if name in DNS_A:
        rcode = 0
        if qtype == 1:
            ttl, ips = DNS_A[name]
            n = asked.get(name, 0)
            asked[name] = n + 1
            ip = ips[min(n, len(ips) - 1)]
            answers = struct.pack("!HHHIH", 0xC00C, 1, 1, ttl, 4) + socket.inet_aton(ip)
    flags = 0x8180 | rcode
    header = struct.pack("!HHHHHH", qid, flags, qdcount, 1 if answers else 0, 0, 0)
    return header + question + answers


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
        servers.append(await asyncio.start_server(ftp, sock=tcp_socket(family, 2121)))
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
