//! Route53: `AWS::Route53::RecordSet`, either an alias (`AliasTarget`) or plain values
//! (`TTL` + `ResourceRecords`), written with an `UPSERT` change and waited on until `INSYNC`.
//!
//! Records cannot be tagged, so they carry no `iac:*` tags and no hash: the engine compares the
//! read-back properties with the template instead. Their physical id is synthetic,
//! `<zone id>|<name>|<type>`.
//!
//! Discovery by name: for each record of the stack, its `HostedZoneId` and `Name` are taken
//! from the model (a literal, a parameter's default, or a join of those; a record whose zone or
//! name is only known at apply time cannot be found before it is applied), and the zone is
//! listed from that name and type. A record removed from the stack is no longer looked for, so
//! it is not deleted as an orphan; destroy the stack before removing a record, or delete it
//! by hand. Deleting sends a `DELETE` of exactly the record as it is now (read first).

use aws_sdk_route53::types::{
    AliasTarget, Change, ChangeAction, ChangeBatch, ChangeStatus, ResourceRecord, ResourceRecordSet, RrType,
};
use iac_core::LogicalId;
use iac_core::model::{RecordSet, Resource, ResourceEntry};
use iac_core::value::{Pseudo, Value};
use serde::Deserialize;
use serde_json::Value as Json;

use super::{Ctx, absent_on};
use crate::adapter::{Adapter, Desired, SdkKind, de};
use crate::error::AwsError;
use crate::state::{Observed, Tags};

/// The desired properties of an `AWS::Route53::RecordSet`: an alias or plain values.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct RecordSetProps {
    pub(crate) hosted_zone_id: String,
    pub(crate) name: String,
    pub(crate) r#type: String,
    #[serde(default)]
    pub(crate) alias_target: Option<AliasTargetProps>,
    #[serde(rename = "TTL", default, deserialize_with = "de::opt_int")]
    pub(crate) ttl: Option<i32>,
    #[serde(default)]
    pub(crate) resource_records: Vec<String>,
    #[serde(default)]
    pub(crate) set_identifier: Option<String>,
    #[serde(default, deserialize_with = "de::opt_int")]
    pub(crate) weight: Option<i32>,
}

/// A record's `AliasTarget`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct AliasTargetProps {
    #[serde(rename = "DNSName")]
    pub(crate) dns_name: String,
    pub(crate) hosted_zone_id: String,
    #[serde(default, deserialize_with = "de::opt_bool")]
    pub(crate) evaluate_target_health: Option<bool>,
}

impl Desired for RecordSetProps {}

impl Adapter for RecordSet {
    type Props = RecordSetProps;
    /// The physical id holds zone, name and type.
    const REPLACED_BY: &'static [&'static str] = &["HostedZoneId", "HostedZoneName", "Name", "Type", "SetIdentifier"];

    /// Creates (upserts) the record and waits until the change is `INSYNC`.
    async fn create(
        ctx: &Ctx<'_>,
        entry: &ResourceEntry,
        props: &RecordSetProps,
        _tags: &Tags,
    ) -> Result<Observed, AwsError> {
        upsert(ctx, entry, props).await
    }

    /// Updates the record in place (another `UPSERT` of the same name and type).
    async fn update(
        ctx: &Ctx<'_>,
        entry: &ResourceEntry,
        _current: &Observed,
        props: &RecordSetProps,
        _tags: &Tags,
    ) -> Result<Observed, AwsError> {
        upsert(ctx, entry, props).await
    }

    /// Deletes the record as it is now; a record (or zone) already gone is success.
    async fn delete(ctx: &Ctx<'_>, current: &Observed) -> Result<(), AwsError> {
        delete(ctx, current).await
    }
}

async fn delete(ctx: &Ctx<'_>, current: &Observed) -> Result<(), AwsError> {
    let id = current.id.as_str();
    let Some((zone, name, kind)) = split_physical_id(&current.physical_id) else {
        return Err(ctx.fail(
            id,
            "route53:DeleteRecord",
            format!("`{}` is not a record id (zone|name|type)", current.physical_id),
        ));
    };
    let r53 = &ctx.clients.route53;
    for _ in 0..ctx.timing.attempts.max(1) {
        let Some(record) = find_record(ctx, id, zone, name, kind).await? else { return Ok(()) };
        let change = Change::builder()
            .action(ChangeAction::Delete)
            .resource_record_set(record)
            .build()
            .map_err(|e| ctx.fail(id, "route53:ChangeResourceRecordSets", e))?;
        let batch = ChangeBatch::builder()
            .changes(change)
            .build()
            .map_err(|e| ctx.fail(id, "route53:ChangeResourceRecordSets", e))?;
        let sent = ctx
            .retry(id, "route53:ChangeResourceRecordSets", &[], || async {
                // The zone is gone, or the record changed between the read and the delete: read
                // it again.
                let sent = r53.change_resource_record_sets().hosted_zone_id(zone).change_batch(batch.clone()).send();
                absent_on(sent.await, &["NoSuchHostedZone", "InvalidChangeBatch"])
                    .map(|out| out.and_then(|o| o.change_info().map(|c| c.id().to_owned())))
            })
            .await?;
        if let Some(change_id) = sent {
            return wait_insync(ctx, id, &change_id).await;
        }
    }
    Err(ctx.fail(
        id,
        "route53:ChangeResourceRecordSets",
        format!("record `{name}` ({kind}) kept changing while being deleted; re-run destroy"),
    ))
}

