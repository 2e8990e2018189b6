"""Real nginx and squid, run by the tests from a temporary folder (make conformance).

Each server gets its configuration from a template in ``scripts/conformance/`` (``@NAME@``
placeholders), a free port on 127.0.0.1, its own logs, and is stopped (and waited for) at the
end. A binary that is missing is a skip outside CI and a failure in CI (``CI=true``):
``scripts/conformance/install-packages.sh`` installs them, ``make conformance`` runs it first.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import pytest
from _toolkit import wait_until

TEMPLATES = Path(__file__).resolve().parents[2] / "scripts" / "conformance"
#: The API's name as the client sees it through the proxy: only squid resolves it (to 127.0.0.1).
API_HOSTNAME = "api.conformance.test"
#: nginx closes a keep-alive connection idle this long (s), or after this many requests.
KEEPALIVE_TIMEOUT = 1
KEEPALIVE_REQUESTS = 5
#: nginx's HTTP/2 port ends a connection (GOAWAY) after this many streams, or idle as above.
H2_KEEPALIVE_REQUESTS = 50
SQUID_AUTH_HELPERS = ("/usr/lib/squid/basic_ncsa_auth", "/usr/lib/squid3/basic_ncsa_auth")
PROXY_USER = "hospital"
#: A throwaway proxy's password, with what a URL must percent-encode (and a non-ASCII letter).
PROXY_PASSWORD = "p@ss:w/rd%é"


def require(binary: str) -> str:
    """The path of ``binary`` (looked up in the sbin folders too); a skip or, in CI, a failure."""
    path = shutil.which(binary) or shutil.which(binary, path="/usr/sbin:/sbin")
    if path is not None:
        return path
    message = (
        f"{binary} is not installed: `make conformance` installs it (as root, with apt-get), "
        f"or install it yourself: apt-get install nginx squid openssl"
    )
    if os.environ.get("CI") == "true":
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def free_port() -> int:
    """A port nothing listens on now (the server binds it right after)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def fill(template: str, target: Path, **values: object) -> None:
    """Write ``scripts/conformance/<template>`` to ``target`` with each ``@NAME@`` replaced."""
    text = (TEMPLATES / template).read_text()
    for name, value in values.items():
        text = text.replace(f"@{name}@", str(value))
    left = re.findall(r"@[A-Z_]+@", text)
    assert not left, f"{template}: {left} not filled in"
    target.write_text(text)


