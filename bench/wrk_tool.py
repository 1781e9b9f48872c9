"""Where wrk is, installing Debian's `wrk` package with apt-get if it is missing (never a downloaded binary);
shared by bench/pages_bench.py and bench/webhook_bench.py."""

from __future__ import annotations

import os
import shutil
import subprocess


def wrk_path() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        raise SystemExit(
            "wrk is missing and cannot be installed here (needs root and apt-get): apt-get install wrk"
        )
    print("wrk missing: installing Debian's wrk package", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "wrk"]
    if subprocess.run(install, env=env, capture_output=True, check=False).returncode != 0:
        subprocess.run(["apt-get", "update", "-qq"], env=env, capture_output=True, check=False)
        subprocess.run(install, env=env, capture_output=True, check=True)
    found = shutil.which("wrk")
    if not found:
        raise SystemExit("apt-get install wrk did not provide wrk")
    return found