/// Finds the stack's records by zone, name and type (see the module docs).
pub async fn discover(ctx: &Ctx<'_>) -> Result<Vec<Observed>, AwsError> {
    let mut out = Vec::new();
    for entry in ctx.stack.resources() {
        let Resource::RecordSet(record) = &entry.resource else { continue };
        let (Some(zone), Some(name)) = (literal(ctx, &record.hosted_zone_id), literal(ctx, &record.name)) else {
            continue;
        };
        let kind = record.record_type.as_aws();
        if let Some(found) = find_record(ctx, "-", &zone, &name, kind).await? {
            out.push(observe(entry.id.clone(), &zone, &name, None, &found));
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------

/// `Z123` from `/hostedzone/Z123`.
fn zone_id(zone: &str) -> &str {
    zone.trim_start_matches("/hostedzone/").trim_start_matches("hostedzone/")
}

/// `<zone>|<name>|<type>`, with the name as the stack spells it (no trailing dot).
fn physical_id(zone: &str, name: &str, kind: &str) -> String {
    format!("{}|{}|{kind}", zone_id(zone), name.trim_end_matches('.'))
}

fn split_physical_id(id: &str) -> Option<(&str, &str, &str)> {
    let mut parts = id.splitn(3, '|');
    Some((parts.next()?, parts.next()?, parts.next()?))
}

/// A DNS name as Route53 answers it, back in the usual spelling: no trailing dot and `\ooo`
/// octal escapes (Route53 writes `*` as `\052`) decoded.
fn dns_name(name: &str) -> String {
    let name = name.strip_suffix('.').unwrap_or(name);
    let bytes = name.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut k = 0;
    while k < bytes.len() {
        if bytes[k] == b'\\'
            && k + 4 <= bytes.len()
            && bytes[k + 1..k + 4].iter().all(u8::is_ascii_digit)
            && let Ok(v) = u8::from_str_radix(std::str::from_utf8(&bytes[k + 1..k + 4]).unwrap_or("?"), 8)
        {
            out.push(v);
            k += 4;
            continue;
        }
        out.push(bytes[k]);
        k += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn same_name(a: &str, b: &str) -> bool {
    dns_name(a).eq_ignore_ascii_case(&dns_name(b))
}

/// A model value known before apply: a literal, a parameter's default, the region, or a join
/// of those.
fn literal(ctx: &Ctx<'_>, v: &Value<String>) -> Option<String> {
    match v {
        Value::Lit(s) => Some(s.clone()),
        Value::Param(p) => ctx.stack.parameters().get(p).and_then(|p| p.default.clone()),
        Value::Pseudo(Pseudo::Region) => Some(ctx.clients.region.clone()),
        Value::Join(parts) => parts.iter().map(|p| literal(ctx, p)).collect::<Option<Vec<_>>>().map(|p| p.concat()),
        _ => None,
    }
}

async fn upsert(ctx: &Ctx<'_>, entry: &ResourceEntry, props: &RecordSetProps) -> Result<Observed, AwsError> {
    let id = entry.id.as_str();
    let action = "route53:ChangeResourceRecordSets";
    let (zone, name, kind) = (&props.hosted_zone_id, &props.name, &props.r#type);
    let mut record = ResourceRecordSet::builder().name(name).r#type(RrType::from(kind.as_str()));
    if let Some(alias) = &props.alias_target {
        let target = AliasTarget::builder()
            .dns_name(&alias.dns_name)
            .hosted_zone_id(&alias.hosted_zone_id)
            .evaluate_target_health(alias.evaluate_target_health.unwrap_or(false))
            .build()
            .map_err(|e| ctx.fail(id, action, e))?;
        record = record.alias_target(target);
    } else {
        let values = props
            .resource_records
            .iter()
            .map(|v| ResourceRecord::builder().value(v).build().map_err(|e| ctx.fail(id, action, e)))
            .collect::<Result<Vec<_>, _>>()?;
        record = record.set_ttl(props.ttl.map(i64::from)).set_resource_records(Some(values));
    }
    if let Some(set) = &props.set_identifier {
        record = record.set_identifier(set).set_weight(props.weight.map(i64::from));
    }
    let record = record.build().map_err(|e| ctx.fail(id, action, e))?;
    let change = Change::builder()
        .action(ChangeAction::Upsert)
        .resource_record_set(record)
        .build()
        .map_err(|e| ctx.fail(id, action, e))?;
    let batch = ChangeBatch::builder().changes(change).build().map_err(|e| ctx.fail(id, action, e))?;
    let r53 = &ctx.clients.route53;
    let zone_ref = zone_id(zone);
    let out = ctx
        .retry(id, action, &[], || {
            r53.change_resource_record_sets().hosted_zone_id(zone_ref).change_batch(batch.clone()).send()
        })
        .await?;
    if let Some(info) = out.change_info() {
        wait_insync(ctx, id, info.id()).await?;
    }
    let found = find_record(ctx, id, zone, name, kind).await?.ok_or_else(|| {
        ctx.fail(
            id,
            "route53:ListResourceRecordSets",
            format!("record `{name}` ({kind}) was written but cannot be read back"),
        )
    })?;
    let alias_dns = props.alias_target.as_ref().map(|a| a.dns_name.as_str());
    Ok(observe(entry.id.clone(), zone, name, alias_dns, &found))
}

async fn wait_insync(ctx: &Ctx<'_>, id: &str, change_id: &str) -> Result<(), AwsError> {
    let r53 = &ctx.clients.route53;
    ctx.wait_for(id, "INSYNC", || async move {
        let out =
            ctx.retry(id, "route53:GetChange", &["NoSuchChange"], || r53.get_change().id(change_id).send()).await?;
        Ok(out.change_info().is_some_and(|c| *c.status() == ChangeStatus::Insync).then_some(()))
    })
    .await
}

/// The record named `name` of type `kind` in `zone`, as Route53 has it; `None` when it (or the
/// zone) does not exist.
async fn find_record(
    ctx: &Ctx<'_>,
    id: &str,
    zone: &str,
    name: &str,
    kind: &str,
) -> Result<Option<ResourceRecordSet>, AwsError> {
    let r53 = &ctx.clients.route53;
    let zone = zone_id(zone);
    let kind_t = RrType::from(kind);
    let out = ctx
        .retry(id, "route53:ListResourceRecordSets", &[], || {
            let kind_t = kind_t.clone();
            async move {
                let r = r53
                    .list_resource_record_sets()
                    .hosted_zone_id(zone)
                    .start_record_name(name)
                    .start_record_type(kind_t)
                    .max_items(10)
                    .send()
                    .await;
                absent_on(r, &["NoSuchHostedZone"])
            }
        })
        .await?;
    Ok(out.and_then(|o| {
        o.resource_record_sets().iter().find(|r| r.r#type().as_str() == kind && same_name(r.name(), name)).cloned()
    }))
}

/// The record in CloudFormation's shape. `Name`, `HostedZoneId` and the alias target's
/// `DNSName` (when known) keep the stack's spelling when Route53's means the same; otherwise an
/// alias target's name is read back in lower case (ELB names as this stack derives them).
fn observe(id: LogicalId, zone: &str, name: &str, alias_dns: Option<&str>, r: &ResourceRecordSet) -> Observed {
    let kind = r.r#type().as_str().to_owned();
    let read_name = if same_name(r.name(), name) { name.to_owned() } else { dns_name(r.name()) };
    let o = Observed::new(id, SdkKind::RecordSet.cfn_type(), physical_id(zone, name, &kind))
        .prop("HostedZoneId", zone)
        .prop("Name", read_name)
        .prop("Type", kind);
    if let Some(a) = r.alias_target() {
        let dns = match alias_dns {
            Some(want) if same_name(a.dns_name(), want) => want.to_owned(),
            _ => dns_name(a.dns_name()).to_ascii_lowercase(),
        };
        o.prop(
            "AliasTarget",
            serde_json::json!({ "DNSName": dns, "HostedZoneId": a.hosted_zone_id(), "EvaluateTargetHealth": a.evaluate_target_health() }),
        )
        .prop("TTL", Json::Null)
        .prop("ResourceRecords", Json::Null)
    } else {
        let values: Vec<Json> = r.resource_records().iter().map(|v| Json::String(v.value().to_owned())).collect();
        o.prop("AliasTarget", Json::Null)
            .prop("TTL", r.ttl().map_or(Json::Null, |t| Json::String(t.to_string())))
            .prop("ResourceRecords", values)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_normalised() {
        assert_eq!(dns_name("survey.example.org."), "survey.example.org");
        assert_eq!(dns_name("\\052.example.org."), "*.example.org");
        assert!(same_name("Survey.Example.org.", "survey.example.org"));
        assert_eq!(zone_id("/hostedzone/Z123"), "Z123");
    }

    #[test]
    fn physical_ids_round_trip() {
        let id = physical_id("/hostedzone/Z1", "a.example.org.", "A");
        assert_eq!(id, "Z1|a.example.org|A");
        assert_eq!(split_physical_id(&id), Some(("Z1", "a.example.org", "A")));
    }
}
