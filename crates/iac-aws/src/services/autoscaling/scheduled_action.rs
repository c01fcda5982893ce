//! `AWS::AutoScaling::ScheduledAction`: put under a name derived from its logical id (an action
//! takes no tags), found again by that name on its group.

use aws_sdk_autoscaling::types::ScheduledUpdateGroupAction;
use iac_core::LogicalId;
use iac_core::model::{self, ResourceEntry};
use serde::Deserialize;
use serde_json::Value as Json;

use super::{
    Adapter, AwsError, Ctx, Desired, Observed, SdkKind, Tags, busy, de, ignore_not_found, not_visible_yet, retry_if,
};

/// The desired properties of an `AWS::AutoScaling::ScheduledAction`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct ScheduledActionProps {
    pub(crate) auto_scaling_group_name: String,
    pub(crate) recurrence: String,
    #[serde(default)]
    pub(crate) time_zone: Option<String>,
    #[serde(default, deserialize_with = "de::opt_int")]
    pub(crate) min_size: Option<i32>,
    #[serde(default, deserialize_with = "de::opt_int")]
    pub(crate) max_size: Option<i32>,
    #[serde(default, deserialize_with = "de::opt_int")]
    pub(crate) desired_capacity: Option<i32>,
}

impl Desired for ScheduledActionProps {}

impl Adapter for model::ScheduledAction {
    type Props = ScheduledActionProps;

    /// Puts the action on its group.
    async fn create(
        ctx: &Ctx<'_>,
        entry: &ResourceEntry,
        props: &ScheduledActionProps,
        _tags: &Tags,
    ) -> Result<Observed, AwsError> {
        put(ctx, &entry.id, props).await
    }

    /// Put again under the same name. A size the stack no longer sets would stay as it was (a
    /// put leaves out what it does not name), so then the action is deleted and put afresh.
    async fn update(
        ctx: &Ctx<'_>,
        entry: &ResourceEntry,
        current: &Observed,
        props: &ScheduledActionProps,
        _tags: &Tags,
    ) -> Result<Observed, AwsError> {
        let dropped =
            [("MinSize", props.min_size), ("MaxSize", props.max_size), ("DesiredCapacity", props.desired_capacity)]
                .iter()
                .any(|(key, want)| want.is_none() && current.props.get(*key).is_some_and(|v| !v.is_null()));
        if dropped {
            <model::ScheduledAction as Adapter>::delete(ctx, current).await?;
        }
        put(ctx, &entry.id, props).await
    }

    /// Deletes the action; already gone (or its group gone) is success.
    async fn delete(ctx: &Ctx<'_>, current: &Observed) -> Result<(), AwsError> {
        let id = current.id.as_str();
        let group = current.props.get("AutoScalingGroupName").and_then(Json::as_str).unwrap_or_default();
        let name = current.physical_id.as_str();
        let req = ctx
            .clients
            .autoscaling
            .delete_scheduled_action()
            .auto_scaling_group_name(group)
            .scheduled_action_name(name);
        retry_if(ctx, id, "autoscaling:DeleteScheduledAction", busy, || {
            let req = req.clone();
            async move { ignore_not_found(req.send().await) }
        })
        .await?;
        Ok(())
    }
}

/// The deterministic name of the scheduled action `id` (actions cannot be tagged).
pub fn action_name(ctx: &Ctx<'_>, id: &LogicalId) -> String {
    iac_core::naming::fit(&format!("{}-{}-{}", ctx.stack.name(), ctx.stack.env(), id), 255)
}

async fn put(ctx: &Ctx<'_>, id: &LogicalId, props: &ScheduledActionProps) -> Result<Observed, AwsError> {
    let name = action_name(ctx, id);
    let group = props.auto_scaling_group_name.as_str();
    let req = ctx
        .clients
        .autoscaling
        .put_scheduled_update_group_action()
        .auto_scaling_group_name(group)
        .scheduled_action_name(&name)
        .recurrence(&props.recurrence)
        .set_time_zone(props.time_zone.clone())
        .set_min_size(props.min_size)
        .set_max_size(props.max_size)
        .set_desired_capacity(props.desired_capacity);
    retry_if(ctx, id.as_str(), "autoscaling:PutScheduledUpdateGroupAction", not_visible_yet, || req.clone().send())
        .await?;
    let found = describe(ctx, id.as_str(), group, Some(&name)).await?;
    match found.first() {
        Some(a) => Ok(observe(id.clone(), a)),
        None => Err(ctx.fail(
            id.as_str(),
            "autoscaling:DescribeScheduledActions",
            format!("scheduled action `{name}` of group `{group}` is not there after it was put"),
        )),
    }
}

/// The scheduled actions of `group` (only `name`, if given); a group that does not exist has none.
pub(super) async fn describe(
    ctx: &Ctx<'_>,
    id: &str,
    group: &str,
    name: Option<&str>,
) -> Result<Vec<ScheduledUpdateGroupAction>, AwsError> {
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let req = ctx
            .clients
            .autoscaling
            .describe_scheduled_actions()
            .auto_scaling_group_name(group)
            .set_scheduled_action_names(name.map(|n| vec![n.to_owned()]))
            .set_next_token(token.clone());
        let page = ctx
            .retry(id, "autoscaling:DescribeScheduledActions", &[], || {
                let req = req.clone();
                async move { ignore_not_found(req.send().await) }
            })
            .await?;
        let Some(page) = page else { break };
        out.extend(page.scheduled_update_group_actions().iter().cloned());
        token = page.next_token().filter(|t| !t.is_empty()).map(str::to_owned);
        if token.is_none() {
            break;
        }
    }
    Ok(out)
}

/// An action read back, in the template's shape (a size it does not set is `null`).
pub(super) fn observe(id: LogicalId, a: &ScheduledUpdateGroupAction) -> Observed {
    let name = a.scheduled_action_name().unwrap_or_default();
    Observed::new(id, SdkKind::ScheduledAction.cfn_type(), name)
        .prop("AutoScalingGroupName", a.auto_scaling_group_name().unwrap_or_default())
        .prop("Recurrence", a.recurrence().unwrap_or_default())
        .prop("TimeZone", a.time_zone())
        .prop("MinSize", a.min_size())
        .prop("MaxSize", a.max_size())
        .prop("DesiredCapacity", a.desired_capacity())
}

/// This stack's scheduled actions on `groups` (the stack's groups, found by their tags): a name
/// that is a scheduled action of the stack is that entry; any other name with this stack's prefix
/// and a logical id after it is an action that left the stack (so plan deletes it).
pub(super) async fn discover_actions(ctx: &Ctx<'_>, groups: &[Observed]) -> Result<Vec<Observed>, AwsError> {
    let prefix = format!("{}-{}-", ctx.stack.name(), ctx.stack.env());
    let mut out = Vec::new();
    for g in groups.iter().filter(|g| g.cfn_type == SdkKind::AutoScalingGroup.cfn_type()) {
        for a in describe(ctx, g.id.as_str(), &g.physical_id, None).await? {
            let name = a.scheduled_action_name().unwrap_or_default();
            let Some(id) = name.strip_prefix(&prefix).and_then(|rest| LogicalId::new(rest).ok()) else { continue };
            if action_name(ctx, &id) != name {
                continue;
            }
            let in_stack = ctx.stack.resource(&id).map(|e| matches!(e.resource, model::Resource::ScheduledAction(_)));
            // An id the stack gives another kind is not a scheduled action of this stack.
            if in_stack != Some(false) {
                out.push(observe(id, &a));
            }
        }
    }
    Ok(out)
}
