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

# --- CloudWatch over rpc-v2-cbor -------------------------------------------------------------
# moto 5.2.5 answers CloudWatch only in the query protocol. botocore (1.44) and the Rust SDK
# (aws-sdk-cloudwatch) speak Smithy's rpc-v2-cbor to it: `POST
# /service/GraniteServiceVersion20100801/operation/<Operation>` with `smithy-protocol:
# rpc-v2-cbor` and a CBOR body, which moto routes to its CloudWatch app by the signing name
# and answers 404. This WSGI shim, in front of moto's dispatcher, answers those requests from
# moto's own CloudWatch backend (so query-protocol clients, CloudFormation and /moto-api/reset
# see the same alarms) for the operations the SDK engine uses; any other operation is a CBOR
# error naming it. Wire rules (smithy.io, "RPC v2 CBOR protocol"; smithy-rs's cbor_errors and
# aws_query_compatible_errors):
#   - every response carries `smithy-protocol: rpc-v2-cbor` and `Content-Type: application/cbor`;
#   - members are the API's names (PascalCase); absent members are omitted, never null;
#     timestamps are CBOR tag 1 with epoch seconds; doubles are CBOR floats (the SDK's decoder
#     refuses an integer where the model says double);
#   - an error is a CBOR map `{__type: <error shape>, message}` with the shape's HTTP status;
#     CloudWatch is @awsQueryCompatible, so `x-amzn-query-error: <query code>;Sender` gives the
#     SDK the query-protocol error code (`ResourceNotFound`, `InvalidParameterValue`, ...),
#     which is the code the SDK reports. Shapes, codes and statuses come from botocore's model.
# Region and account as moto's own responses take them: the SigV4 scope
# (`Credential=KEY/DATE/REGION/monitoring/aws4_request`), then MOTO_ACCOUNT_ID, the
# x-moto-account-id header, the access key's account, moto's default 123456789012.
# Two moto behaviours are aligned with AWS here: DeleteAlarms also drops the alarm's tags (moto
# keeps them, so an alarm made again under the name would carry the old ones), and
# DescribeAlarms pages with MaxRecords/NextToken (moto returns everything at once).
import datetime  # noqa: E402
import os  # noqa: E402
import re  # noqa: E402
import uuid  # noqa: E402

import cbor2  # noqa: E402
from moto.cloudwatch.models import (  # noqa: E402
    Dimension,
    Metric,
    MetricDataQuery,
    MetricStat,
    cloudwatch_backends,
)
from moto.core.exceptions import ServiceException  # noqa: E402
from moto.moto_server.werkzeug_app import DomainDispatcherApplication  # noqa: E402

_CW_PATH = "/service/GraniteServiceVersion20100801/operation/"
_SCOPE = re.compile(r"Credential=([^/,\s]+)/[^/]+/([^/]+)/")


def _cw_error_shapes():
    # query code -> (error shape name, HTTP status), from botocore's CloudWatch model.
    import botocore.session

    model = botocore.session.get_session().get_service_model("cloudwatch")
    shapes = {}
    for name in model.error_shapes:
        shape = model.shape_for(name.name)
        err = shape.metadata.get("error", {})
        shapes[err.get("code", shape.name)] = (shape.name, err.get("httpStatusCode", 400))
    return shapes


_CW_ERRORS = _cw_error_shapes()


class _CwError(Exception):
    def __init__(self, code, message, status=None):
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


def _cw_response(start_response, status, body, extra=()):
    data = cbor2.dumps(body)
    start_response(
        status,
        [
            ("Content-Type", "application/cbor"),
            ("smithy-protocol", "rpc-v2-cbor"),
            ("x-amzn-RequestId", str(uuid.uuid4())),
            ("Content-Length", str(len(data))),
            *extra,
        ],
    )
    return [data]


def _cw_timestamp(dt):
    if dt.tzinfo is None:  # moto's utcnow() is naive UTC
        dt = dt.replace(tzinfo=datetime.timezone.utc)
    return cbor2.CBORTag(1, round(dt.timestamp(), 3))


def _cw_compact(members):
    # Absent members are omitted (a None, or an empty list, which the query protocol could not
    # tell from absent either).
    return {k: v for k, v in members.items() if v is not None and v != []}


def _cw_dimensions(dims):
    return [_cw_compact({"Name": d.name, "Value": d.value}) for d in dims]


def _cw_int(v):
    return None if v is None else int(v)


def _cw_query(q):
    stat = q.metric_stat
    return _cw_compact(
        {
            "Id": q.id,
            "MetricStat": stat
            and _cw_compact(
                {
                    "Metric": _cw_compact(
                        {
                            "Namespace": stat.metric.namespace,
                            "MetricName": stat.metric.metric_name,
                            "Dimensions": _cw_dimensions(stat.metric.dimensions),
                        }
                    ),
                    "Period": _cw_int(stat.period),
                    "Stat": stat.stat,
                    "Unit": stat.unit,
                }
            ),
            "Expression": q.expression,
            "Label": q.label,
            "ReturnData": q.return_data,
            "Period": _cw_int(q.period),
        }
    )


