//! CloudWatch: `AWS::CloudWatch::Alarm`.
//!
//! One file per kind (its desired properties, its [`Adapter`](crate::adapter::Adapter) and its
//! calls); this file holds discovery: the account's metric alarms (`DescribeAlarms`), kept when
//! their `iac:*` tags (`ListTagsForResource`, written by `PutMetricAlarm` at creation) name this
//! stack and environment. CloudWatch is asked only when the stack has an alarm, so an alarm is
//! found as an orphan only while the stack still has another one (destroy the alarms before
//! removing the last one from a stack).
//!
//! Not exercised on moto: the Rust SDK speaks CloudWatch's `rpc-v2-cbor` protocol, which moto
//! (5.2.5) does not answer (HTTP 404 on `/service/GraniteServiceVersion20100801/...`); a stack
//! without alarms therefore never calls CloudWatch, and the alarm's read-back shape is tested
//! without a server.

use super::Ctx;
use crate::error::AwsError;
use crate::state::Observed;

pub mod alarm;

/// Every alarm of this stack and environment.
pub async fn discover(ctx: &Ctx<'_>) -> Result<Vec<Observed>, AwsError> {
    if !ctx.stack.resources().any(|e| matches!(e.resource, iac_core::model::Resource::Alarm(_))) {
        return Ok(Vec::new());
    }
    let cw = &ctx.clients.cloudwatch;
    let alarms = super::paged_items(
        ctx,
        "-",
        "cloudwatch:DescribeAlarms",
        |token| {
            cw.describe_alarms()
                .alarm_types(aws_sdk_cloudwatch::types::AlarmType::MetricAlarm)
                .set_next_token(token)
                .send()
        },
        |o| (o.metric_alarms(), o.next_token()),
    )
    .await?;
    let mut out = Vec::new();
    for a in &alarms {
        let Some(arn) = a.alarm_arn() else { continue };
        let tags = alarm::tags(ctx, "-", arn).await?;
        if let Some((id, hash)) = ctx.ours(&tags) {
            let mut o = alarm::observe(id, a);
            o.hash = hash;
            out.push(o);
        }
    }
    Ok(out)
}
