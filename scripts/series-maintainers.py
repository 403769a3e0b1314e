#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""series-maintainers.py BASE FINAL PATH...: print MAINTAINERS as it
stands after a patch that has brought PATH... into the tree: BASE plus
the entries FINAL adds, keeping of their F: lines only those that cover
one of PATH... (entries left with no F: line are left out)."""
import sys


def entries(text):
    """Split MAINTAINERS text into blocks separated by blank lines."""
    return text.split('\n\n')


def covers(pattern, paths):
    pattern = pattern.rstrip('/')
    return any(p == pattern or p.startswith(pattern + '/') or
               pattern.startswith(p + '/') for p in paths)


def main():
    base, final, paths = sys.argv[1], sys.argv[2], sys.argv[3:]
    base_blocks = entries(open(base).read())
    known = set(base_blocks)
    out = []
    for block in entries(open(final).read()):
        if block in known:
            out.append(block)
            continue
        lines = [line for line in block.split('\n')
                 if not line.startswith('F:\t') or covers(line[3:], paths)]
        if any(line.startswith('F:\t') for line in lines):
            out.append('\n'.join(lines))
    sys.stdout.write('\n\n'.join(out))


if __name__ == '__main__':
    main()
