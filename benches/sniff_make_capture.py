#!/usr/bin/env python3
"""Write a pcap of N packets by repeating the frames of a real keepalived capture (v2 PASS, v2 AH,
v3 IPv4 multicast and unicast, v3 IPv6, priority 0, GARP/NA), 100 us apart.
Usage: sniff_make_capture.py SOURCE.pcap N OUT.pcap"""
import struct
import sys

src, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
data = open(src, "rb").read()
magic = data[:4]
endian = {b"\xd4\xc3\xb2\xa1": "<", b"\xa1\xb2\xc3\xd4": ">"}.get(magic)
if endian is None:
    sys.exit(f"{src}: not a microsecond pcap")
linktype = struct.unpack(endian + "I", data[20:24])[0]
frames, off = [], 24
while off + 16 <= len(data):
    _, _, incl, orig = struct.unpack(endian + "IIII", data[off:off + 16])
    frames.append(data[off + 16:off + 16 + incl])
    off += 16 + incl
with open(out, "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, linktype))
    t = 1_795_400_000 * 1_000_000
    chunk = []
    for i in range(n):
        fr = frames[i % len(frames)]
        chunk.append(struct.pack("<IIII", t // 1_000_000, t % 1_000_000, len(fr), len(fr)) + fr)
        t += 100
        if len(chunk) == 65536:
            f.write(b"".join(chunk))
            chunk = []
    f.write(b"".join(chunk))
