//! A DigitalOcean droplet (`digitalocean_droplet`), its user data as text.

use hcl::Expression;
use iac_core::model::{Droplet, ResourceEntry};

use crate::error::RenderError;
use crate::terraform::{Args, TfContext, ToTerraform};

impl ToTerraform for Droplet {
    fn arguments(&self, cx: &mut TfContext<'_>, _: &ResourceEntry) -> Result<Args, RenderError> {
        let mut a = Args::default();
        a.set("name", self.name.as_str())
            .set("region", self.region.as_str())
            .set("size", self.size.as_str())
            .set("image", self.image.as_str());
        if !self.ssh_keys.is_empty() {
            a.set("ssh_keys", Expression::Array(self.ssh_keys.iter().map(|k| Expression::from(k.as_str())).collect()));
        }
        a.set("monitoring", self.monitoring).set("backups", self.backups).set("ipv6", self.ipv6);
        if self.user_data.is_some() {
            // The provider takes the document as text (it keeps a hash of it in the state).
            a.set("user_data", cx.user_data_text()?);
        }
        a.set("tags", do_tags(cx));
        Ok(a)
    }
}

/// The stack's tags as DigitalOcean tags (`key:value`; other characters become `-`).
fn do_tags(cx: &TfContext<'_>) -> Expression {
    let tags = cx.stack().tags().iter().map(|(k, v)| {
        let t: String = format!("{k}:{v}")
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() || ":-_".contains(c) { c } else { '-' })
            .collect();
        Expression::from(t)
    });
    Expression::Array(tags.collect())
}
