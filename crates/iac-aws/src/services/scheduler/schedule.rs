//! `AWS::Scheduler::Schedule`: found by name, its state in its description's marker.

use aws_sdk_scheduler::operation::get_schedule::GetScheduleOutput;
use aws_sdk_scheduler::types::{
    AssignPublicIp, AwsVpcConfiguration, EcsParameters, FlexibleTimeWindow, FlexibleTimeWindowMode, LaunchType,
    NetworkConfiguration, RetryPolicy, ScheduleState, Target,
};
use iac_core::LogicalId;
use iac_core::model::{self, Resource, ResourceEntry};
use serde::Deserialize;
use serde_json::{Map, Value as Json, json};

use crate::adapter::{Adapter, Desired, SdkKind, de};
use crate::error::AwsError;
use crate::services::ecs::NetworkProps;
use crate::services::{Ctx, absent_on, paged_items};
use crate::state::{self, Observed, TAG_ENV, TAG_HASH, TAG_ID, TAG_STACK, Tags};

/// The longest description the API takes.
const MAX_DESCRIPTION: usize = 512;

/// The desired properties of an `AWS::Scheduler::Schedule`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct ScheduleProps {
    pub(crate) name: String,
    #[serde(default)]
    pub(crate) description: String,
    pub(crate) schedule_expression: String,
    #[serde(default)]
    pub(crate) schedule_expression_timezone: Option<String>,
    pub(crate) flexible_time_window: WindowProps,
    #[serde(default)]
    pub(crate) state: Option<String>,
    pub(crate) target: TargetProps,
}

/// `FlexibleTimeWindow`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct WindowProps {
    pub(crate) mode: String,
    #[serde(default, deserialize_with = "de::opt_int")]
    pub(crate) maximum_window_in_minutes: Option<i32>,
}

/// `Target`: an ECS task run (`EcsParameters`) or a universal target call.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct TargetProps {
    pub(crate) arn: String,
    pub(crate) role_arn: String,
    #[serde(default)]
    pub(crate) input: Option<String>,
    #[serde(default)]
    pub(crate) ecs_parameters: Option<EcsProps>,
    #[serde(default)]
    pub(crate) retry_policy: Option<RetryProps>,
}

/// `EcsParameters`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct EcsProps {
    pub(crate) task_definition_arn: String,
    #[serde(default)]
    pub(crate) launch_type: Option<String>,
    #[serde(default)]
    pub(crate) platform_version: Option<String>,
    #[serde(default, deserialize_with = "de::opt_int")]
    pub(crate) task_count: Option<i32>,
    #[serde(default)]
    pub(crate) network_configuration: Option<NetworkProps>,
}

/// `RetryPolicy`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct RetryProps {
    #[serde(default, deserialize_with = "de::opt_int")]
    pub(crate) maximum_retry_attempts: Option<i32>,
    #[serde(default, deserialize_with = "de::opt_int")]
    pub(crate) maximum_event_age_in_seconds: Option<i32>,
}

impl Desired for ScheduleProps {}

impl Adapter for model::Schedule {
    type Props = ScheduleProps;

    /// `CreateSchedule` with a client token; the marker (hash included) is in the description.
    async fn create(
        ctx: &Ctx<'_>,
        entry: &ResourceEntry,
        props: &ScheduleProps,
        tags: &Tags,
    ) -> Result<Observed, AwsError> {
        let id = entry.id.as_str();
        let sch = &ctx.clients.scheduler;
        let parts = Parts::new(ctx, &entry.id, props, tags)?;
        let hash = state::hash_of(tags).unwrap_or_default();
        let token = format!(
            "{:08x}{hash}",
            iac_core::naming::fnv1a(format!("{}/{}/{id}", ctx.stack.name(), ctx.stack.env()).as_bytes())
        );
        ctx.retry(id, "scheduler:CreateSchedule", &[], || {
            sch.create_schedule()
                .name(&props.name)
                .description(&parts.description)
                .schedule_expression(&props.schedule_expression)
                .set_schedule_expression_timezone(props.schedule_expression_timezone.clone())
                .flexible_time_window(parts.window.clone())
                .set_state(props.state.as_deref().map(ScheduleState::from))
                .target(parts.target.clone())
                .client_token(&token)
                .send()
        })
        .await?;
        read(ctx, &entry.id, &props.name).await
    }

    /// `UpdateSchedule` replaces every setting of the schedule (and its marker).
    async fn update(
        ctx: &Ctx<'_>,
        entry: &ResourceEntry,
        current: &Observed,
        props: &ScheduleProps,
        tags: &Tags,
    ) -> Result<Observed, AwsError> {
        let id = entry.id.as_str();
        let sch = &ctx.clients.scheduler;
        let parts = Parts::new(ctx, &entry.id, props, tags)?;
        let name = current.physical_id.as_str();
        ctx.retry(id, "scheduler:UpdateSchedule", &["ConflictException"], || {
            sch.update_schedule()
                .name(name)
                .description(&parts.description)
                .schedule_expression(&props.schedule_expression)
                .set_schedule_expression_timezone(props.schedule_expression_timezone.clone())
                .flexible_time_window(parts.window.clone())
                .set_state(props.state.as_deref().map(ScheduleState::from))
                .target(parts.target.clone())
                .send()
        })
        .await?;
        read(ctx, &entry.id, name).await
    }

