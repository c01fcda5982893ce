//! A security group (`aws_security_group`) with its inline rules.

use hcl::Expression;
use iac_core::model::{Peer, Protocol, ResourceEntry, Rule, SecurityGroup};

use crate::error::RenderError;
use crate::terraform::{Args, TfContext, ToTerraform};

impl ToTerraform for SecurityGroup {
    fn arguments(&self, cx: &mut TfContext<'_>, entry: &ResourceEntry) -> Result<Args, RenderError> {
        let mut a = Args::default();
        a.set_opt("name", cx.name(entry).map(Expression::from))
            .set("description", self.description.as_str())
            .set("vpc_id", cx.expr(&self.vpc_id, "vpc_id")?);
        // No inline ingress at all when the model has none: rules come from separate
        // `aws_vpc_security_group_ingress_rule` resources, which an inline list would fight.
        for rule in &self.ingress {
            let block = inline_rule(cx, rule, "ingress")?;
            a.nested("ingress", block);
        }
        if self.egress.is_empty() {
            // Attribute form: no egress at all (not AWS's allow-all default).
            a.set("egress", Expression::Array(Vec::new()));
        }
        for rule in &self.egress {
            let block = inline_rule(cx, rule, "egress")?;
            a.nested("egress", block);
        }
        a.set_opt("tags", cx.tags(entry));
        Ok(a)
    }
}

/// An inline `ingress` or `egress` block of a security group.
fn inline_rule(cx: &mut TfContext<'_>, rule: &Rule, prop: &str) -> Result<Args, RenderError> {
    let (from, to) = if rule.protocol == Protocol::All { (0, 0) } else { (rule.from_port, rule.to_port) };
    let mut a = Args::default();
    a.set("protocol", rule.protocol.as_aws()).set("from_port", from).set("to_port", to);
    match &rule.peer {
        Peer::Cidr(v) => a.set("cidr_blocks", vec![cx.expr(v, prop)?]),
        Peer::CidrV6(v) => a.set("ipv6_cidr_blocks", vec![cx.expr(v, prop)?]),
        Peer::Group(v) => a.set("security_groups", vec![cx.expr(v, prop)?]),
    };
    a.set("description", rule.description.as_str());
    Ok(a)
}
