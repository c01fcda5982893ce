#!/usr/bin/env python3
"""Check Terraform HCL against the AWS provider schema in aws_provider_schema.json.

Usage: python tf_schema_check.py [--aws-major 5|6] SCHEMA.json FILE.tf [FILE.tf ...]

Every `resource`, `data` and `provider "aws"` block is checked: the resource or data source type
must be in the schema, and every argument and nested block name is checked recursively (an
argument written as a block or a block written as `name = ...` is a problem, except where the
provider accepts both, such as aws_security_group `ingress`/`egress` and aws_route_table
`route`). Also reported: missing Required arguments/blocks, a MaxItems=1 block given twice, and
`x = [{...}]` attribute syntax that omits attributes (Terraform needs them all there).
Terraform meta-arguments (count, for_each, depends_on, provider, lifecycle, provisioner,
connection, dynamic blocks) are accepted everywhere they are valid. `terraform`, `variable`,
`output`, `locals`, `module` and other top-level blocks are ignored, and so are resources and data
sources of other providers (types not starting with `aws_`): they are listed on a `skipped` line.

The schema describes hashicorp/aws v5 and carries the v6 differences in `v6_delta`; the major
version is taken from --aws-major, else from `required_providers { aws = { version = ... } }`
in the files, else 5.

Output: one line per problem, `FILE: resource TYPE.LABEL: message`, then
`checked N blocks, M arguments: K problems` (N = resource/data/provider blocks, M = argument
names checked at any depth). Exit 0 when there are no problems, 1 when there are, 2 on a usage,
schema or parse error.
"""

from __future__ import annotations

import copy
import difflib
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

try:
    import hcl2
except ImportError:  # pragma: no cover - reported as a usage error
    hcl2 = None

IGNORED_TOP_LEVEL = {"terraform", "variable", "output", "locals", "module", "moved", "import", "removed", "check"}


# --------------------------------------------------------------------------- schema


def _empty_node() -> dict[str, Any]:
    return {"arguments": [], "blocks": {}}


def _apply_v6_delta(schema: dict[str, Any]) -> dict[str, Any]:
    """Returns a copy of the schema turned into the v6 one, and records per-version hints."""
    s = copy.deepcopy(schema)
    delta = s.get("v6_delta", {})
    new_blocks = delta.get("new_blocks", {})

    def walk(node: dict[str, Any], parts: list[str]) -> dict[str, Any] | None:
        for p in parts:
            node = node.get("blocks", {}).get(p)
            if node is None:
                return None
        return node

    def apply(root: dict[str, Any], type_name: str, d: dict[str, Any]) -> None:
        added = sorted(d.get("added", []), key=lambda p: (p.count("."), not p.endswith("{}")))
        for path in added:
            is_block = path.endswith("{}")
            parts = (path[:-2] if is_block else path).split(".")
            parent = walk(root, parts[:-1])
            if parent is None:
                continue
            if is_block:
                node = _empty_node()
                node.update(new_blocks.get(f"{type_name}.{'.'.join(parts)}", {}))
                parent.setdefault("blocks", {})[parts[-1]] = node
            elif parts[-1] not in parent["arguments"]:
                parent["arguments"].append(parts[-1])
        for path in d.get("removed", []):
            is_block = path.endswith("{}")
            parts = (path[:-2] if is_block else path).split(".")
            parent = walk(root, parts[:-1])
            if parent is None:
                continue
            if is_block:
                parent.get("blocks", {}).pop(parts[-1], None)
            elif parts[-1] in parent["arguments"]:
                parent["arguments"].remove(parts[-1])

    for section in ("resources", "data_sources"):
        for type_name, d in delta.get(section, {}).items():
            if type_name in s[section]:
                apply(s[section][type_name], type_name, d)
    apply(s["provider"], "provider", delta.get("provider", {}))
    for path, required in delta.get("required_changes", {}).items():
        first, *rest = path.split(".")
        root = s["provider"] if first == "provider" else s["resources"].get(first) or s["data_sources"].get(first)
        node = walk(root, rest) if root else None
        if node is not None:
            node["required"] = required
    s["provider_version"] = delta.get("provider_version", "6")
    return s


def _version_hints(schema: dict[str, Any], major: int) -> dict[tuple[str, str], str]:
    """(type or 'provider', dotted path) -> hint for names valid only in the other major version."""
    hints: dict[tuple[str, str], str] = {}
    delta = schema.get("v6_delta", {})
    if major == 5:
        key, text = "added", "only in hashicorp/aws v6; this configuration targets v5"
    else:
        key, text = "removed", "removed in hashicorp/aws v6"
    for section in ("resources", "data_sources"):
        for type_name, d in delta.get(section, {}).items():
            for path in d.get(key, []):
                hints[(type_name, path.removesuffix("{}"))] = text
    for path in delta.get("provider", {}).get(key, []):
        hints[("provider", path.removesuffix("{}"))] = text
    return hints


