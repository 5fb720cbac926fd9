#!/usr/bin/python3
"""Where the bytes of ONNX files go: tensor data, initializer names, node names
and the rest of the nodes (docs/export.md's int8 file-size breakdown).

  tools/export/onnx_file_sizes.py MODEL.onnx [MODEL.onnx ...]

Reads the protobuf wire format directly (ModelProto.graph = 7; GraphProto
node = 1, initializer = 5; TensorProto name = 8, raw_data = 9; NodeProto
name = 3), so it needs no onnx package.
"""
import sys


def varint(b, i):
    value, shift = 0, 0
    while True:
        c = b[i]
        i += 1
        value |= (c & 0x7F) << shift
        shift += 7
        if c < 0x80:
            return value, i


def fields(b):
    """(field number, payload or None, encoded size) of each field of a message."""
    i = 0
    while i < len(b):
        start = i
        key, i = varint(b, i)
        number, wire = key >> 3, key & 7
        payload = None
        if wire == 0:
            _, i = varint(b, i)
        elif wire == 1:
            i += 8
        elif wire == 2:
            length, i = varint(b, i)
            payload = b[i:i + length]
            i += length
        elif wire == 5:
            i += 4
        else:
            raise ValueError(f"wire type {wire} at byte {start}")
        yield number, payload, i - start


for path in sys.argv[1:]:
    data = open(path, "rb").read()
    graph = next(p for n, p, _ in fields(data) if n == 7)
    sizes = {"tensor data": 0, "initializer names": 0, "initializer rest": 0, "node names": 0, "node rest": 0,
             "graph rest": 0}
    for number, payload, size in fields(graph):
        if number == 5:
            raw = sum(len(p) for n, p, _ in fields(payload) if n == 9)
            name = sum(s for n, _, s in fields(payload) if n == 8)
            sizes["tensor data"] += raw
            sizes["initializer names"] += name
            sizes["initializer rest"] += size - raw - name
        elif number == 1:
            name = sum(s for n, _, s in fields(payload) if n == 3)
            sizes["node names"] += name
            sizes["node rest"] += size - name
        else:
            sizes["graph rest"] += size
    print(f"{path}: {len(data)} bytes; " + ", ".join(f"{k} {v}" for k, v in sizes.items()))
