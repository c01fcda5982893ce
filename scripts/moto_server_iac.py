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

from moto.server import main  # noqa: E402  (after the fixes)

if __name__ == "__main__":
    sys.exit(main())
