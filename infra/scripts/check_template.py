#!/usr/bin/env python3
"""Checks that keep infra/template.yaml, the code and the docs from drifting apart (run by tests/run.sh).

  check_template.py functions        every AWS::Serverless::Function's CodeUri is a package folder of the
                                     workspace whose package has the binary its BuildProperties name, built
                                     with the rust-cargolambda method on provided.al2023 (what `sam build`
                                     needs to find it)
  check_template.py parameters       docs/deploy.md's parameter table lists exactly the template's
                                     parameters, each with the template's default
  check_template.py built DIR        DIR (a `sam build` output, e.g. infra/.aws-sam/build) holds a bootstrap
                                     for every function, an arm64 ELF executable, and its template.yaml is
                                     infra/template.yaml but for what `sam build` rewrites (CodeUri,
                                     SamResourceId): the tested stack and the deployed stack are one

Each failure names the function, parameter or file and what is wrong; the exit code is 1 when any check fails.
"""

import json
import os
import re
import sys
import tomllib

INFRA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
ROOT = os.path.normpath(os.path.join(INFRA, ".."))
TEMPLATE = os.path.join(INFRA, "template.yaml")
DEPLOY_DOC = os.path.join(ROOT, "docs", "deploy.md")

# ELF header: magic, then e_machine (a little-endian u16 at offset 18); 0xB7 is AArch64.
ELF_MAGIC = b"\x7fELF"
EM_AARCH64 = 0xB7


def load(path):
    from cfnlint.decode import cfn_yaml

    return json.loads(json.dumps(cfn_yaml.load(path)))


def functions(template):
    return {
        name: resource
        for name, resource in template.get("Resources", {}).items()
        if resource.get("Type") == "AWS::Serverless::Function"
    }


def binaries_of(package_dir):
    """The binary names a package folder builds: its [[bin]] names, or the package name for src/main.rs."""
    manifest = os.path.join(package_dir, "Cargo.toml")
    with open(manifest, "rb") as f:
        cargo = tomllib.load(f)
    names = {b["name"] for b in cargo.get("bin", []) if "name" in b}
    if os.path.exists(os.path.join(package_dir, "src", "main.rs")):
        names.add(cargo["package"]["name"])
    return names


def workspace_members():
    with open(os.path.join(ROOT, "Cargo.toml"), "rb") as f:
        return {os.path.normpath(os.path.join(ROOT, m)) for m in tomllib.load(f)["workspace"]["members"]}


def check_functions(template):
    errors = []
    members = workspace_members()
    globals_ = template.get("Globals", {}).get("Function", {})
    found = functions(template)
    if not found:
        errors.append(f"{TEMPLATE}: no AWS::Serverless::Function")
    for name, resource in sorted(found.items()):
        props = resource.get("Properties", {})
        meta = resource.get("Metadata", {})
        where = f"{TEMPLATE}: {name}"
        if meta.get("BuildMethod") != "rust-cargolambda":
            errors.append(f"{where}: Metadata.BuildMethod is {meta.get('BuildMethod')!r}, expected 'rust-cargolambda'")
        binary = meta.get("BuildProperties", {}).get("Binary")
        if not binary:
            errors.append(f"{where}: Metadata.BuildProperties.Binary is missing")
            continue
        code_uri = props.get("CodeUri", globals_.get("CodeUri"))
        if not isinstance(code_uri, str):
            errors.append(f"{where}: CodeUri is missing; it must be the function's package folder")
            continue
        package_dir = os.path.normpath(os.path.join(INFRA, code_uri))
        if package_dir not in members:
            errors.append(
                f"{where}: CodeUri {code_uri!r} is not a package folder of the workspace (sam build runs "
                f"`cargo lambda build --bin {binary}` there); expected e.g. '../functions/{binary}'"
            )
            continue
        built = binaries_of(package_dir)
        if binary not in built:
            errors.append(
                f"{where}: Binary {binary!r} names no binary of the package in {code_uri} (it builds {sorted(built)})"
            )
        runtime = props.get("Runtime", globals_.get("Runtime"))
        arch = props.get("Architectures", globals_.get("Architectures"))
        if runtime != "provided.al2023" or arch != ["arm64"]:
            errors.append(f"{where}: runtime {runtime!r} on {arch!r}, expected provided.al2023 on ['arm64']")
    return errors


