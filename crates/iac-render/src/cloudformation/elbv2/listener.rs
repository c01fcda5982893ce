//! A listener (`AWS::ElasticLoadBalancingV2::Listener`): forward or redirect to HTTPS.

use iac_core::model::{AppProtocol, Listener, ListenerAction, ResourceEntry};
use serde_json::{Value as Json, json};

use crate::cloudformation::{CfnContext, ToCloudFormation};
use crate::error::RenderError;

impl ToCloudFormation for Listener {
    fn properties(&self, cx: &mut CfnContext<'_>, _: &ResourceEntry) -> Result<Json, RenderError> {
        let action = match &self.default_action {
            ListenerAction::Forward(tg) => json!({ "Type": "forward", "TargetGroupArn": cx.value(tg, "")? }),
            ListenerAction::RedirectToHttps { port } => json!({
                "Type": "redirect",
                "RedirectConfig": { "Protocol": "HTTPS", "Port": port.to_string(), "StatusCode": "HTTP_301" },
            }),
        };
        let mut p = json!({
            "LoadBalancerArn": cx.value(&self.load_balancer_arn, "")?,
            "Port": self.port,
            "Protocol": self.protocol.as_aws(),
            "DefaultActions": [action],
        });
        if self.protocol == AppProtocol::Https {
            let certs = self
                .certificate_arns
                .iter()
                .map(|c| Ok(json!({ "CertificateArn": cx.value(c, "")? })))
                .collect::<Result<Vec<_>, RenderError>>()?;
            p["Certificates"] = Json::Array(certs);
            if let Some(policy) = &self.ssl_policy {
                p["SslPolicy"] = json!(policy);
            }
        }
        Ok(p)
    }
}
