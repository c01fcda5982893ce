//! An ingress rule of its own (`aws_vpc_security_group_ingress_rule`).

use iac_core::model::{Peer, Protocol, ResourceEntry, SecurityGroupIngress};

use crate::error::RenderError;
use crate::terraform::{Args, TfContext, ToTerraform};

impl ToTerraform for SecurityGroupIngress {
    fn arguments(&self, cx: &mut TfContext<'_>, _: &ResourceEntry) -> Result<Args, RenderError> {
        let rule = &self.rule;
        let mut a = Args::default();
        a.set("security_group_id", cx.expr(&self.group_id, "security_group_id")?)
            .set("ip_protocol", rule.protocol.as_aws());
        if rule.protocol != Protocol::All {
            a.set("from_port", rule.from_port).set("to_port", rule.to_port);
        }
        match &rule.peer {
            Peer::Group(v) => a.set("referenced_security_group_id", cx.expr(v, "referenced_security_group_id")?),
            Peer::Cidr(v) => a.set("cidr_ipv4", cx.expr(v, "cidr_ipv4")?),
            Peer::CidrV6(v) => a.set("cidr_ipv6", cx.expr(v, "cidr_ipv6")?),
        };
        a.set("description", rule.description.as_str());
        Ok(a)
    }
}