def _detect_major(docs: list[dict[str, Any]]) -> int | None:
    for doc in docs:
        for tf in doc.get("terraform", []) or []:
            if not isinstance(tf, dict):
                continue
            for rp in tf.get("required_providers", []) or []:
                if not isinstance(rp, dict):
                    continue
                aws = rp.get("aws")
                version = aws.get("version") if isinstance(aws, dict) else aws
                if isinstance(version, str):
                    m = re.search(r"(\d+)", version)
                    if m:
                        return int(m.group(1))
    return None


# --------------------------------------------------------------------------- HCL shapes


def _is_block_elem(e: Any) -> bool:
    return isinstance(e, dict) and e.get("__is_block__") is True


def _is_labeled_elem(e: Any) -> bool:
    """`name "label" { ... }` comes out as {"label": {..., "__is_block__": true}}."""
    return (
        isinstance(e, dict)
        and not e.get("__is_block__")
        and len(e) > 0
        and all(_is_block_elem(v) for k, v in e.items() if not k.startswith("__"))
    )


def _is_block_list(v: Any) -> bool:
    return isinstance(v, list) and len(v) > 0 and all(_is_block_elem(e) or _is_labeled_elem(e) for e in v)


def _labeled_bodies(v: list[Any]) -> list[tuple[str | None, dict[str, Any]]]:
    out: list[tuple[str | None, dict[str, Any]]] = []
    for e in v:
        if _is_block_elem(e):
            out.append((None, e))
        else:
            for label, body in e.items():
                if not label.startswith("__"):
                    out.append((label, body))
    return out


def _keys(body: dict[str, Any]) -> list[str]:
    return [k for k in body if not k.startswith("__")]


# --------------------------------------------------------------------------- checker


@dataclass
class Context:
    file: str
    what: str  # "resource aws_vpc.main"
    type_name: str  # "aws_vpc" or "provider"
    meta_args: list[str]
    meta_blocks: dict[str, Any]
    problems: list[str] = field(default_factory=list)

    def report(self, msg: str) -> None:
        self.problems.append(f"{self.file}: {self.what}: {msg}")


