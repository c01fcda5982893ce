"""Checks compose files the way `docker compose config` would, without Docker.

    python compose_check.py compose-spec.json FILE...

1. The compose-spec JSON schema (vendored beside this script: compose-spec.json from the
   compose-spec/compose-spec repository, schema/compose-spec.json at commit
   a08f8d51631b7127ddac3d2c65537db429d0f1d0 of 2025-10-28, Apache-2.0), draft 7, read with
   PyYAML, a YAML 1.1 reader, so a value only YAML 1.2 reads as a string fails here.
2. What the schema cannot say: `depends_on` names services of the file, a named volume a service
   mounts is declared under top-level `volumes`, and every `$` is `$$` or a well-formed
   `${VAR}`, `${VAR:?message}`, `${VAR:-default}` interpolation.

Prints one line per problem and `N files, N problems`; exits 1 when there is a problem.
"""

import json
import re
import sys

import jsonschema
import yaml

INTERPOLATION = re.compile(r"\$\$|\$\{[A-Za-z_][A-Za-z0-9_]*(?:(?::?[?+-])[^}]*)?\}")


def strings(value, path):
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from strings(v, f"{path}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from strings(v, f"{path}[{i}]")


def check(doc):
    problems = []
    services = doc.get("services") or {}
    volumes = set((doc.get("volumes") or {}).keys())
    for name, service in services.items():
        deps = service.get("depends_on") or {}
        for dep in deps if isinstance(deps, (list, dict)) else []:
            if dep not in services:
                problems.append(f"services.{name}.depends_on: unknown service `{dep}`")
            elif isinstance(deps, dict) and deps[dep].get("condition") == "service_healthy" \
                    and "healthcheck" not in services[dep]:
                problems.append(f"services.{name}.depends_on.{dep}: waits for health, but `{dep}` has no healthcheck")
        for mount in service.get("volumes") or []:
            source = mount.split(":")[0] if isinstance(mount, str) else mount.get("source", "")
            if source and not source.startswith(("/", ".", "~")) and source not in volumes:
                problems.append(f"services.{name}.volumes: named volume `{source}` is not declared")
    for path, text in strings(doc, ""):
        rest = INTERPOLATION.sub("", text)
        if "$" in rest:
            problems.append(f"{path}: a `$` that is neither `$$` nor a well-formed ${{VAR}}: {text!r}")
    return problems


def main():
    with open(sys.argv[1]) as f:
        validator = jsonschema.Draft7Validator(json.load(f))
    files = sys.argv[2:]
    total = 0
    for path in files:
        with open(path) as f:
            doc = yaml.safe_load(f)
        problems = [
            f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}"
            for e in sorted(validator.iter_errors(doc), key=lambda e: list(map(str, e.absolute_path)))
        ]
        if not problems:
            problems = check(doc)
        for p in problems:
            print(f"{path}: {p}")
        total += len(problems)
    print(f"{len(files)} files, {total} problems")
    sys.exit(1 if total else 0)


if __name__ == "__main__":
    main()
