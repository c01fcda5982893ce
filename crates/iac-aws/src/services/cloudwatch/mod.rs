//! CloudWatch: `AWS::CloudWatch::Alarm`.
//!
//! One file per kind (its desired properties, its [`Adapter`](crate::adapter::Adapter) and its
//! calls); this file holds discovery: the account's metric alarms (`DescribeAlarms`), kept when
//! their `iac:*` tags (`ListTagsForResource`, written by `PutMetricAlarm` at creation) name this
//! stack and environment. CloudWatch is asked for every stack, with or without alarms, so an
//! alarm left behind when the last one is removed from a stack is still found (as an orphan, to
//! delete).
//!
//! The Rust SDK speaks CloudWatch's `rpc-v2-cbor` protocol; the tests' moto server answers it
//! through the shim in `scripts/moto_server_iac.py` (moto 5.2.5 itself answers only the query
//! protocol).

use super::Ctx;
use crate::error::AwsError;
use crate::state::Observed;

pub mod alarm;

/// Every alarm of this stack and environment.
pub async fn discover(ctx: &Ctx<'_>) -> Result<Vec<Observed>, AwsError> {
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
