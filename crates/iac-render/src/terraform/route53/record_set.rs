//! A DNS record (`aws_route53_record`): an alias or plain values.

use iac_core::model::{RecordSet, RecordTarget, ResourceEntry};

use crate::error::RenderError;
use crate::terraform::{Args, TfContext, ToTerraform};

impl ToTerraform for RecordSet {
    fn arguments(&self, cx: &mut TfContext<'_>, _: &ResourceEntry) -> Result<Args, RenderError> {
        let mut a = Args::default();
        a.set("zone_id", cx.expr(&self.hosted_zone_id, "zone_id")?)
            .set("name", cx.expr(&self.name, "name")?)
            .set("type", self.record_type.as_aws());
        match &self.target {
            RecordTarget::Alias { dns_name, hosted_zone_id, evaluate_target_health } => {
                let mut alias = Args::default();
                alias
                    .set("name", cx.expr(dns_name, "alias.name")?)
                    .set("zone_id", cx.expr(hosted_zone_id, "alias.zone_id")?)
                    .set("evaluate_target_health", *evaluate_target_health);
                a.nested("alias", alias);
            }
            RecordTarget::Values { ttl, values } => {
                a.set("ttl", *ttl).set("records", cx.exprs(values, "records")?);
            }
        }
        Ok(a)
    }
}
