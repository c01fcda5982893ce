#!/usr/bin/python3
"""A container of the docker stand-in (iac-rs boot test): answers HTTP on the container's ports
with its name and image until it is stopped. A one-off command (`alembic ...`, the
`ONE_OFF` prefixes) runs to completion instead: it prints what it ran and exits 0."""
import http.server
import json
import os
import signal
import sys
import threading
import time

STATE = "/var/lib/docker-fake"
ONE_OFF = ("alembic",)

name = sys.argv[1]
path = os.path.join(STATE, "containers", name + ".json")
with open(path, encoding="utf-8") as f:
    c = json.load(f)
c["pid"] = os.getpid()
c["running"] = True
tmp = path + ".tmp"
with open(tmp, "w", encoding="utf-8") as f:
    json.dump(c, f, indent=1)
os.replace(tmp, path)


def finish(*_):
    # `docker run --rm`: the engine removes the container when it exits.
    if c.get("rm"):
        try:
            os.remove(path)
        except FileNotFoundError:
            pass
    sys.exit(0)


signal.signal(signal.SIGTERM, finish)

if any(prefix in word for word in c["command"] for prefix in ONE_OFF):
    print(f"fake container {name}: ran {' '.join(c['command'])} on {c['image']}", flush=True)
    with open("/var/log/docker-fake-oneoff.log", "a", encoding="utf-8") as f:
        f.write(json.dumps({"time": time.time(), "name": name, "image": c["image"], "command": c["command"],
                            "env": sorted(c["env"])}) + "\n")
    finish()

ports = []
command = c["command"]
if c["network"] == "host" and "-b" in command[:-1]:
    # gunicorn's bind address on the command line
    ports.append(int(command[command.index("-b") + 1].rsplit(":", 1)[1]))
elif c["network"] == "host":
    if "PORT" in c["env"]:
        ports.append(int(c["env"]["PORT"]))
    else:
        try:
            with open(os.path.join(STATE, "image-ports.json"), encoding="utf-8") as f:
                table = json.load(f)
            repo = c["image"].rsplit(":", 1)[0].split("@")[0]
            ports.extend(table.get(repo, []))
        except FileNotFoundError:
            pass
else:
    for p in c["publish"]:
        if not p.endswith("/udp"):
            ports.append(int(p.split(":")[0]))


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = f"fake container {name} ({c['image']}) {self.path}\n".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


for port in ports:
    server = http.server.ThreadingHTTPServer(("0.0.0.0", port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
print(f"fake container {name}: {c['image']} listening on {ports}", flush=True)
while True:
    time.sleep(3600)
