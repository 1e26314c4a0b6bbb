#!/usr/bin/env python3
"""split.py -- splits varint-delimited messages (stdin) into DIR/msg_NNN.bin; prints the count.
Fails on a truncated message or trailing bytes, so a wrong length prefix cannot pass."""
import sys

data, out, i, n = sys.stdin.buffer.read(), sys.argv[1], 0, 0
while i < len(data):
    length, shift = 0, 0
    while True:
        byte = data[i]
        i += 1
        length |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            break
    if i + length > len(data):
        sys.exit("split.py: message %d truncated" % n)
    open("%s/msg_%03d.bin" % (out, n), "wb").write(data[i:i + length])
    i += length
    n += 1
print(n)
