"""Start N Streamlit replicas of the atlas on one read-only warehouse, plus HAProxy on 127.0.0.1 in front of them;
stop them again.

    python deploy/replicas.py start --replicas 3 --port 8600 [--warehouse data/atlas.duckdb] [--run-dir DIR]
    python deploy/replicas.py status [--run-dir DIR]
    python deploy/replicas.py stop [--run-dir DIR]

`start` snapshots the warehouse into the run folder as a read-only file (a rebuild of data/atlas.duckdb does not
change what running replicas serve), renders deploy/haproxy.cfg.tmpl, starts the replicas on free loopback ports
with the shared settings of deploy/streamlit-config.toml and one cookie secret, waits until each answers
/_stcore/health, then starts HAProxy (/usr/sbin/haproxy) and waits until the balancer answers. The pids go to
<run dir>/state.json; `stop` ends exactly those processes. The same functions are used by tests/test_deploy.py
and benchmarks/load_test.py.
"""
from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import tomllib
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
HAPROXY = os.environ.get("ATLAS_HAPROXY", shutil.which("haproxy") or "/usr/sbin/haproxy")
DEFAULT_RUN_DIR = Path(os.environ.get("ATLAS_DEPLOY_DIR", "/tmp/atlas-deploy"))
HEALTH_TIMEOUT = 120.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def streamlit_flags() -> list[str]:
    """deploy/streamlit-config.toml as `streamlit run` flags (--section.key value)."""
    cfg = tomllib.loads((DEPLOY / "streamlit-config.toml").read_text(encoding="utf-8"))
    out = []
    for section, kv in cfg.items():
        for k, v in kv.items():
            out += [f"--{section}.{k}", str(v).lower() if isinstance(v, bool) else str(v)]
    return out


def haproxy_config(lb_port: int, replica_ports: list[int], bind: str = "127.0.0.1") -> str:
    servers = "\n".join(f"    server r{i + 1} 127.0.0.1:{p} check cookie r{i + 1}"
                        for i, p in enumerate(replica_ports))
    return (DEPLOY / "haproxy.cfg.tmpl").read_text(encoding="utf-8").format(bind=bind, port=lb_port, servers=servers)