    /// Deletes the schedule; already gone is success.
    async fn delete(ctx: &Ctx<'_>, current: &Observed) -> Result<(), AwsError> {
        let sch = &ctx.clients.scheduler;
        let name = current.physical_id.as_str();
        ctx.retry(current.id.as_str(), "scheduler:DeleteSchedule", &["ConflictException"], || async {
            absent_on(sch.delete_schedule().name(name).send().await, &["ResourceNotFoundException"])
        })
        .await?;
        Ok(())
    }
}

/// What create and update send.
struct Parts {
    description: String,
    window: FlexibleTimeWindow,
    target: Target,
}

impl Parts {
    fn new(ctx: &Ctx<'_>, id: &LogicalId, props: &ScheduleProps, tags: &Tags) -> Result<Self, AwsError> {
        let action = "scheduler:CreateSchedule";
        let description = with_marker(ctx, id, &props.description, &state::hash_of(tags).unwrap_or_default());
        if description.chars().count() > MAX_DESCRIPTION {
            return Err(AwsError::Property {
                stack: ctx.stack.name().to_owned(),
                id: id.to_string(),
                property: "Description".into(),
                message: format!(
                    "the SDK path keeps its state in the description ({} characters of marker), and the whole may \
                     be at most {MAX_DESCRIPTION} characters: shorten the description",
                    description.len() - props.description.len()
                ),
            });
        }
        let window = FlexibleTimeWindow::builder()
            .mode(FlexibleTimeWindowMode::from(props.flexible_time_window.mode.as_str()))
            .set_maximum_window_in_minutes(props.flexible_time_window.maximum_window_in_minutes)
            .build()
            .map_err(|e| ctx.fail(id.as_str(), action, e))?;
        let t = &props.target;
        let ecs = t
            .ecs_parameters
            .as_ref()
            .map(|e| {
                let network = e
                    .network_configuration
                    .as_ref()
                    .map(|n| {
                        let c = &n.awsvpc_configuration;
                        AwsVpcConfiguration::builder()
                            .set_subnets(Some(c.subnets.clone()))
                            .set_security_groups(Some(c.security_groups.clone()))
                            .set_assign_public_ip(c.assign_public_ip.as_deref().map(AssignPublicIp::from))
                            .build()
                            .map(|v| NetworkConfiguration::builder().awsvpc_configuration(v).build())
                    })
                    .transpose()?;
                EcsParameters::builder()
                    .task_definition_arn(&e.task_definition_arn)
                    .set_launch_type(e.launch_type.as_deref().map(LaunchType::from))
                    .set_platform_version(e.platform_version.clone())
                    .set_task_count(e.task_count)
                    .set_network_configuration(network)
                    .build()
            })
            .transpose()
            .map_err(|e| ctx.fail(id.as_str(), action, e))?;
        let retry = t.retry_policy.as_ref().map(|r| {
            RetryPolicy::builder()
                .set_maximum_retry_attempts(r.maximum_retry_attempts)
                .set_maximum_event_age_in_seconds(r.maximum_event_age_in_seconds)
                .build()
        });
        let target = Target::builder()
            .arn(&t.arn)
            .role_arn(&t.role_arn)
            .set_input(t.input.clone())
            .set_ecs_parameters(ecs)
            .set_retry_policy(retry)
            .build()
            .map_err(|e| ctx.fail(id.as_str(), action, e))?;
        Ok(Self { description, window, target })
    }
}

/// `description` with the marker naming this stack, environment, logical id and `hash`.
fn with_marker(ctx: &Ctx<'_>, id: &LogicalId, description: &str, hash: &str) -> String {
    let marker =
        format!("[{TAG_STACK}={} {TAG_ENV}={} {TAG_ID}={id} {TAG_HASH}={hash}]", ctx.stack.name(), ctx.stack.env());
    if description.is_empty() { marker } else { format!("{description} {marker}") }
}

/// The description without its marker, and the marker's pairs (empty without one).
fn split_marker(description: &str) -> (&str, Tags) {
    let start = format!("[{TAG_STACK}=");
    let Some(at) = description.rfind(&start).filter(|_| description.ends_with(']')) else {
        return (description, Vec::new());
    };
    let pairs = description[at + 1..description.len() - 1]
        .split(' ')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    (description[..at].trim_end(), pairs)
}

async fn get(ctx: &Ctx<'_>, id: &str, name: &str) -> Result<Option<GetScheduleOutput>, AwsError> {
    let sch = &ctx.clients.scheduler;
    ctx.retry(id, "scheduler:GetSchedule", &[], || async {
        absent_on(sch.get_schedule().name(name).send().await, &["ResourceNotFoundException"])
    })
    .await
}

