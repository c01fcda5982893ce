//! A DigitalOcean firewall (`digitalocean_firewall`) around droplets.

use hcl::Expression;
use iac_core::model::{DoFirewall, ResourceEntry};

use crate::error::RenderError;
use crate::terraform::{Args, TfContext, ToTerraform};

impl ToTerraform for DoFirewall {
    fn arguments(&self, cx: &mut TfContext<'_>, _: &ResourceEntry) -> Result<Args, RenderError> {
        let mut a = Args::default();
        a.set("name", self.name.as_str()).set("droplet_ids", cx.exprs(&self.droplet_ids, "droplet_ids")?);
        let addresses = |v: &[String]| Expression::Array(v.iter().map(|x| Expression::from(x.as_str())).collect());
        for rule in &self.inbound {
            let mut b = Args::default();
            b.set("protocol", rule.protocol.as_str())
                .set("port_range", rule.ports.as_str())
                .set("source_addresses", addresses(&rule.addresses));
            a.nested("inbound_rule", b);
        }
        for rule in &self.outbound {
            let mut b = Args::default();
            b.set("protocol", rule.protocol.as_str())
                .set("port_range", rule.ports.as_str())
                .set("destination_addresses", addresses(&rule.addresses));
            a.nested("outbound_rule", b);
        }
        // No `tags`: on a firewall they select more droplets (any with one of those tags).
        Ok(a)
    }
}