def wait_healthy(url: str, proc: subprocess.Popen | None, timeout: float = HEALTH_TIMEOUT,
                 poll: float = 0.2) -> float:
    """Seconds until `url` answers ok (checked every `poll` s); raises if `proc` exits first or on timeout.
    Also used by benchmarks/st_client.py."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        try:
            if urllib.request.urlopen(url, timeout=2).read().strip() == b"ok":
                return time.monotonic() - t0
        except OSError:
            time.sleep(poll)
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process {proc.args[0]} exited with {proc.returncode} before {url} answered")
    raise TimeoutError(f"{url} did not answer ok within {timeout:.0f} s")


@dataclass
class Deployment:
    run_dir: Path
    lb_port: int
    replica_ports: list[int]
    warehouse: Path
    procs: dict[str, subprocess.Popen] = field(default_factory=dict)  # "r1".. and "haproxy"
    pids: dict[str, int] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.lb_port}"

    def replica_url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.replica_ports[int(name[1:]) - 1]}"

    def save(self) -> None:
        (self.run_dir / "state.json").write_text(json.dumps(
            {"lb_port": self.lb_port, "replica_ports": self.replica_ports, "warehouse": str(self.warehouse),
             "pids": self.pids}, indent=2))

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        """End one process of this deployment (a replica "r2", or "haproxy") by its pid."""
        pid = self.pids.pop(name, None)
        if pid is None:
            return
        _signal(pid, sig)
        p = self.procs.pop(name, None)
        if p is not None:
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                _signal(pid, signal.SIGKILL)
                p.wait(timeout=5)
        else:
            _wait_gone(pid, 15)
        self.save()

    def stop(self) -> None:
        for name in ["haproxy", *sorted(n for n in self.pids if n != "haproxy")]:
            self.kill(name, signal.SIGTERM)

    def rss_kb(self) -> dict[str, tuple[int, int]]:
        """(current, peak) resident memory per replica, in kB (Linux /proc)."""
        out = {}
        for n, pid in self.pids.items():
            if n == "haproxy":
                continue
            vals = {}
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    k, _, v = line.partition(":")
                    if k in ("VmRSS", "VmHWM"):
                        vals[k] = int(v.split()[0])
            except OSError:
                continue
            out[n] = (vals.get("VmRSS", 0), vals.get("VmHWM", 0))
        return out


def _signal(pid: int, sig: int) -> None:
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass


def _wait_gone(pid: int, timeout: float) -> None:
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    _signal(pid, signal.SIGKILL)


def start(replicas: int, lb_port: int | None = None, warehouse: Path | None = None, run_dir: Path | None = None,
          env: dict | None = None, detach: bool = False) -> Deployment:
    """Start `replicas` Streamlit processes and HAProxy; returns when the balancer answers /_stcore/health."""
    if not (1 <= replicas <= 16):
        raise ValueError("replicas must be between 1 and 16")
    if not Path(HAPROXY).exists():
        raise FileNotFoundError(f"haproxy not found at {HAPROXY} (Debian: apt-get install haproxy)")
    run_dir = Path(run_dir or DEFAULT_RUN_DIR)
    run_dir.mkdir(parents=True, exist_ok=True)
    src = Path(warehouse or os.environ.get("ATLAS_WAREHOUSE") or ROOT / "data" / "atlas.duckdb")
    wh = run_dir / "atlas.duckdb"
    if wh.exists():
        wh.chmod(0o644)
    shutil.copyfile(src, wh)
    wh.chmod(0o444)  # one read-only warehouse for every replica
    ports = [free_port() for _ in range(replicas)]
    dep = Deployment(run_dir, lb_port or free_port(), ports, wh)
    base_env = dict(env or os.environ)
    base_env.update(ATLAS_WAREHOUSE=str(wh), ATLAS_RELEASE_CACHE=str(run_dir / "releases"),
                    STREAMLIT_SERVER_COOKIE_SECRET=base_env.get("ATLAS_COOKIE_SECRET") or secrets.token_hex(32),
                    OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    flags = streamlit_flags()
    try:
        for i, port in enumerate(ports):
            name = f"r{i + 1}"
            log = open(run_dir / f"{name}.log", "w")
            p = subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(ROOT / "streamlit_app.py"), *flags,
                                  "--server.port", str(port)], cwd=ROOT, env=base_env, stdout=log,
                                 stderr=subprocess.STDOUT, start_new_session=detach)
            log.close()
            dep.procs[name], dep.pids[name] = p, p.pid
            dep.save()
        for i, port in enumerate(ports):
            wait_healthy(f"http://127.0.0.1:{port}/_stcore/health", dep.procs[f"r{i + 1}"])
        cfg = run_dir / "haproxy.cfg"
        cfg.write_text(haproxy_config(dep.lb_port, ports))
        check = subprocess.run([HAPROXY, "-c", "-q", "-f", str(cfg)], capture_output=True, text=True, timeout=30)
        if check.returncode != 0:
            raise RuntimeError(f"haproxy rejected {cfg}: {check.stderr.strip() or check.stdout.strip()}")
        log = open(run_dir / "haproxy.log", "w")
        h = subprocess.Popen([HAPROXY, "-db", "-f", str(cfg)], stdout=log, stderr=subprocess.STDOUT,
                             start_new_session=detach)
        log.close()
        dep.procs["haproxy"], dep.pids["haproxy"] = h, h.pid
        dep.save()
        wait_healthy(f"{dep.url}/_stcore/health", h, 30)
        # the balancer answers once one replica is up: wait until every server has passed its health checks
        time.sleep(2.5)
    except BaseException:
        dep.stop()
        raise
    return dep


def load(run_dir: Path) -> Deployment:
    st = json.loads((Path(run_dir) / "state.json").read_text())
    return Deployment(Path(run_dir), st["lb_port"], st["replica_ports"], Path(st["warehouse"]),
                      pids={k: int(v) for k, v in st["pids"].items()})


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="deploy/replicas.py", description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("start")
    s.add_argument("--replicas", type=int, default=2)
    s.add_argument("--port", type=int, default=8600, help="HAProxy port on 127.0.0.1")
    s.add_argument("--warehouse", type=Path)
    s.add_argument("--run-dir", type=Path, default=DEFAULT_RUN_DIR)
    for name in ("stop", "status"):
        x = sub.add_parser(name)
        x.add_argument("--run-dir", type=Path, default=DEFAULT_RUN_DIR)
    a = ap.parse_args(argv)
    if a.cmd == "start":
        if (a.run_dir / "state.json").exists() and load(a.run_dir).pids:
            print(f"a deployment is already recorded in {a.run_dir}; stop it first", file=sys.stderr)
            return 2
        dep = start(a.replicas, a.port, a.warehouse, a.run_dir, detach=True)
        print(f"atlas on {dep.url} (HAProxy pid {dep.pids['haproxy']}) -> "
              + ", ".join(f"{n} :{p} pid {dep.pids[n]}" for n, p in zip(sorted(k for k in dep.pids if k != 'haproxy'),
                                                                        dep.replica_ports)))
        return 0
    if not (a.run_dir / "state.json").exists():
        print(f"no deployment recorded in {a.run_dir}", file=sys.stderr)
        return 1 if a.cmd == "status" else 0
    dep = load(a.run_dir)
    if a.cmd == "status":
        for n, pid in dep.pids.items():
            alive = Path(f"/proc/{pid}").exists()
            print(f"{n}: pid {pid} {'running' if alive else 'gone'}")
        return 0
    dep.stop()
    print(f"stopped the deployment in {a.run_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
