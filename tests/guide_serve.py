"""Runs one `serve` command of the README's guide as a press officer would, then stops it.

Usage: ``python -m tests.guide_serve [--loopback-up] COMMAND PATH...``. Starts ``COMMAND`` with
bash in the current folder and its own process group (as a terminal does), waits for the preview
to answer on the address the guide names, fetches each PATH, presses Ctrl-C (SIGINT to the
group) and prints a JSON report: each page's status and text, the exit status and the output.
With ``--loopback-up`` it first brings up the loopback interface, for a run inside a fresh
network namespace (``unshare -rn``), where port 8000 is free whatever else the machine runs.
"""

from __future__ import annotations

import fcntl
import json
import os
import signal
import socket
import struct
import subprocess
import sys
import time
import urllib.error
import urllib.request

ADDRESS = "http://127.0.0.1:8000"
TIMEOUT = 90.0
SIOCGIFFLAGS, SIOCSIFFLAGS, IFF_UP = 0x8913, 0x8914, 0x1


def loopback_up() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        request = struct.pack("16sh", b"lo", 0)
        flags = struct.unpack("16sh", fcntl.ioctl(sock, SIOCGIFFLAGS, request))[1]
        fcntl.ioctl(sock, SIOCSIFFLAGS, struct.pack("16sh", b"lo", flags | IFF_UP))


def fetch(path: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(ADDRESS + path, timeout=TIMEOUT) as response:
            return response.status, response.read().decode("utf-8")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8", "replace")


def main(argv: list[str]) -> int:
    if argv and argv[0] == "--loopback-up":
        loopback_up()
        argv = argv[1:]
    command, paths = argv[0], argv[1:]
    process = subprocess.Popen(
        ["bash", "-c", command],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    pages: dict[str, tuple[int, str]] = {}
    deadline = time.monotonic() + TIMEOUT
    try:
        while time.monotonic() < deadline and process.poll() is None:
            try:
                pages["/"] = fetch("/")
                break
            except OSError:
                time.sleep(0.2)
        for path in paths:
            if process.poll() is None:
                pages[path] = fetch(path)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGINT)  # Ctrl-C, as the guide says
        try:
            output, _ = process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            output, _ = process.communicate()
    json.dump({"pages": pages, "status": process.returncode, "output": output}, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
