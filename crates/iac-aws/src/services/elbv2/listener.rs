//! `AWS::ElasticLoadBalancingV2::Listener`: tagged by the engine (CloudFormation cannot tag one);
//! port, protocol, certificates, TLS policy and default actions change in place.

use super::{
    Action, ActionTypeEnum, Adapter, AwsError, AwsListener, Certificate, Ctx, Deserialize, Desired,
    FixedResponseActionConfig, ForwardActionConfig, HashSet, Json, Listener, LogicalId, Map, Observed, ProtocolEnum,
    RedirectActionConfig, RedirectActionStatusCodeEnum, ResourceEntry, SdkKind, TAG_STACK, Tags, TargetGroupTuple,
    Value, absent_on, add_tags, de, json, own_tags, sdk_tags, tags_of,
};

/// The desired properties of an `AWS::ElasticLoadBalancingV2::Listener`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct ListenerProps {
    pub(crate) load_balancer_arn: String,
    #[serde(default, deserialize_with = "de::opt_int")]
    pub(crate) port: Option<i32>,
    #[serde(default)]
    pub(crate) protocol: Option<String>,
    #[serde(default)]
    pub(crate) ssl_policy: Option<String>,
    #[serde(default)]
    pub(crate) certificates: Vec<CertificateProps>,
    #[serde(default)]
    pub(crate) default_actions: Vec<ActionProps>,
}

/// A listener's certificate.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct CertificateProps {
    pub(crate) certificate_arn: String,
}

/// A listener action.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct ActionProps {
    pub(crate) r#type: String,
    #[serde(default)]
    pub(crate) target_group_arn: Option<String>,
    #[serde(default, deserialize_with = "de::opt_int")]
    pub(crate) order: Option<i32>,
    #[serde(default)]
    pub(crate) redirect_config: Option<RedirectProps>,
    #[serde(default)]
    pub(crate) fixed_response_config: Option<FixedResponseProps>,
    #[serde(default)]
    pub(crate) forward_config: Option<ForwardProps>,
}

/// A redirect action's configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct RedirectProps {
    #[serde(default)]
    pub(crate) protocol: Option<String>,
    #[serde(default, deserialize_with = "de::opt_text")]
    pub(crate) port: Option<String>,
    #[serde(default)]
    pub(crate) host: Option<String>,
    #[serde(default)]
    pub(crate) path: Option<String>,
    #[serde(default)]
    pub(crate) query: Option<String>,
    pub(crate) status_code: String,
}

/// A fixed-response action's configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct FixedResponseProps {
    #[serde(deserialize_with = "de::text")]
    pub(crate) status_code: String,
    #[serde(default)]
    pub(crate) content_type: Option<String>,
    #[serde(default)]
    pub(crate) message_body: Option<String>,
}

/// A forward action's target groups.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct ForwardProps {
    #[serde(default)]
    pub(crate) target_groups: Vec<WeightedTargetGroup>,
}

/// A target group of a forward action, with its weight.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct WeightedTargetGroup {
    pub(crate) target_group_arn: String,
    #[serde(default, deserialize_with = "de::opt_int")]
    pub(crate) weight: Option<i32>,
}

impl Desired for ListenerProps {}

impl Adapter for Listener {
    type Props = ListenerProps;

    /// Creates the listener with the engine's own tags (CloudFormation cannot tag one).
    async fn create(
        ctx: &Ctx<'_>,
        entry: &ResourceEntry,
        props: &ListenerProps,
        tags: &Tags,
    ) -> Result<Observed, AwsError> {
        let id = entry.id.as_str();
        let tags = own_tags(ctx, &entry.id, tags);
        let req = ctx
            .clients
            .elbv2
            .create_listener()
            .load_balancer_arn(&props.load_balancer_arn)
            .set_port(props.port)
            .set_protocol(props.protocol.as_deref().map(ProtocolEnum::from))
            .set_ssl_policy(props.ssl_policy.clone())
            .set_certificates(certificates(props))
            .set_default_actions(Some(actions(&props.default_actions)))
            .set_tags(Some(sdk_tags(&tags)));
        let out = ctx
            .retry(id, "elasticloadbalancing:CreateListener", &["TargetGroupNotFound", "CertificateNotFound"], || {
                req.clone().send()
            })
            .await?;
        let arn = out.listeners().first().and_then(AwsListener::listener_arn).map(str::to_owned);
        let arn = arn.ok_or_else(|| ctx.fail(id, "elasticloadbalancing:CreateListener", "no listener ARN"))?;
        read_listener(ctx, &entry.id, &arn).await
    }

