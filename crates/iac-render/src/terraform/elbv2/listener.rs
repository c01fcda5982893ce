//! A listener (`aws_lb_listener`): forward or redirect to HTTPS; certificates after the first are `aws_lb_listener_certificate` blocks.

use hcl::Expression;
use iac_core::model::{AppProtocol, Listener, ListenerAction, ResourceEntry};

use crate::error::RenderError;
use crate::terraform::traversal;
use crate::terraform::{Args, TfContext, ToTerraform};

impl ToTerraform for Listener {
    fn arguments(&self, cx: &mut TfContext<'_>, _: &ResourceEntry) -> Result<Args, RenderError> {
        let mut a = Args::default();
        a.set("load_balancer_arn", cx.expr(&self.load_balancer_arn, "load_balancer_arn")?)
            .set("port", self.port)
            .set("protocol", self.protocol.as_aws())
            .set_opt("ssl_policy", self.ssl_policy.as_deref().map(Expression::from));
        if let Some(first) = self.certificate_arns.first() {
            a.set("certificate_arn", cx.expr(first, "certificate_arn")?);
        }
        let mut action = Args::default();
        match &self.default_action {
            ListenerAction::Forward(tg) => {
                action.set("type", "forward").set("target_group_arn", cx.expr(tg, "default_action.target_group_arn")?);
            }
            ListenerAction::RedirectToHttps { port } => {
                let mut redirect = Args::default();
                redirect
                    .set("port", port.to_string())
                    .set("protocol", AppProtocol::Https.as_aws())
                    .set("status_code", "HTTP_301");
                action.set("type", "redirect").nested("redirect", redirect);
            }
        }
        a.nested("default_action", action);
        let label = cx.label().to_owned();
        for (i, cert) in self.certificate_arns.iter().enumerate().skip(1) {
            let mut c = Args::default();
            c.set("listener_arn", traversal("aws_lb_listener", &[&label, "arn"]))
                .set("certificate_arn", cx.expr(cert, "certificate_arn")?);
            cx.extra("aws_lb_listener_certificate", format!("{label}_{i}"), c);
        }
        Ok(a)
    }
}