def _cw_alarm(a):
    common = {
        "AlarmName": a.name,
        "AlarmArn": a.alarm_arn,
        "AlarmDescription": a.description,
        "AlarmConfigurationUpdatedTimestamp": _cw_timestamp(a.configuration_updated_timestamp),
        "ActionsEnabled": bool(a.actions_enabled),
        "OKActions": list(a.ok_actions),
        "AlarmActions": list(a.alarm_actions),
        "InsufficientDataActions": list(a.insufficient_data_actions),
        "StateValue": a.state_value,
        "StateReason": a.state_reason,
        "StateReasonData": a.state_reason_data,
        "StateUpdatedTimestamp": _cw_timestamp(a.state_updated_timestamp),
    }
    if a.rule is not None:
        return _cw_compact(dict(common, AlarmRule=a.rule))
    return _cw_compact(
        dict(
            common,
            MetricName=a.metric_name,
            Namespace=a.namespace,
            Statistic=a.statistic,
            ExtendedStatistic=a.extended_statistic,
            Dimensions=_cw_dimensions(a.dimensions),
            Period=_cw_int(a.period),
            Unit=a.unit,
            EvaluationPeriods=_cw_int(a.evaluation_periods),
            DatapointsToAlarm=_cw_int(a.datapoints_to_alarm),
            Threshold=None if a.threshold is None else float(a.threshold),
            ComparisonOperator=a.comparison_operator,
            TreatMissingData=a.treat_missing_data,
            EvaluateLowSampleCountPercentile=a.evaluate_low_sample_count_percentile,
            Metrics=[_cw_query(q) for q in a.metric_data_queries],
            ThresholdMetricId=a.threshold_metric_id,
        )
    )


def _cw_metric_queries(metrics):
    queries = []
    for m in metrics or []:
        stat = m.get("MetricStat")
        metric_stat = None
        if stat:
            metric = stat.get("Metric", {})
            dims = [Dimension(d.get("Name"), d.get("Value")) for d in metric.get("Dimensions", [])]
            metric_stat = MetricStat(
                Metric(metric.get("MetricName"), metric.get("Namespace"), dims),
                stat.get("Period"),
                stat.get("Stat"),
                stat.get("Unit"),
            )
        queries.append(
            MetricDataQuery(
                m.get("Id"), m.get("Label"), m.get("Period"), m.get("ReturnData"), m.get("Expression"), metric_stat
            )
        )
    return queries


def _cw_put_metric_alarm(backend, p):
    threshold = p.get("Threshold")
    backend.put_metric_alarm(
        name=p.get("AlarmName"),
        namespace=p.get("Namespace"),
        metric_name=p.get("MetricName"),
        metric_data_queries=_cw_metric_queries(p.get("Metrics")) or None,
        comparison_operator=p.get("ComparisonOperator"),
        evaluation_periods=p.get("EvaluationPeriods"),
        datapoints_to_alarm=p.get("DatapointsToAlarm"),
        period=p.get("Period"),
        threshold=None if threshold is None else float(threshold),
        statistic=p.get("Statistic"),
        extended_statistic=p.get("ExtendedStatistic"),
        description=p.get("AlarmDescription"),
        dimensions=p.get("Dimensions", []),
        alarm_actions=p.get("AlarmActions", []),
        ok_actions=p.get("OKActions", []),
        insufficient_data_actions=p.get("InsufficientDataActions", []),
        unit=p.get("Unit"),
        actions_enabled=p.get("ActionsEnabled"),
        treat_missing_data=p.get("TreatMissingData"),
        evaluate_low_sample_count_percentile=p.get("EvaluateLowSampleCountPercentile"),
        threshold_metric_id=p.get("ThresholdMetricId"),
        tags=p.get("Tags", []),
    )
    return {}


def _cw_describe_alarms(backend, p):
    names = p.get("AlarmNames")
    prefix = p.get("AlarmNamePrefix")
    state = p.get("StateValue")
    action = p.get("ActionPrefix")
    if p.get("ChildrenOfAlarmName") or p.get("ParentsOfAlarmName"):
        raise _CwError("InvalidParameterCombination", "moto_server_iac: composite alarm trees are not supported")
    kinds = set(p.get("AlarmTypes") or ["MetricAlarm"])  # AWS: omitted means metric alarms only
    alarms = sorted(backend.alarms.values(), key=lambda a: a.name)
    alarms = [
        a
        for a in alarms
        if (names is None or a.name in names)
        and (prefix is None or a.name.startswith(prefix))
        and (state is None or a.state_value == state)
        and (action is None or any(x.startswith(action) for x in a.alarm_actions))
        and ("CompositeAlarm" if a.rule is not None else "MetricAlarm") in kinds
    ]
    size = p.get("MaxRecords") or 50
    if not 1 <= size <= 100:
        raise _CwError("InvalidParameterValue", f"MaxRecords {size} is not within 1..100")
    token = p.get("NextToken")
    try:
        start = int(token) if token is not None else 0
    except ValueError:
        raise _CwError("InvalidNextToken", f"The NextToken {token!r} is not valid") from None
    page = alarms[start : start + size]
    out = {}
    if "MetricAlarm" in kinds:
        out["MetricAlarms"] = [_cw_alarm(a) for a in page if a.rule is None]
    if "CompositeAlarm" in kinds:
        out["CompositeAlarms"] = [_cw_alarm(a) for a in page if a.rule is not None]
    if start + size < len(alarms):
        out["NextToken"] = str(start + size)
    return out


