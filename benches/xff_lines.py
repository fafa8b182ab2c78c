#!/usr/bin/env python3
"""Reference for the xff-scan benchmark: the old line-by-line approach.

Reads a capture as text, line by line, and counts lines that start with
"X-Forwarded-For: <ip>" in exact case, comparing only the first address,
IPv4 only - what the script xff-scan replaces did. It cannot say which
packet or connection a line came from.

usage: python3 benches/xff_lines.py <ip> <capture>
"""
import sys


def main() -> int:
    ip, path = sys.argv[1], sys.argv[2]
    prefix = b"X-Forwarded-For: "
    want = ip.encode()
    count = 0
    with open(path, "rb") as f:
        for line in f:
            if line.startswith(prefix):
                first = line[len(prefix):].split(b",")[0].strip()
                if first == want:
                    count += 1
    print(count)
    return 0 if count else 1


if __name__ == "__main__":
    sys.exit(main())
