# moto_server with local fixes for moto bugs the SDK path meets. install-tools.sh installs it as
# venv-tools/bin/moto_server_iac (with the venv's python) and points IAC_MOTO_SERVER at it.
# Each fix names the bug; drop it when the pinned moto has it fixed.
import sys

from moto.core.types import Base64EncodedString
from moto.ec2.models.launch_templates import LaunchTemplate
from moto.ec2.utils import parse_user_data

_create_version = LaunchTemplate.create_version


def _create_version_with_parsed_user_data(self, data, description):
    # moto 5.2.5: CreateLaunchTemplateVersion stores UserData as the raw request string (only
    # CreateLaunchTemplate parses it), so an ASG that launches from such a version fails an
    # assertion (HTTP 500). A blue/green rollout launches from a new version.
    user_data = data.get("UserData")
    if user_data is not None and not isinstance(user_data, Base64EncodedString):
        data = dict(data, UserData=parse_user_data(user_data))
    return _create_version(self, data, description)


LaunchTemplate.create_version = _create_version_with_parsed_user_data

# moto 5.2.5: an RDS parameter group created by CloudFormation has no physical_resource_id, so
# `{"Ref": "DatabaseParameterGroup"}` resolves to the Python object and the DB instance that
# names it fails with HTTP 500 (AttributeError: no attribute 'startswith'). CloudFormation's Ref
# of an AWS::RDS::DBParameterGroup is its name.
from moto.rds.models import DBParameterGroup  # noqa: E402

DBParameterGroup.physical_resource_id = property(lambda self: self.name)

# moto 5.2.5: CloudFormation's RDS instance ignores ManageMasterUserPassword and cannot read
# `Fn::GetAtt [DB, MasterUserSecret.SecretArn]`, so a template that passes the managed secret's
# ARN to its hosts fails to create. Read it as RDS does: the managed secret, made on first use.
from moto.rds.models import DBInstance, MasterUserSecret  # noqa: E402

_has_cfn_attr = DBInstance.has_cfn_attr.__func__
_get_cfn_attribute = DBInstance.get_cfn_attribute


def _db_get_cfn_attribute(self, attribute_name):
    if attribute_name == "MasterUserSecret.SecretArn":
        if getattr(self, "master_user_secret", None) is None:
            self.master_user_secret = MasterUserSecret(self, None)
        return self.master_user_secret.secret_arn
    return _get_cfn_attribute(self, attribute_name)


DBInstance.has_cfn_attr = classmethod(lambda cls, attr: attr == "MasterUserSecret.SecretArn" or _has_cfn_attr(cls, attr))
DBInstance.get_cfn_attribute = _db_get_cfn_attribute

# moto 5.2.5: CloudFormation's AWS::KMS::Key passes its `Tags` (Key/Value, as CloudFormation
# writes them) to the KMS API's tagging, which wants TagKey/TagValue: HTTP 500 (KeyError).
from moto.kms.models import Key as KmsKey  # noqa: E402

_kms_create = KmsKey.create_from_cloudformation_json.__func__


def _kms_create_with_api_tags(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
    props = cloudformation_json.get("Properties", {})
    if props.get("Tags"):
        tags = [{"TagKey": t["Key"], "TagValue": t["Value"]} for t in props["Tags"] if "Key" in t]
        cloudformation_json = dict(cloudformation_json, Properties=dict(props, Tags=tags))
    return _kms_create(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)


KmsKey.create_from_cloudformation_json = classmethod(_kms_create_with_api_tags)


from moto.ecs.responses import EC2ContainerServiceResponse  # noqa: E402

_create_service = EC2ContainerServiceResponse.create_service


def _create_service_keeping_settings(self):
    # moto 5.2.5: CreateService drops deploymentConfiguration, healthCheckGracePeriodSeconds and
    # enableECSManagedTags (UpdateService keeps them), so a service read back after its create
    # differs from what was asked. Store them as UpdateService does.
    result = _create_service(self)
    service = self.ecs_backend._get_service(self._get_param("cluster", "default"), self._get_param("serviceName"))
    for param, attr in (
        ("deploymentConfiguration", "deployment_configuration"),
        ("healthCheckGracePeriodSeconds", "health_check_grace_period_seconds"),
        ("enableECSManagedTags", "enable_ecs_managed_tags"),
    ):
        value = self._get_param(param)
        if value is not None:
            setattr(service, attr, value)
    return result


EC2ContainerServiceResponse.create_service = _create_service_keeping_settings

from moto.server import main  # noqa: E402  (after the fixes)

if __name__ == "__main__":
    sys.exit(main())