    /// Port, protocol, certificates, TLS policy and default actions change in place.
    async fn update(
        ctx: &Ctx<'_>,
        entry: &ResourceEntry,
        current: &Observed,
        props: &ListenerProps,
        tags: &Tags,
    ) -> Result<Observed, AwsError> {
        let id = entry.id.as_str();
        let arn = current.physical_id.as_str();
        let req = ctx
            .clients
            .elbv2
            .modify_listener()
            .listener_arn(arn)
            .set_port(props.port)
            .set_protocol(props.protocol.as_deref().map(ProtocolEnum::from))
            .set_ssl_policy(props.ssl_policy.clone())
            .set_certificates(certificates(props))
            .set_default_actions(Some(actions(&props.default_actions)));
        ctx.retry(id, "elasticloadbalancing:ModifyListener", &["TargetGroupNotFound", "CertificateNotFound"], || {
            req.clone().send()
        })
        .await?;
        add_tags(ctx, id, arn, &own_tags(ctx, &entry.id, tags)).await?;
        read_listener(ctx, &entry.id, arn).await
    }

    /// Deletes the listener.
    async fn delete(ctx: &Ctx<'_>, current: &Observed) -> Result<(), AwsError> {
        let req = ctx.clients.elbv2.delete_listener().listener_arn(&current.physical_id);
        ctx.retry(current.id.as_str(), "elasticloadbalancing:DeleteListener", &[], || {
            let req = req.clone();
            async move { absent_on(req.send().await, &["ListenerNotFound"]) }
        })
        .await?;
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// Listeners

pub(super) async fn read_listener(ctx: &Ctx<'_>, id: &LogicalId, arn: &str) -> Result<Observed, AwsError> {
    let req = ctx.clients.elbv2.describe_listeners().listener_arns(arn);
    let out = ctx
        .retry(id.as_str(), "elasticloadbalancing:DescribeListeners", &["ListenerNotFound"], || req.clone().send())
        .await?;
    let l = out
        .listeners()
        .first()
        .ok_or_else(|| ctx.fail(id.as_str(), "elasticloadbalancing:DescribeListeners", "the listener is gone"))?;
    Ok(observe_listener(id.clone(), l))
}

pub(super) fn observe_listener(id: LogicalId, l: &AwsListener) -> Observed {
    let arn = l.listener_arn().unwrap_or_default();
    let mut o = Observed::new(id, SdkKind::Listener.cfn_type(), arn).attr("ListenerArn", arn);
    if let Some(lb) = l.load_balancer_arn() {
        o = o.prop("LoadBalancerArn", lb);
    }
    if let Some(port) = l.port() {
        o = o.prop("Port", port);
    }
    let protocol = l.protocol().map(ProtocolEnum::as_str).unwrap_or_default();
    if !protocol.is_empty() {
        o = o.prop("Protocol", protocol);
    }
    o = o.prop("DefaultActions", l.default_actions().iter().map(action_json).collect::<Vec<_>>());
    // Plain HTTP listeners have neither (moto reports a TLS policy on them anyway).
    if matches!(protocol, "HTTPS" | "TLS") {
        let certs: Vec<Json> = l
            .certificates()
            .iter()
            .filter_map(|c| c.certificate_arn())
            .map(|c| json!({ "CertificateArn": c }))
            .collect();
        o = o.prop("Certificates", certs);
        if let Some(p) = l.ssl_policy() {
            o = o.prop("SslPolicy", p);
        }
    }
    o
}

pub(super) fn action_json(a: &Action) -> Json {
    let mut m = Map::new();
    if let Some(t) = a.r#type() {
        m.insert("Type".into(), json!(t.as_str()));
    }
    if let Some(arn) = a.target_group_arn() {
        m.insert("TargetGroupArn".into(), json!(arn));
    }
    if let Some(order) = a.order() {
        m.insert("Order".into(), json!(order));
    }
    if let Some(r) = a.redirect_config() {
        let mut c = Map::new();
        for (k, v) in [
            ("Protocol", r.protocol()),
            ("Port", r.port()),
            ("Host", r.host()),
            ("Path", r.path()),
            ("Query", r.query()),
        ] {
            if let Some(v) = v {
                c.insert(k.into(), json!(v));
            }
        }
        if let Some(code) = r.status_code() {
            c.insert("StatusCode".into(), json!(code.as_str()));
        }
        m.insert("RedirectConfig".into(), Json::Object(c));
    }
    if let Some(f) = a.fixed_response_config() {
        let mut c = Map::new();
        for (k, v) in
            [("StatusCode", f.status_code()), ("ContentType", f.content_type()), ("MessageBody", f.message_body())]
        {
            if let Some(v) = v {
                c.insert(k.into(), json!(v));
            }
        }
        m.insert("FixedResponseConfig".into(), Json::Object(c));
    }
    if let Some(f) = a.forward_config() {
        let groups: Vec<Json> = f
            .target_groups()
            .iter()
            .map(|t| {
                let mut g = json!({ "TargetGroupArn": t.target_group_arn().unwrap_or_default() });
                if let Some(w) = t.weight() {
                    g["Weight"] = json!(w);
                }
                g
            })
            .collect();
        m.insert("ForwardConfig".into(), json!({ "TargetGroups": groups }));
    }
    Json::Object(m)
}

/// The listeners of this stack's load balancers: tagged ones by their tags, untagged ones by
/// matching the stack's listener entries (same load balancer, same port).
pub(super) async fn discover_listeners(ctx: &Ctx<'_>, lbs: &[Observed]) -> Result<Vec<Observed>, AwsError> {
    let mut out = Vec::new();
    for lb in lbs {
        let mut found = Vec::new();
        let mut marker: Option<String> = None;
        loop {
            let req =
                ctx.clients.elbv2.describe_listeners().load_balancer_arn(&lb.physical_id).set_marker(marker.clone());
            let page = ctx
                .retry(lb.id.as_str(), "elasticloadbalancing:DescribeListeners", &[], || {
                    let req = req.clone();
                    async move { absent_on(req.send().await, &["LoadBalancerNotFound"]) }
                })
                .await?;
            let Some(page) = page else { break };
            found.extend(page.listeners().iter().cloned());
            marker = page.next_marker().filter(|m| !m.is_empty()).map(str::to_owned);
            if marker.is_none() {
                break;
            }
        }
        let arns: Vec<String> = found.iter().filter_map(|l| l.listener_arn().map(str::to_owned)).collect();
        let tags = tags_of(ctx, &arns, "ListenerNotFound").await?;
        let mut untagged = Vec::new();
        let mut seen: HashSet<LogicalId> = HashSet::new();
        for l in &found {
            let t = l.listener_arn().and_then(|a| tags.get(a));
            match t.and_then(|t| ctx.ours(t)) {
                Some((id, hash)) => {
                    seen.insert(id.clone());
                    let mut o = observe_listener(id, l);
                    o.hash = hash;
                    out.push(o);
                }
                None if t.is_none_or(|t| !t.iter().any(|(k, _)| k == TAG_STACK)) => untagged.push(l),
                None => {}
            }
        }
        for l in untagged {
            let entry = ctx.stack.resources().find(|e| {
                e.resource.get::<Listener>().is_some_and(|x| {
                    !seen.contains(&e.id)
                        && matches!(&x.load_balancer_arn, Value::Attr(r) if r.id == lb.id)
                        && l.port() == Some(i32::from(x.port))
                })
            });
            if let Some(entry) = entry {
                seen.insert(entry.id.clone());
                out.push(observe_listener(entry.id.clone(), l));
            }
        }
    }
    Ok(out)
}

pub(super) fn certificates(props: &ListenerProps) -> Option<Vec<Certificate>> {
    let certs: Vec<Certificate> =
        props.certificates.iter().map(|c| Certificate::builder().certificate_arn(&c.certificate_arn).build()).collect();
    (!certs.is_empty()).then_some(certs)
}

/// `DefaultActions` in CloudFormation's shape to SDK actions.
pub(super) fn actions(list: &[ActionProps]) -> Vec<Action> {
    list.iter()
        .map(|a| {
            let mut builder = Action::builder()
                .r#type(ActionTypeEnum::from(a.r#type.as_str()))
                .set_target_group_arn(a.target_group_arn.clone())
                .set_order(a.order);
            if let Some(r) = &a.redirect_config {
                builder = builder.redirect_config(
                    RedirectActionConfig::builder()
                        .set_protocol(r.protocol.clone())
                        .set_port(r.port.clone())
                        .set_host(r.host.clone())
                        .set_path(r.path.clone())
                        .set_query(r.query.clone())
                        .status_code(RedirectActionStatusCodeEnum::from(r.status_code.as_str()))
                        .build(),
                );
            }
            if let Some(f) = &a.fixed_response_config {
                builder = builder.fixed_response_config(
                    FixedResponseActionConfig::builder()
                        .status_code(&f.status_code)
                        .set_content_type(f.content_type.clone())
                        .set_message_body(f.message_body.clone())
                        .build(),
                );
            }
            if let Some(f) = &a.forward_config {
                let groups: Vec<TargetGroupTuple> = f
                    .target_groups
                    .iter()
                    .map(|t| {
                        TargetGroupTuple::builder().target_group_arn(&t.target_group_arn).set_weight(t.weight).build()
                    })
                    .collect();
                builder =
                    builder.forward_config(ForwardActionConfig::builder().set_target_groups(Some(groups)).build());
            }
            builder.build()
        })
        .collect()
}
