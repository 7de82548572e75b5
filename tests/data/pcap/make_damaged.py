#!/usr/bin/env python3
"""Write the damaged captures damaged_*.pcap from the bundled real keepalived captures.

Each file breaks the format the way real damaged or odd captures do (tcpdump's own fuzz-found
test captures have all of these); tests/sniff_damaged.rs compares what vrrpctl shows with
tcpdump 4.99 on the same files. Run from anywhere: python3 tests/data/pcap/make_damaged.py
"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def records(name):
    """(ts_sec, ts_usec, data, orig_len) of every record of a little-endian pcap file."""
    d = open(os.path.join(HERE, name), "rb").read()
    out, off = [], 24
    while off + 16 <= len(d):
        sec, usec, incl, orig = struct.unpack("<IIII", d[off:off + 16])
        out.append((sec, usec, d[off + 16:off + 16 + incl], orig))
        off += 16 + incl
    return out


def header(snaplen, linktype=1):
    return struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, snaplen, linktype)


def rec(sec, usec, data, orig=None, incl=None):
    incl = len(data) if incl is None else incl
    orig = len(data) if orig is None else orig
    return struct.pack("<IIII", sec, usec, incl, orig) + data


def write(name, blob):
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(blob)


v2 = records("keepalived_v2_pass_vrid51.pcap")[:4]
v6 = records("keepalived_v3_ipv6_vrid53.pcap")[:2]

# 1. The header's snap length (50) is smaller than some records (54-byte v2 adverts, a 90-byte
#    v6 advert): libpcap keeps the first snaplen bytes of each and goes on.
b = header(50)
for i, (s, u, data, _) in enumerate(v2[:3]):
    b += rec(s, u, data if i != 1 else data[:50], orig=len(data))
b += rec(*v6[0][:3])
write("damaged_snaplen_exceeded.pcap", b)

# 2. A capture made with a small snap length: every record is cut (incl_len < orig_len) at
#    different depths: inside the VRRP message, inside the IP header, inside Ethernet.
b = header(262144)
for (s, u, data, _), cut in zip(v2, [46, 30, 10, 54]):
    b += rec(s, u, data[:cut], orig=len(data))
b += rec(v6[0][0], v6[0][1], v6[0][2][:70], orig=len(v6[0][2]))
write("damaged_truncated_records.pcap", b)

# 3. A link type sniff does not decode (147, LINKTYPE_USER0): every record is still reported.
b = header(262144, linktype=147)
for s, u, data, _ in v2[:2]:
    b += rec(s, u, data)
write("damaged_unknown_linktype.pcap", b)

# 4. Odd record headers: incl_len > orig_len, a microsecond field of 1,500,000, then a good one.
b = header(262144)
s, u, data, _ = v2[0]
b += rec(s, u, data, orig=20)
b += rec(v2[1][0], 1_500_000, v2[1][2])
b += rec(*v2[2][:3])
write("damaged_odd_headers.pcap", b)

# 5. A good record, then one whose length is absurd (2^31: libpcap stops there), then more.
b = header(262144)
b += rec(*v2[0][:3])
b += struct.pack("<IIII", v2[1][0], v2[1][1], 0x80000000, 0x80000000) + v2[1][2]
b += rec(*v2[2][:3])
write("damaged_huge_caplen.pcap", b)

# 6. The file ends in the middle of the third record's data.
b = header(262144)
for s, u, data, _ in v2[:2]:
    b += rec(s, u, data)
b += rec(v2[2][0], v2[2][1], v2[2][2])[:16 + 20]
write("damaged_cut_short.pcap", b)