def _cw_delete_alarms(backend, p):
    names = p.get("AlarmNames", [])
    for name in names:
        alarm = backend.alarms.get(name)
        if alarm is not None:
            backend.tagger.delete_all_tags_for_resource(alarm.alarm_arn)
    backend.delete_alarms(names)
    return {}


def _cw_list_tags_for_resource(backend, p):
    tags = backend.list_tags_for_resource(p.get("ResourceARN"))
    return {"Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}


def _cw_tag_resource(backend, p):
    backend.tag_resource(p.get("ResourceARN"), {t["Key"]: t["Value"] for t in p.get("Tags", [])})
    return {}


def _cw_untag_resource(backend, p):
    backend.untag_resource(p.get("ResourceARN"), p.get("TagKeys", []))
    return {}


def _cw_enable_alarm_actions(backend, p):
    backend.enable_alarm_actions(p.get("AlarmNames", []))
    return {}


def _cw_disable_alarm_actions(backend, p):
    backend.disable_alarm_actions(p.get("AlarmNames", []))
    return {}


_CW_OPERATIONS = {
    "PutMetricAlarm": _cw_put_metric_alarm,
    "DescribeAlarms": _cw_describe_alarms,
    "DeleteAlarms": _cw_delete_alarms,
    "ListTagsForResource": _cw_list_tags_for_resource,
    "TagResource": _cw_tag_resource,
    "UntagResource": _cw_untag_resource,
    "EnableAlarmActions": _cw_enable_alarm_actions,
    "DisableAlarmActions": _cw_disable_alarm_actions,
}


def _cw_account(environ, access_key):
    if "MOTO_ACCOUNT_ID" in os.environ:
        return os.environ["MOTO_ACCOUNT_ID"]
    if environ.get("HTTP_X_MOTO_ACCOUNT_ID"):
        return environ["HTTP_X_MOTO_ACCOUNT_ID"]
    from moto.iam.models import get_account_id_from

    return get_account_id_from(access_key or "AKIAEXAMPLE")


def _cw_answer(environ, start_response):
    operation = environ["PATH_INFO"][len(_CW_PATH) :]
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        params = cbor2.loads(body) if body else {}
        if not isinstance(params, dict):
            raise _CwError("SerializationException", "the request body is not a CBOR map")
        handler = _CW_OPERATIONS.get(operation)
        if handler is None:
            raise _CwError(
                "UnknownOperationException",
                f"moto_server_iac: CloudWatch {operation} is not answered in rpc-v2-cbor "
                "(add it to _CW_OPERATIONS)",
                404,
            )
        scope = _SCOPE.search(environ.get("HTTP_AUTHORIZATION", ""))
        region = scope.group(2) if scope else "us-east-1"
        account = _cw_account(environ, scope.group(1) if scope else None)
        result = handler(cloudwatch_backends[account][region], params)
        return _cw_response(start_response, "200 OK", result)
    except (_CwError, ServiceException) as e:
        code = getattr(e, "code", "InternalFailure")
        shape, status = _CW_ERRORS.get(code, (code, 400))
        status = getattr(e, "status", None) or status
        reason = "Not Found" if status == 404 else "Bad Request"
        return _cw_response(
            start_response,
            f"{status} {reason}",
            {"__type": f"com.amazonaws.cloudwatch#{shape}", "message": e.message},
            [("x-amzn-query-error", f"{code};Sender")],
        )


_dispatch = DomainDispatcherApplication.__call__


def _dispatch_with_cloudwatch_cbor(self, environ, start_response):
    if (
        environ.get("REQUEST_METHOD") == "POST"
        and environ.get("PATH_INFO", "").startswith(_CW_PATH)
        and environ.get("HTTP_SMITHY_PROTOCOL") == "rpc-v2-cbor"
    ):
        return _cw_answer(environ, start_response)
    return _dispatch(self, environ, start_response)


DomainDispatcherApplication.__call__ = _dispatch_with_cloudwatch_cbor


from moto.server import main  # noqa: E402  (after the fixes)

if __name__ == "__main__":
    sys.exit(main())
