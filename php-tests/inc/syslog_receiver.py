"""A syslog or journald socket the test owns: binds a unix datagram socket at
argv[1], touches argv[2] once it listens, and prints each datagram it gets
(until argv[3] exists and nothing more arrives): a syslog line as is, a
journald native message as NAME=value lines (binary values decoded)."""
import os, socket, struct, sys, time

path, ready, done = sys.argv[1:4]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
os.chmod(path, 0o666)
open(ready, "w").close()
s.settimeout(0.2)
deadline = time.time() + 20
while time.time() < deadline:
    try:
        data = s.recv(65536)
    except socket.timeout:
        if os.path.exists(done):
            break
        continue
    if path.endswith("/journal/socket"):
        i = 0
        while i < len(data):
            nl = data.index(b"\n", i)
            line = data[i:nl]
            if b"=" in line:
                print(line.decode())
                i = nl + 1
            else:
                (n,) = struct.unpack("<Q", data[nl + 1:nl + 9])
                print(line.decode() + "=" + repr(data[nl + 9:nl + 9 + n].decode()))
                i = nl + 9 + n + 1
        print("--")
    else:
        print(data.decode())
    sys.stdout.flush()