def documented_parameters(path=DEPLOY_DOC):
    """The rows of the `## Parameters` table: name → the default cell."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    section = re.search(r"^## Parameters\n(.*?)(?=^## )", text, re.S | re.M)
    if not section:
        raise SystemExit(f"{path}: no '## Parameters' section")
    rows = {}
    for line in section.group(1).splitlines():
        m = re.match(r"\|\s*`([A-Za-z0-9]+)`\s*\|\s*([^|]*?)\s*\|", line)
        if m:
            rows[m.group(1)] = m.group(2)
    return rows


def documented_default(cell):
    """A default cell reads `value` (optionally followed by notes such as a range), or `empty`."""
    if cell.startswith("empty"):
        return ""
    m = re.match(r"`([^`]*)`", cell)
    return m.group(1) if m else None


def check_parameters(template, doc=DEPLOY_DOC):
    errors = []
    params = template.get("Parameters", {})
    rows = documented_parameters(doc)
    for name in sorted(set(params) - set(rows)):
        errors.append(f"{doc}: parameter {name} of the template is missing from the Parameters table")
    for name in sorted(set(rows) - set(params)):
        errors.append(f"{doc}: the Parameters table lists {name}, which the template does not have")
    for name in sorted(set(params) & set(rows)):
        expected = str(params[name].get("Default", ""))
        written = documented_default(rows[name])
        if written is None:
            errors.append(f"{doc}: parameter {name}: default cell {rows[name]!r} is neither `value` nor 'empty'")
        elif written != expected:
            shown = f"`{expected}`" if expected else "empty"
            errors.append(f"{doc}: parameter {name}: documented default {rows[name]!r}, the template's is {shown}")
    return errors


def normalized_build(template):
    """A template with what `sam build` rewrites taken out: each function's CodeUri and SamResourceId."""
    template = json.loads(json.dumps(template))
    for resource in functions(template).values():
        resource.get("Properties", {}).pop("CodeUri", None)
        resource.get("Metadata", {}).pop("SamResourceId", None)
    return template


def check_built(template, build_dir):
    errors = []
    built_path = os.path.join(build_dir, "template.yaml")
    if not os.path.exists(built_path):
        return [f"{built_path}: missing: run `sam build` in infra/ first"]
    built = load(built_path)
    for name in sorted(functions(template)):
        bootstrap = os.path.join(build_dir, name, "bootstrap")
        if not os.path.exists(bootstrap):
            errors.append(f"{bootstrap}: missing: sam build made no bootstrap for {name}")
            continue
        with open(bootstrap, "rb") as f:
            head = f.read(20)
        if head[:4] != ELF_MAGIC or int.from_bytes(head[18:20], "little") != EM_AARCH64:
            errors.append(f"{bootstrap}: not an arm64 ELF executable")
        elif not os.access(bootstrap, os.X_OK):
            errors.append(f"{bootstrap}: not executable")
        else:
            size = os.path.getsize(bootstrap) / 1e6
            print(f"{name}: {bootstrap}: arm64 ELF, {size:.1f} MB")
    if normalized_build(built) != normalized_build(template):
        errors.append(
            f"{built_path} differs from {TEMPLATE} beyond CodeUri and SamResourceId: the built stack is not "
            "the tested one"
        )
    built_code = {
        name: r.get("Properties", {}).get("CodeUri") for name, r in functions(built).items()
    }
    for name, code_uri in sorted(built_code.items()):
        if code_uri != name:
            errors.append(f"{built_path}: {name}'s CodeUri is {code_uri!r}, expected its build folder {name!r}")
    return errors


def main(argv):
    if not argv or argv[0] not in ("functions", "parameters", "built") or (argv[0] == "built") != (len(argv) == 2):
        raise SystemExit(__doc__)
    template = load(TEMPLATE)
    if argv[0] == "functions":
        errors = check_functions(template)
    elif argv[0] == "parameters":
        errors = check_parameters(template)
    else:
        errors = check_built(template, argv[1])
    for error in errors:
        print(error, file=sys.stderr)
    if not errors:
        print(f"{argv[0]}: ok")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