class LogTail:
    """The lines a log file gained since the last :meth:`mark`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._offset = 0

    def mark(self) -> None:
        """Forget what was logged so far."""
        self._offset = self.path.stat().st_size if self.path.exists() else 0

    def lines(self) -> list[str]:
        """Every line logged since the mark."""
        if not self.path.exists():
            return []
        with self.path.open("rb") as log:
            log.seek(self._offset)
            return log.read().decode("utf-8", "replace").splitlines()


@contextmanager
def running(command: list[str], port: int, folder: Path, name: str) -> Iterator[None]:
    """Run ``command`` until the block ends; it must be listening on ``port`` within 20 s."""
    output = (folder / f"{name}.out").open("wb")
    process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 20
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited at start:\n{_logs(folder)}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    message = f"{name} is not listening after 20 s:\n{_logs(folder)}"
                    raise RuntimeError(message) from None
                time.sleep(0.05)
        yield
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        output.close()


def _logs(folder: Path) -> str:
    parts = []
    for log in sorted(folder.glob("*")):
        if log.suffix in (".log", ".out") and log.is_file():
            parts.append(f"--- {log.name}\n{log.read_text(errors='replace')[-4000:]}")
    return "\n".join(parts)


def scratch_folder(name: str) -> Path:
    """A fresh temporary folder that a server dropping root privileges can use."""
    path = Path(tempfile.mkdtemp(prefix=f"legithealth-{name}-"))
    path.chmod(0o755)
    return path


#: nginx's access log line (``nginx.conf.template``): connection number, request number on it,
#: the client's port, method, status, gzip ratio ("-": not gzipped), Transfer-Encoding, nginx's
#: port, protocol ("HTTP/1.1", "HTTP/2.0").
NGINX_LINE = re.compile(
    r"^(\d+) (\d+) (\d+) ([A-Z]+) (\d{3}) gzip=(\S+) te=(\S+) (\d+) (HTTP/[\d.]+)$"
)


MARK_REQUEST = b"GET /conformance-mark HTTP/1.1\r\nHost: mark\r\nConnection: close\r\n\r\n"


class Nginx:
    """nginx on 127.0.0.1:``port``, TLS with ``certificate`` (a PEM of key and chain), in front
    of the plain-HTTP server on ``upstream_port`` (see ``nginx.conf.template``); HTTP/2 (ALPN h2)
    on ``h2_port``."""

    def __init__(self, binary: str, upstream_port: int, certificate: bytes) -> None:
        self.binary = binary
        self.upstream_port = upstream_port
        self.certificate = certificate
        self.dir = scratch_folder("nginx")
        self.port = 0
        self.h2_port = 0
        self.access = LogTail(self.dir / "access.log")
        self._fence = 0

    def mark(self, ca_bundle: Path) -> None:
        """Start a test: :meth:`rows` gives only what connections opened from now on served."""
        self.access.mark()
        context = ssl.create_default_context(cafile=str(ca_bundle))
        with socket.create_connection(("127.0.0.1", self.port), timeout=10) as raw:
            with context.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
                tls.sendall(
                    b"GET /conformance-mark HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                )
                while tls.recv(4096):
                    pass
        wait_until(lambda: self._marks() != [], "nginx's log of the mark")
        self._fence = self._marks()[-1]

    def _marks(self) -> list[int]:
        return [int(line.split()[0]) for line in self.access.lines() if " GET 204 " in line]

    def rows(self) -> list[tuple[str, ...]]:
        """The access log lines of connections opened since :meth:`mark`, parsed (NGINX_LINE)."""
        rows = []
        for line in self.access.lines():
            match = NGINX_LINE.match(line)
            assert match is not None, f"nginx's access log: {line!r}"
            if int(match[1]) > self._fence:
                rows.append(match.groups())
        return rows

    @contextmanager
    def run(self) -> Iterator[Nginx]:
        """Serve until the block ends, then stop and remove the folder."""
        try:
            (self.dir / "server.pem").write_bytes(self.certificate)
            (self.dir / "server.pem").chmod(0o600)
            self.port, self.h2_port = free_port(), free_port()
            fill("proxy.conf.template", self.dir / "proxy.conf")
            fill(
                "nginx.conf.template",
                self.dir / "nginx.conf",
                DIR=self.dir,
                PORT=self.port,
                H2_PORT=self.h2_port,
                H2_KEEPALIVE_REQUESTS=H2_KEEPALIVE_REQUESTS,
                UPSTREAM_PORT=self.upstream_port,
                HOSTNAME=API_HOSTNAME,
                KEEPALIVE_TIMEOUT=KEEPALIVE_TIMEOUT,
                KEEPALIVE_REQUESTS=KEEPALIVE_REQUESTS,
            )
            command = [self.binary, "-p", f"{self.dir}/", "-c", str(self.dir / "nginx.conf")]
            command += ["-e", str(self.dir / "error.log"), "-g", "daemon off;"]
            with running(command, self.port, self.dir, "nginx"):
                yield self
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)


class Squid:
    """squid on 127.0.0.1:``port`` with basic auth, allowing CONNECT only to ``API_HOSTNAME``
    on ``api_ports``, which its own hosts file resolves to 127.0.0.1 (``squid.conf.template``)."""

    def __init__(self, binary: str, *api_ports: int) -> None:
        self.binary = binary
        self.api_ports = api_ports
        self.dir = scratch_folder("squid")
        self.port = 0
        self.access = LogTail(self.dir / "access.log")

    @contextmanager
    def run(self) -> Iterator[Squid]:
        """Serve until the block ends, then stop and remove the folder."""
        try:
            helper = next((h for h in SQUID_AUTH_HELPERS if os.path.exists(h)), None)
            if helper is None:
                require("basic_ncsa_auth")  # a skip or, in CI, a failure
            (self.dir / "hosts").write_text(f"127.0.0.1 {API_HOSTNAME}\n")
            (self.dir / "passwd").write_text(f"{PROXY_USER}:{_apr1(PROXY_PASSWORD)}\n")
            self.port = free_port()
            fill(
                "squid.conf.template",
                self.dir / "squid.conf",
                DIR=self.dir,
                PORT=self.port,
                HOSTNAME=API_HOSTNAME,
                API_PORTS=" ".join(map(str, self.api_ports)),
                AUTH_HELPER=helper,
            )
            if os.geteuid() == 0:  # squid drops to its own user ("proxy" on Debian)
                shutil.chown(self.dir, user="proxy")
            command = [self.binary, "-N", "-f", str(self.dir / "squid.conf")]
            with running(command, self.port, self.dir, "squid"):
                yield self
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)

    def proxy_url(self, user: str = PROXY_USER, password: str = PROXY_PASSWORD) -> str:
        """``http://user:password@127.0.0.1:port`` (percent-encoded): what ``HTTPS_PROXY`` names."""
        credentials = f"{quote(user, safe='')}:{quote(password, safe='')}"
        return f"http://{credentials}@127.0.0.1:{self.port}"


def _apr1(password: str) -> str:
    """An htpasswd hash of ``password`` (Apache's MD5), made by ``openssl passwd``."""
    openssl = require("openssl")
    done = subprocess.run(
        [openssl, "passwd", "-apr1", "-stdin"],
        input=password,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()
