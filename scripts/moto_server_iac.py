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
