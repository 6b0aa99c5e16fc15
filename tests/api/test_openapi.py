"""docs/openapi.yaml is the contract as implemented: every route the server registers is in it,
and every operation in it is routed (with --sandbox, so the sandbox routes count too). The
routes come from `connectd routes`, which prints the router's own table."""

import os

import yaml

from conftest import REPO, run_cli

DOC = os.path.join(REPO, "docs", "openapi.yaml")
METHODS = ("get", "post", "put", "patch", "delete", "options")


def documented():
    with open(DOC, encoding="utf-8") as f:
        doc = yaml.safe_load(f)
    return doc, {(m.upper(), path) for path, item in doc["paths"].items() for m in item if m in METHODS}


def routed(*flags):
    r = run_cli("routes", *flags)
    assert r.returncode == 0, r.stderr
    out = set()
    for line in r.stdout.splitlines():
        method, path, mode = line.split()
        assert mode in ("none", "client", "user"), line
        out.add((method, path))
    return out


def test_every_route_is_documented_and_every_documented_operation_is_routed():
    _, ops = documented()
    routes = routed("--sandbox")
    assert sorted(routes - ops) == [], "routed but not in docs/openapi.yaml"
    assert sorted(ops - routes) == [], "in docs/openapi.yaml but not routed"


def test_sandbox_routes_exist_only_with_the_sandbox():
    plain, sandbox = routed(), routed("--sandbox")
    assert plain < sandbox
    assert all("/sandbox/" in path for _, path in sandbox - plain)


def test_every_operation_has_a_summary_and_responses_and_every_reference_resolves():
    doc, _ = documented()
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if method in METHODS:
                assert op.get("summary"), (method, path)
                assert op.get("responses"), (method, path)

    def walk(node):
        if isinstance(node, dict):
            ref = node.get("$ref")
            if ref is not None:
                assert ref.startswith("#/"), ref
                target = doc
                for part in ref[2:].split("/"):
                    assert part in target, "unresolved $ref %s" % ref
                    target = target[part]
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(doc)


def test_capi_operations_declare_bearer_security_and_their_path_parameters():
    doc, _ = documented()
    for path, item in doc["paths"].items():
        if not path.startswith("/capi/"):
            continue
        for method, op in item.items():
            if method not in METHODS:
                continue
            assert op.get("security") == [{"bearer": []}], (method, path)
            names = set()
            for p in op.get("parameters", []):
                if "$ref" in p:
                    p = doc["components"]["parameters"][p["$ref"].rsplit("/", 1)[1]]
                if p["in"] == "path":
                    names.add(p["name"])
            wanted = {seg[1:-1] for seg in path.split("/") if seg.startswith("{")}
            assert names == wanted, (method, path, names, wanted)