class Checker:
    def __init__(self, schema: dict[str, Any], major: int):
        self.schema = schema
        self.major = major
        self.hints = _version_hints(schema, major)
        self.arguments_checked = 0
        self.blocks_checked = 0
        self.skipped_other: set[str] = set()

    # -- helpers
    def _where_else(self, type_node: dict[str, Any], name: str, here: str) -> str | None:
        """Dotted path of another block in the same type where `name` is valid."""
        found: list[str] = []

        def walk(node: dict[str, Any], path: str) -> None:
            if path != here and (name in node.get("arguments", []) or name in node.get("blocks", {})):
                found.append(path)
            for k, child in node.get("blocks", {}).items():
                walk(child, f"{path}.{k}" if path else k)

        walk(type_node, "")
        if not found:
            return None
        found.sort(key=lambda p: (p.count("."), p))
        return found[0] or "the top level"

    def _unknown(self, ctx: Context, type_node: dict[str, Any], node: dict[str, Any], path: str, name: str,
                 as_block: bool, extra: list[str]) -> None:
        kind = "block" if as_block else "argument"
        where = f" in `{path}`" if path else ""
        candidates = list(node.get("arguments", [])) + list(node.get("blocks", {})) + extra
        msg = f"unknown {kind} `{name}`{where}"
        hint = self.hints.get((ctx.type_name, f"{path}.{name}" if path else name))
        if hint:
            msg += f" ({hint})"
        else:
            close = difflib.get_close_matches(name, candidates, n=1, cutoff=0.6)
            if close:
                msg += f" (did you mean `{close[0]}`?)"
            else:
                other = self._where_else(type_node, name, path)
                if other:
                    msg += f" (`{name}` belongs in `{other}`)" if other != "the top level" else \
                        f" (`{name}` belongs at the top level of the {ctx.what.split()[0]})"
        ctx.report(msg)

    # -- body checks
    def check_body(self, ctx: Context, type_node: dict[str, Any], node: dict[str, Any], body: dict[str, Any],
                   path: str, top: bool) -> None:
        arguments = set(node.get("arguments", []))
        blocks: dict[str, Any] = node.get("blocks", {})
        meta_args = ctx.meta_args if top else []
        meta_blocks = ctx.meta_blocks if top else {}
        present: set[str] = set()
        where = f" in `{path}`" if path else ""

        for key in _keys(body):
            value = body[key]
            as_block = _is_block_list(value)
            if key == "dynamic" and as_block:
                for label, dyn in _labeled_bodies(value):
                    self._check_dynamic(ctx, type_node, node, label, dyn, path)
                    if label:
                        present.add(label)
                continue
            present.add(key)
            if key in meta_args and not as_block:
                self.arguments_checked += 1
                continue
            if key in meta_blocks and as_block:
                self._check_meta_block(ctx, key, meta_blocks[key], value)
                continue
            if key in blocks:
                child = blocks[key]
                if as_block:
                    bodies = _labeled_bodies(value)
                    if child.get("max_items_1") and len(bodies) > 1:
                        ctx.report(f"block `{key}`{where} may appear at most once (found {len(bodies)})")
                    sub = f"{path}.{key}" if path else key
                    for _, b in bodies:
                        self.check_body(ctx, type_node, child, b, sub, top=False)
                elif key in arguments or child.get("attribute_syntax_allowed"):
                    self.arguments_checked += 1
                    self._check_attribute_objects(ctx, type_node, child, value, f"{path}.{key}" if path else key)
                else:
                    self.arguments_checked += 1
                    ctx.report(f"`{key}`{where} is a block: write `{key} {{ ... }}`, not `{key} = ...`")
                continue
            if key in arguments:
                self.arguments_checked += 1
                if as_block:
                    ctx.report(f"`{key}`{where} is an argument, not a block: write `{key} = ...`")
                continue
            if not as_block:
                self.arguments_checked += 1
            self._unknown(ctx, type_node, node, path, key, as_block, list(meta_args) + list(meta_blocks))

        for req in node.get("required", []):
            if req not in present:
                kind = "block" if req in blocks and req not in arguments else "argument"
                ctx.report(f"missing required {kind} `{req}`{where}")

    def _check_attribute_objects(self, ctx: Context, type_node: dict[str, Any], node: dict[str, Any], value: Any,
                                 path: str) -> None:
        """`ingress = [{...}, ...]`: attribute syntax for a list(object) attribute. Every attribute of the
        object type must be given (null for unset); unknown keys are errors. Expressions are not checked."""
        if not isinstance(value, list):
            return
        names = set(node.get("arguments", [])) | set(node.get("blocks", {}))
        for elem in value:
            if not isinstance(elem, dict) or elem.get("__is_block__"):
                continue
            keys = set(_keys(elem))
            for k in sorted(keys - names):
                self.arguments_checked += 1
                self._unknown(ctx, type_node, node, path, k, False, [])
            self.arguments_checked += len(keys & names)
            missing = sorted(names - keys)
            if missing:
                ctx.report(f"`{path} = [{{...}}]` attribute syntax needs every attribute; missing "
                           + ", ".join(f"`{m}`" for m in missing) + " (set unused ones to null, or use blocks)")

    def _check_dynamic(self, ctx: Context, type_node: dict[str, Any], node: dict[str, Any], label: str | None,
                       dyn: dict[str, Any], path: str) -> None:
        where = f" in `{path}`" if path else ""
        if label is None:
            ctx.report(f"`dynamic` block{where} needs a label naming the block it generates")
            return
        blocks = node.get("blocks", {})
        if label not in blocks:
            if label in node.get("arguments", []):
                ctx.report(f"dynamic `{label}`{where}: `{label}` is an argument, not a block")
            else:
                self._unknown(ctx, type_node, node, path, label, True, [])
            return
        allowed = {"for_each", "iterator", "labels", "content"}
        for k in _keys(dyn):
            if k not in allowed:
                close = difflib.get_close_matches(k, sorted(allowed), n=1, cutoff=0.6)
                ctx.report(f"dynamic `{label}`{where}: unknown argument `{k}`"
                           + (f" (did you mean `{close[0]}`?)" if close else ""))
            elif k != "content":
                self.arguments_checked += 1
        if "for_each" not in dyn:
            ctx.report(f"dynamic `{label}`{where}: missing required argument `for_each`")
        content = dyn.get("content")
        if not _is_block_list(content):
            ctx.report(f"dynamic `{label}`{where}: missing `content {{ ... }}` block")
            return
        sub = f"{path}.{label}" if path else label
        for _, b in _labeled_bodies(content):
            self.check_body(ctx, type_node, blocks[label], b, sub, top=False)

    def _check_meta_block(self, ctx: Context, name: str, spec: dict[str, Any], value: list[Any]) -> None:
        bodies = _labeled_bodies(value)
        if spec.get("max_items_1") and len(bodies) > 1:
            ctx.report(f"block `{name}` may appear at most once (found {len(bodies)})")
        for label, body in bodies:
            if spec.get("labels") and label is None:
                ctx.report(f"`{name}` block needs a label")
            meta_ctx = Context(ctx.file, ctx.what, f"meta:{name}", [], {})
            self.check_body(meta_ctx, spec, spec, body, name, top=False)
            ctx.problems.extend(meta_ctx.problems)

    # -- top level
    def check_document(self, file: str, doc: dict[str, Any]) -> list[str]:
        problems: list[str] = []
        s = self.schema
        for section, kind, table in (("resource", "resource", s["resources"]), ("data", "data", s["data_sources"])):
            for entry in doc.get(section, []) or []:
                for type_name, labeled in entry.items():
                    if type_name.startswith("__") or not isinstance(labeled, dict):
                        continue
                    for label, body in labeled.items():
                        if label.startswith("__") or not isinstance(body, dict):
                            continue
                        if not type_name.startswith("aws_"):
                            # Another provider's block (e.g. digitalocean_droplet): this schema
                            # knows only hashicorp/aws, so it is skipped and reported, not checked.
                            self.skipped_other.add(type_name)
                            continue
                        self.blocks_checked += 1
                        what = f"{kind} {type_name}.{label}"
                        node = table.get(type_name)
                        if node is None:
                            close = difflib.get_close_matches(type_name, list(table), n=1, cutoff=0.6)
                            noun = "resource type" if kind == "resource" else "data source type"
                            problems.append(f"{file}: {what}: unknown {noun} `{type_name}`"
                                            + (f" (did you mean `{close[0]}`?)" if close else
                                               " (not in the schema: add it to aws_provider_schema.json if it is real)"))
                            continue
                        meta_blocks = s["meta_blocks"] if kind == "resource" else s["data_meta_blocks"]
                        ctx = Context(file, what, type_name, s["meta_arguments"], meta_blocks)
                        self.check_body(ctx, node, node, body, "", top=True)
                        problems.extend(ctx.problems)
        for entry in doc.get("provider", []) or []:
            for name, body in entry.items():
                if name.startswith("__") or not isinstance(body, dict) or name != "aws":
                    continue
                self.blocks_checked += 1
                ctx = Context(file, f"provider {name}", "provider", s["provider_meta_arguments"], {})
                self.check_body(ctx, s["provider"], s["provider"], body, "", top=True)
                problems.extend(ctx.problems)
        return problems