async fn read(ctx: &Ctx<'_>, id: &LogicalId, name: &str) -> Result<Observed, AwsError> {
    let s = get(ctx, id.as_str(), name).await?.ok_or_else(|| {
        ctx.fail(id.as_str(), "scheduler:GetSchedule", format!("schedule `{name}` is not there after it was written"))
    })?;
    let (_, marker) = split_marker(s.description().unwrap_or_default());
    let mut o = observe(id.clone(), &s);
    o.hash = state::hash_of(&marker);
    Ok(o)
}

/// A schedule read back, in the template's shape.
fn observe(id: LogicalId, s: &GetScheduleOutput) -> Observed {
    let name = s.name().unwrap_or_default();
    let (description, _) = split_marker(s.description().unwrap_or_default());
    let mut window = json!({ "Mode": s.flexible_time_window().map_or("", |w| w.mode().as_str()) });
    if let Some(m) = s.flexible_time_window().and_then(FlexibleTimeWindow::maximum_window_in_minutes) {
        window["MaximumWindowInMinutes"] = json!(m);
    }
    let mut o = Observed::new(id, SdkKind::Schedule.cfn_type(), name)
        .attr("Arn", s.arn().unwrap_or_default())
        .prop("Name", name)
        .prop("Description", description)
        .prop("ScheduleExpression", s.schedule_expression().unwrap_or_default())
        .prop("ScheduleExpressionTimezone", s.schedule_expression_timezone())
        .prop("FlexibleTimeWindow", window)
        .prop("State", s.state().map(ScheduleState::as_str));
    if let Some(t) = s.target() {
        o = o.prop("Target", target_json(t));
    }
    o
}

fn target_json(t: &Target) -> Json {
    let mut m = Map::new();
    m.insert("Arn".into(), json!(t.arn()));
    m.insert("RoleArn".into(), json!(t.role_arn()));
    m.insert("Input".into(), json!(t.input()));
    if let Some(r) = t.retry_policy() {
        m.insert(
            "RetryPolicy".into(),
            json!({
                "MaximumRetryAttempts": r.maximum_retry_attempts(),
                "MaximumEventAgeInSeconds": r.maximum_event_age_in_seconds(),
            }),
        );
    }
    if let Some(e) = t.ecs_parameters() {
        let mut ecs = json!({
            "TaskDefinitionArn": e.task_definition_arn(),
            "LaunchType": e.launch_type().map(LaunchType::as_str),
            "PlatformVersion": e.platform_version(),
            "TaskCount": e.task_count(),
        });
        if let Some(c) = e.network_configuration().and_then(NetworkConfiguration::awsvpc_configuration) {
            ecs["NetworkConfiguration"] = json!({
                "AwsvpcConfiguration": {
                    "Subnets": c.subnets(),
                    "SecurityGroups": c.security_groups(),
                    "AssignPublicIp": c.assign_public_ip().map_or("DISABLED", AssignPublicIp::as_str),
                }
            });
        }
        m.insert("EcsParameters".into(), ecs);
    }
    Json::Object(m)
}

/// The schedules of the default group named like the stack's, whose marker names this stack.
pub(super) async fn discover_schedules(ctx: &Ctx<'_>) -> Result<Vec<Observed>, AwsError> {
    let sch = &ctx.clients.scheduler;
    let wanted: Vec<String> = ctx
        .stack
        .resources()
        .filter(|e| matches!(e.resource, Resource::Schedule(_)))
        .filter_map(|e| iac_core::naming::physical_name(ctx.stack, e))
        .collect();
    let prefix = format!("{}-{}-", ctx.stack.name(), ctx.stack.env());
    let all = paged_items(
        ctx,
        "-",
        "scheduler:ListSchedules",
        |t| sch.list_schedules().group_name("default").set_next_token(t).send(),
        |o| (o.schedules(), o.next_token()),
    )
    .await?;
    let mut out = Vec::new();
    for summary in &all {
        let name = summary.name().unwrap_or_default();
        if !wanted.iter().any(|w| w == name) && !name.starts_with(&prefix) {
            continue;
        }
        let Some(s) = get(ctx, "-", name).await? else { continue };
        let (_, marker) = split_marker(s.description().unwrap_or_default());
        if let Some((id, hash)) = ctx.ours(&marker) {
            let mut o = observe(id, &s);
            o.hash = hash;
            out.push(o);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_marker_is_split_off_the_description() {
        let d = "Start the host at 08:00 [iac:stack=vb iac:env=prod iac:id=StartSchedule iac:hash=0123abcd]";
        let (text, pairs) = split_marker(d);
        assert_eq!(text, "Start the host at 08:00");
        assert!(pairs.contains(&("iac:id".to_owned(), "StartSchedule".to_owned())), "{pairs:?}");
        assert_eq!(state::hash_of(&pairs).as_deref(), Some("0123abcd"));
        assert_eq!(split_marker("no marker"), ("no marker", Vec::new()));
        let (text, pairs) = split_marker("[iac:stack=a iac:env=b iac:id=C iac:hash=h]");
        assert_eq!((text, pairs.len()), ("", 4));
    }
}
