"""The app's synthesized templates for the emulator, and CloudFormation's references resolved in them.

:func:`templates` runs :mod:`infra.synth_templates` once (cached by
:mod:`lightship.local.synth_cache`, renewed when any file the synth read changes) and returns
each stack's template by concern (storage, registry, alerts, batch, monitoring, serving,
release, quality, retraining). :class:`StackRefs` evaluates the intrinsic functions CDK writes (Ref,
Fn::GetAtt, Fn::Join, Fn::Select, Fn::Split, Fn::Sub without variables map) with the
emulator's account, region and the physical names the templates give their resources.
Called by :mod:`lightship.local.from_templates` and :mod:`lightship.local.state_machines`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from lightship.errors import LightshipError
from lightship.local import synth_cache
from lightship.settings import Settings


def templates(settings: Settings) -> dict[str, dict[str, Any]]:
    """Every stack's template by concern, from cache when the settings and the sources are unchanged."""
    data = synth_cache.synthesized(settings, stack="app", synth_module="infra.synth_templates")
    return dict(data["templates"])


def resources_of(template: dict[str, Any], cfn_type: str) -> dict[str, dict[str, Any]]:
    return {lid: r for lid, r in template.get("Resources", {}).items() if r["Type"] == cfn_type}


@dataclass
class StackRefs:
    """What ``Ref`` and ``Fn::GetAtt`` give for one stack's resources on the emulator."""

    region: str
    account: str
    template: dict[str, Any]
    stack_name: str = "stack"  # prefixes the names we give roles CloudFormation would name
    role_names: dict[str, str] = field(default_factory=dict)  # logical id -> name given to an unnamed role
    # logical id -> attributes only known once the emulator made the resource (a KMS key's id, a published version)
    created: dict[str, dict[str, str]] = field(default_factory=dict)

    def pseudo(self) -> dict[str, str]:
        return {"AWS::Partition": "aws", "AWS::Region": self.region, "AWS::AccountId": self.account,
                "AWS::URLSuffix": "amazonaws.com", "AWS::NoValue": ""}

    def ref(self, logical_id: str) -> str:
        pseudo = self.pseudo()
        if logical_id in pseudo:
            return pseudo[logical_id]
        return self._attributes(logical_id)["Ref"]

    def get_att(self, logical_id: str, attribute: str) -> str:
        attributes = self._attributes(logical_id)
        if attribute not in attributes:
            raise LightshipError(f"the template reads {logical_id}.{attribute}, which the emulator does not know")
        return attributes[attribute]

    def resolve(self, node: Any) -> Any:
        if isinstance(node, list):
            return [self.resolve(n) for n in node]
        if not isinstance(node, dict):
            return node
        if "Fn::Join" in node:
            delimiter, parts = node["Fn::Join"]
            return delimiter.join(str(self.resolve(p)) for p in parts)
        if "Ref" in node:
            return self.ref(node["Ref"])
        if "Fn::GetAtt" in node:
            logical_id, attribute = node["Fn::GetAtt"] if isinstance(node["Fn::GetAtt"], list) else node["Fn::GetAtt"].split(".", 1)
            return self.get_att(logical_id, attribute)
        if "Fn::Select" in node:
            index, values = node["Fn::Select"]
            return self.resolve(values)[int(index)]
        if "Fn::Split" in node:
            delimiter, value = node["Fn::Split"]
            return str(self.resolve(value)).split(delimiter)
        if "Fn::Sub" in node and isinstance(node["Fn::Sub"], str):
            return re.sub(r"\$\{([^}!]+)\}", lambda m: self._sub(m.group(1)), node["Fn::Sub"])
        return {k: self.resolve(v) for k, v in node.items()}

    def _sub(self, name: str) -> str:
        if "." in name:
            logical_id, attribute = name.split(".", 1)
            return self.get_att(logical_id, attribute)
        return self.ref(name)

    def _attributes(self, logical_id: str) -> dict[str, str]:
        resource = self.template.get("Resources", {}).get(logical_id)
        if resource is None:
            raise LightshipError(f"the template refers to {logical_id}, which it does not define")
        props = resource.get("Properties", {})
        r, a = self.region, self.account
        kind = resource["Type"]
        if kind == "AWS::S3::Bucket":
            name = self.resolve(props["BucketName"])
            return {"Ref": name, "Arn": f"arn:aws:s3:::{name}", "DomainName": f"{name}.s3.amazonaws.com"}
        if kind == "AWS::DynamoDB::Table":
            name = self.resolve(props["TableName"])
            return {"Ref": name, "Arn": f"arn:aws:dynamodb:{r}:{a}:table/{name}"}
        if kind == "AWS::Logs::LogGroup":
            name = self.resolve(props["LogGroupName"])
            return {"Ref": name, "Arn": f"arn:aws:logs:{r}:{a}:log-group:{name}:*"}
        if kind == "AWS::IAM::Role":
            name = self.role_name(logical_id)
            return {"Ref": name, "Arn": f"arn:aws:iam::{a}:role/{name}", "RoleId": name}
        if kind == "AWS::Lambda::Function":
            name = self.resolve(props["FunctionName"])
            return {"Ref": name, "Arn": f"arn:aws:lambda:{r}:{a}:function:{name}"}
        if kind == "AWS::SNS::Topic":
            name = self.resolve(props["TopicName"])
            arn = f"arn:aws:sns:{r}:{a}:{name}"
            return {"Ref": arn, "TopicArn": arn, "TopicName": name}
        if kind == "AWS::StepFunctions::StateMachine":
            name = self.resolve(props["StateMachineName"])
            arn = f"arn:aws:states:{r}:{a}:stateMachine:{name}"
            return {"Ref": arn, "Arn": arn, "Name": name}
        if kind in ("AWS::KMS::Key", "AWS::Lambda::Version"):
            if logical_id not in self.created:
                raise LightshipError(f"the template refers to {logical_id} ({kind}) before the emulator made it")
            return self.created[logical_id]
        if kind == "AWS::Lambda::Alias":
            arn = f"arn:aws:lambda:{r}:{a}:function:{self.resolve(props['FunctionName'])}:{self.resolve(props['Name'])}"
            return {"Ref": arn, "AliasArn": arn}
        if kind == "AWS::CloudWatch::Alarm":
            name = self.alarm_name(logical_id)
            return {"Ref": name, "Arn": f"arn:aws:cloudwatch:{r}:{a}:alarm:{name}"}
        if kind == "AWS::Events::Rule":
            name = self.rule_name(logical_id)
            return {"Ref": name, "Arn": f"arn:aws:events:{r}:{a}:rule/{name}"}
        if kind == "AWS::SageMaker::ModelPackageGroup":
            name = self.resolve(props["ModelPackageGroupName"])
            arn = f"arn:aws:sagemaker:{r}:{a}:model-package-group/{name}"
            return {"Ref": arn, "ModelPackageGroupArn": arn}
        raise LightshipError(f"the template refers to {logical_id} ({kind}), which the emulator does not hold")

    def role_name(self, logical_id: str) -> str:
        """The role's ``RoleName``, or for a role CloudFormation would name, a stable name of our own."""
        props = self.template["Resources"][logical_id].get("Properties", {})
        if "RoleName" in props:
            return str(self.resolve(props["RoleName"]))
        return self.role_names.setdefault(logical_id, f"{self.stack_name}-{logical_id}"[:64])

    def alarm_name(self, logical_id: str) -> str:
        props = self.template["Resources"][logical_id].get("Properties", {})
        return str(self.resolve(props["AlarmName"])) if "AlarmName" in props else f"{self.stack_name}-{logical_id}"

    def rule_name(self, logical_id: str) -> str:
        """The rule's ``Name``, or for a rule CloudFormation would name, ``<stack>-<logical id>``."""
        props = self.template["Resources"][logical_id].get("Properties", {})
        return str(self.resolve(props["Name"])) if "Name" in props else f"{self.stack_name}-{logical_id}"[:64]