# --------------------------------------------------------------------------- main


def _parse(text: str) -> dict[str, Any]:
    return hcl2.loads(
        text,
        serialization_options=hcl2.SerializationOptions(with_comments=False, explicit_blocks=True,
                                                        strip_string_quotes=True),
    )


def main(argv: list[str]) -> int:
    args = list(argv)
    major: int | None = None
    if args[:1] == ["--aws-major"] and len(args) >= 2:
        if args[1] not in ("5", "6"):
            print("--aws-major must be 5 or 6", file=sys.stderr)
            return 2
        major = int(args[1])
        args = args[2:]
    if len(args) < 2 or args[0] in ("-h", "--help"):
        print("usage: tf_schema_check.py [--aws-major 5|6] SCHEMA.json FILE.tf [FILE.tf ...]", file=sys.stderr)
        return 2
    if hcl2 is None:
        print("python-hcl2 is not installed in this interpreter", file=sys.stderr)
        return 2
    try:
        schema = json.loads(Path(args[0]).read_text())
        for key in ("resources", "data_sources", "provider", "meta_arguments", "meta_blocks"):
            schema[key]  # noqa: B018 - presence check
        schema.setdefault("data_meta_blocks", {"lifecycle": schema["meta_blocks"]["lifecycle"]})
        schema.setdefault("provider_meta_arguments", ["alias", "version"])
    except (OSError, ValueError, KeyError) as e:
        print(f"{args[0]}: cannot load schema: {e!r}", file=sys.stderr)
        return 2

    docs: list[tuple[str, dict[str, Any]]] = []
    parse_failed = False
    for f in args[1:]:
        try:
            docs.append((f, _parse(Path(f).read_text())))
        except Exception as e:  # noqa: BLE001 - any parser failure is a parse error
            print(f"{f}: parse error: {type(e).__name__}: {e}", file=sys.stderr)
            parse_failed = True

    if major is None:
        major = _detect_major([d for _, d in docs]) or 5
    if major >= 6:
        major = 6
        schema = _apply_v6_delta(schema)
    else:
        major = 5

    checker = Checker(schema, major)
    problems: list[str] = []
    for f, doc in docs:
        problems.extend(checker.check_document(f, doc))
    for p in problems:
        print(p)
    if checker.skipped_other:
        print(f"skipped (other providers, not in this AWS schema): {', '.join(sorted(checker.skipped_other))}")
    print(f"checked {checker.blocks_checked} blocks, {checker.arguments_checked} arguments: "
          f"{len(problems)} problems")
    if parse_failed:
        return 2
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
