#!/usr/bin/env python3
"""Deploys infra/template.yaml's data resources (tables, queues, the event bus, the secret) to moto server.

Tests must use the tables and queues the template defines, not copies typed by hand, so the template and the
code cannot drift. This script turns the SAM template into plain CloudFormation with aws-sam-translator,
keeps only the resource types moto can run and the tests need (functions, IAM, alarms and schedules are
dropped, and so are outputs that refer to them), and creates a stack on moto's CloudFormation.

  moto_deploy.py translate                    print the filtered CloudFormation template (JSON)
  moto_deploy.py deploy --endpoint URL NAME   create stack NAME on a running moto server, print its outputs
  moto_deploy.py serve                        run moto server on a free loopback port for a test binary:
                                              prints {"endpoint": URL}, then reads one stack name per line
                                              on stdin and answers each with a JSON line of outputs (or
                                              {"error": ...}); exits when stdin closes (the tests ended)
"""

import argparse
import json
import os
import socket
import sys

TEMPLATE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "template.yaml")

# The resource types deployed to moto: the data plane. Everything else (functions, roles, alarms,
# schedules, event source mappings) is the lead's Functions section and needs no emulation in tests.
KEPT_TYPES = {
    "AWS::DynamoDB::Table",
    "AWS::SQS::Queue",
    "AWS::Events::EventBus",
}
# Not emulated by moto's CloudFormation (AWS::SecretsManager::Secret): tests create secrets through the API.

REGION = "us-east-1"
# The translator and boto3 want a region and credentials; moto accepts any.
os.environ.setdefault("AWS_DEFAULT_REGION", REGION)
os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")


class _NoManagedPolicies:
    """The translator resolves managed policy names through IAM; the dropped functions are all that use them."""

    def load(self):
        return {}


def load_template(path=TEMPLATE):
    from cfnlint.decode import cfn_yaml

    return json.loads(json.dumps(cfn_yaml.load(path)))


def translate(template):
    from samtranslator.parser.parser import Parser
    from samtranslator.translator.translator import Translator

    # `sam build`/`sam package` replace each function's local CodeUri (the workspace) with its uploaded
    # bundle; do the same with a placeholder, since functions are dropped before deploying anyway.
    for name, resource in template.get("Resources", {}).items():
        if resource.get("Type") == "AWS::Serverless::Function":
            resource.setdefault("Properties", {})["CodeUri"] = f"s3://saaswarden-build/{name}.zip"
    translator = Translator(_NoManagedPolicies(), Parser())
    return translator.translate(sam_template=template, parameter_values={})


def _refs(node):
    """Logical ids an expression refers to (Ref, Fn::GetAtt, ${Name} in Fn::Sub)."""
    found = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "Ref" and isinstance(value, str):
                found.add(value)
            elif key == "Fn::GetAtt":
                target = value[0] if isinstance(value, list) else str(value).split(".")[0]
                found.add(target)
            elif key == "Fn::Sub":
                text = value[0] if isinstance(value, list) else value
                import re

                found.update(name.split(".")[0] for name in re.findall(r"\$\{([^!}][^}]*)\}", text))
                found |= _refs(value)
            else:
                found |= _refs(value)
    elif isinstance(node, list):
        for item in node:
            found |= _refs(item)
    return found


def data_plane(template):
    """The translated template with only KEPT_TYPES and the outputs that refer to nothing else."""
    cfn = translate(template)
    resources = {name: r for name, r in cfn.get("Resources", {}).items() if r.get("Type") in KEPT_TYPES}
    dropped = set(cfn.get("Resources", {})) - set(resources)
    for resource in resources.values():
        # DependsOn a dropped resource would fail the stack.
        depends = resource.get("DependsOn")
        if isinstance(depends, list):
            resource["DependsOn"] = [d for d in depends if d not in dropped]
        elif isinstance(depends, str) and depends in dropped:
            del resource["DependsOn"]
        bad = _refs(resource) & dropped
        if bad:
            raise SystemExit(f"data resource refers to dropped resources {sorted(bad)}: keep them apart")
    outputs = {name: o for name, o in cfn.get("Outputs", {}).items() if not (_refs(o) & dropped)}
    for output in outputs.values():
        output.pop("Export", None)
    cfn["Resources"] = resources
    cfn["Outputs"] = outputs
    return cfn


def deploy(endpoint, stack, body):
    import boto3

    client = boto3.client(
        "cloudformation",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    parameters = [
        {"ParameterKey": "StackSuffix", "ParameterValue": stack},
    ] if "StackSuffix" in json.loads(body).get("Parameters", {}) else []
    client.create_stack(StackName=stack, TemplateBody=body, Parameters=parameters)
    described = client.describe_stacks(StackName=stack)["Stacks"][0]
    status = described["StackStatus"]
    if status != "CREATE_COMPLETE":
        events = client.describe_stack_events(StackName=stack)["StackEvents"]
        reasons = [e.get("ResourceStatusReason") for e in events if e.get("ResourceStatusReason")]
        raise RuntimeError(f"stack {stack} is {status}: {reasons[:3]}")
    outputs = {o["OutputKey"]: o["OutputValue"] for o in described.get("Outputs", [])}
    template = json.loads(body)
    for name, value in outputs.items():
        if value.startswith("<moto."):
            outputs[name] = _named_ref(template, template["Outputs"][name]["Value"], stack)
    return outputs


def _named_ref(template, value, stack):
    """moto answers Ref of some resources (an event bus) with an object's repr: use the Name property."""
    target = value.get("Ref") if isinstance(value, dict) else None
    name = template["Resources"].get(target, {}).get("Properties", {}).get("Name")
    if isinstance(name, dict) and "Fn::Sub" in name and isinstance(name["Fn::Sub"], str):
        return name["Fn::Sub"].replace("${AWS::StackName}", stack)
    if isinstance(name, str):
        return name
    raise RuntimeError(f"moto gave no usable value for output {value}")


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve():
    from moto.server import ThreadedMotoServer

    body = json.dumps(data_plane(load_template()))
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    print(json.dumps({"endpoint": endpoint}), flush=True)
    try:
        for line in sys.stdin:
            stack = line.strip()
            if not stack:
                continue
            try:
                answer = deploy(endpoint, stack, body)
            except Exception as error:  # reported to the test, which fails with it
                answer = {"error": f"{type(error).__name__}: {error}"}
            print(json.dumps(answer), flush=True)
    finally:
        server.stop()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("translate")
    deploy_command = commands.add_parser("deploy")
    deploy_command.add_argument("--endpoint", required=True)
    deploy_command.add_argument("stack")
    commands.add_parser("serve")
    args = parser.parse_args()
    if args.command == "translate":
        print(json.dumps(data_plane(load_template()), indent=2))
    elif args.command == "deploy":
        print(json.dumps(deploy(args.endpoint, args.stack, json.dumps(data_plane(load_template()))), indent=2))
    else:
        serve()


if __name__ == "__main__":
    main()
