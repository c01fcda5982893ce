//! `AWS::EC2::Instance`: launched from its `LaunchTemplate` when it has one (as CloudFormation
//! does: the host pattern gives every single instance a template of its metadata options, IMDSv2
//! required, which `AWS::EC2::Instance` cannot carry itself), waited on until `running`; security
//! groups, monitoring and profile change in place, type, user data and EBS optimisation with a
//! stop and start; another template replaces it (its spec). `MetadataOptions` of its own (only
//! through an override) are sent as given; without either, the account's default applies, as in
//! CloudFormation.
//!
//! The template is read back from the `aws:ec2launchtemplate:id` and `:version` tags EC2 puts on
//! an instance launched from one. moto keeps those tags but does not apply a template's metadata
//! options to the instance (moto.md), so a test there checks the template, not the instance.

use super::*;

/// The desired properties of an `AWS::EC2::Instance`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct InstanceProps {
    #[serde(default)]
    pub(crate) image_id: Option<String>,
    #[serde(default)]
    pub(crate) instance_type: Option<String>,
    #[serde(default)]
    pub(crate) subnet_id: Option<String>,
    #[serde(default)]
    pub(crate) security_group_ids: Option<Vec<String>>,
    #[serde(default, deserialize_with = "de::opt_bool")]
    pub(crate) ebs_optimized: Option<bool>,
    #[serde(default, deserialize_with = "de::opt_bool")]
    pub(crate) monitoring: Option<bool>,
    /// The profile's name.
    #[serde(default)]
    pub(crate) iam_instance_profile: Option<String>,
    #[serde(default)]
    pub(crate) block_device_mappings: Option<Vec<BlockDeviceProps>>,
    #[serde(default)]
    pub(crate) key_name: Option<String>,
    #[serde(default)]
    pub(crate) user_data: Option<String>,
    /// Not in CloudFormation's `AWS::EC2::Instance` (an override); the launch template carries them.
    #[serde(default)]
    pub(crate) metadata_options: Option<MetadataOptionsProps>,
    #[serde(default)]
    pub(crate) launch_template: Option<LaunchTemplateRef>,
    #[serde(default)]
    pub(crate) availability_zone: Option<String>,
    #[serde(default)]
    pub(crate) private_ip_address: Option<String>,
    #[serde(default, deserialize_with = "de::opt_bool")]
    pub(crate) disable_api_termination: Option<bool>,
    #[serde(default)]
    pub(crate) instance_initiated_shutdown_behavior: Option<String>,
    #[serde(default)]
    pub(crate) tags: Vec<CfnTag>,
}

/// An instance's `LaunchTemplate`: the template's id (or name) and version.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct LaunchTemplateRef {
    #[serde(default, deserialize_with = "de::opt_text")]
    pub(crate) launch_template_id: Option<String>,
    #[serde(default, deserialize_with = "de::opt_text")]
    pub(crate) launch_template_name: Option<String>,
    #[serde(deserialize_with = "de::text")]
    pub(crate) version: String,
}

impl InstanceProps {
    /// The properties an instance reads back ([`observe_instance`]), in the template's shape.
    fn observable(&self) -> Json {
        json!({
            "ImageId": self.image_id,
            "InstanceType": self.instance_type,
            "SubnetId": self.subnet_id,
            "SecurityGroupIds": self.security_group_ids,
            "EbsOptimized": self.ebs_optimized,
            "Monitoring": self.monitoring,
            "IamInstanceProfile": self.iam_instance_profile,
            "KeyName": self.key_name,
            "UserData": self.user_data,
        })
    }
}

tagged!(InstanceProps);

impl Adapter for model::Instance {
    type Props = InstanceProps;

    async fn create(
        ctx: &Ctx<'_>,
        entry: &ResourceEntry,
        props: &InstanceProps,
        tags: &Tags,
    ) -> Result<Observed, AwsError> {
        create_instance(ctx, &entry.id, props, tags).await
    }

    /// See [`update_instance`].
    async fn update(
        ctx: &Ctx<'_>,
        entry: &ResourceEntry,
        current: &Observed,
        props: &InstanceProps,
        tags: &Tags,
    ) -> Result<Observed, AwsError> {
        update_instance(ctx, &entry.id, current, props, tags).await
    }

    /// Terminated, and waited for until gone.
    async fn delete(ctx: &Ctx<'_>, current: &Observed) -> Result<(), AwsError> {
        delete_instance(ctx, current.id.as_str(), &current.physical_id).await
    }
}

// ---------------------------------------------------------------------------------------------
// Instance.

pub(super) fn profile_spec(profile: &str) -> IamInstanceProfileSpecification {
    if profile.starts_with("arn:") {
        IamInstanceProfileSpecification::builder().arn(profile).build()
    } else {
        IamInstanceProfileSpecification::builder().name(profile).build()
    }
}

/// The instance's own metadata options, when an override gives it some (otherwise its launch
/// template's, or the account's default, as in CloudFormation).
pub(super) fn metadata_options(props: &InstanceProps) -> Option<InstanceMetadataOptionsRequest> {
    let m = props.metadata_options.as_ref()?;
    Some(
        InstanceMetadataOptionsRequest::builder()
            .set_http_endpoint(m.http_endpoint.as_deref().map(InstanceMetadataEndpointState::from))
            .set_http_tokens(m.http_tokens.as_deref().map(HttpTokensState::from))
            .set_http_put_response_hop_limit(m.http_put_response_hop_limit)
            .build(),
    )
}

/// The launch template to launch from.
fn launch_template(props: &InstanceProps) -> Option<aws_sdk_ec2::types::LaunchTemplateSpecification> {
    let t = props.launch_template.as_ref()?;
    Some(
        aws_sdk_ec2::types::LaunchTemplateSpecification::builder()
            .set_launch_template_id(t.launch_template_id.clone())
            .set_launch_template_name(t.launch_template_name.clone())
            .version(&t.version)
            .build(),
    )
}

pub(super) fn block_devices(props: &InstanceProps) -> Option<Vec<BlockDeviceMapping>> {
    let mappings = props.block_device_mappings.as_ref()?;
    Some(
        mappings
            .iter()
            .map(|m| {
                let ebs = m.ebs.as_ref().map(|e| {
                    EbsBlockDevice::builder()
                        .set_volume_size(e.volume_size)
                        .set_volume_type(e.volume_type.as_deref().map(VolumeType::from))
                        .set_encrypted(e.encrypted)
                        .set_delete_on_termination(e.delete_on_termination)
                        .set_iops(e.iops)
                        .set_throughput(e.throughput)
                        .set_kms_key_id(e.kms_key_id.clone())
                        .set_snapshot_id(e.snapshot_id.clone())
                        .build()
                });
                BlockDeviceMapping::builder()
                    .set_device_name(m.device_name.clone())
                    .set_no_device(m.no_device.clone())
                    .set_virtual_name(m.virtual_name.clone())
                    .set_ebs(ebs)
                    .build()
            })
            .collect(),
    )
}

pub(super) async fn create_instance(
    ctx: &Ctx<'_>,
    id: &LogicalId,
    props: &InstanceProps,
    tags: &Tags,
) -> Result<Observed, AwsError> {
    let ec2 = &ctx.clients.ec2;
    let profile = props.iam_instance_profile.clone().filter(|p| !p.is_empty());
    // An instance profile IAM has not propagated yet is "invalid" for a while.
    let mut retry = vec!["InvalidGroup.NotFound", "InvalidSubnetID.NotFound", "InvalidSubnetId.NotFound"];
    if profile.is_some() {
        retry.push("InvalidParameterValue");
    }
    let request = ec2
        .run_instances()
        .min_count(1)
        .max_count(1)
        .set_image_id(props.image_id.clone())
        .set_instance_type(props.instance_type.as_deref().map(InstanceType::from))
        .set_subnet_id(props.subnet_id.clone())
        .set_security_group_ids(props.security_group_ids.clone())
        .set_ebs_optimized(props.ebs_optimized)
        .set_monitoring(props.monitoring.map(|m| RunInstancesMonitoringEnabled::builder().enabled(m).build()))
        .set_iam_instance_profile(profile.as_deref().map(profile_spec))
        .set_block_device_mappings(block_devices(props))
        .set_key_name(props.key_name.clone())
        .set_user_data(props.user_data.clone())
        .set_private_ip_address(props.private_ip_address.clone())
        .set_placement(props.availability_zone.clone().map(|z| Placement::builder().availability_zone(z).build()))
        .set_disable_api_termination(props.disable_api_termination)
        .set_instance_initiated_shutdown_behavior(
            props.instance_initiated_shutdown_behavior.as_deref().map(ShutdownBehavior::from),
        )
        .set_launch_template(launch_template(props))
        .set_metadata_options(metadata_options(props))
        .tag_specifications(tag_spec(ResourceType::Instance, tags))
        .tag_specifications(tag_spec(ResourceType::Volume, tags));
    let out = ctx.retry(id.as_str(), "ec2:RunInstances", &retry, || request.clone().send()).await?;
    let instance_id = out.instances().first().and_then(|x| x.instance_id()).unwrap_or_default().to_owned();
    wait_instance(ctx, id.as_str(), &instance_id, &InstanceStateName::Running).await?;
    read_instance(ctx, id, &instance_id).await
}

pub(super) async fn describe_instance(
    ctx: &Ctx<'_>,
    id: &str,
    instance_id: &str,
) -> Result<Option<Instance>, AwsError> {
    let ec2 = &ctx.clients.ec2;
    let out = tolerant(ctx, id, "ec2:DescribeInstances", &[], &["InvalidInstanceID.NotFound"], || {
        ec2.describe_instances().instance_ids(instance_id).send()
    })
    .await?;
    Ok(out.and_then(|o| {
        o.reservations().iter().flat_map(|r| r.instances()).find(|x| x.instance_id() == Some(instance_id)).cloned()
    }))
}

/// Polls until the instance is in `state` (a missing instance counts as terminated).
pub(super) async fn wait_instance(
    ctx: &Ctx<'_>,
    id: &str,
    instance_id: &str,
    state: &InstanceStateName,
) -> Result<(), AwsError> {
    ctx.wait_for(id, state.as_str(), move || async move {
        let x = describe_instance(ctx, id, instance_id).await?;
        let now = x.as_ref().and_then(|x| x.state()).and_then(|s| s.name()).cloned();
        match now {
            None if *state == InstanceStateName::Terminated => Ok(Some(())),
            Some(s) if s == *state => Ok(Some(())),
            Some(InstanceStateName::Terminated | InstanceStateName::ShuttingDown)
                if *state != InstanceStateName::Terminated =>
            {
                let why =
                    x.as_ref().and_then(|x| x.state_reason()).and_then(|r| r.message()).unwrap_or("no reason given");
                Err(ctx.fail(
                    id,
                    "ec2:RunInstances",
                    format!("{instance_id} is terminating instead of {}: {why}", state.as_str()),
                ))
            }
            _ => Ok(None),
        }
    })
    .await
}

/// The profile's name out of its ARN (`arn:aws:iam::1:instance-profile/path/name`).
pub(super) fn profile_name(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap_or(arn)
}

pub(super) async fn observe_instance(ctx: &Ctx<'_>, id: LogicalId, x: &Instance) -> Result<Observed, AwsError> {
    let ec2 = &ctx.clients.ec2;
    let instance_id = x.instance_id().unwrap_or_default();
    let user_data = ctx
        .retry(id.as_str(), "ec2:DescribeInstanceAttribute", &["InvalidInstanceID.NotFound"], || {
            ec2.describe_instance_attribute().instance_id(instance_id).attribute(InstanceAttributeName::UserData).send()
        })
        .await?;
    let groups: Vec<&str> = x.security_groups().iter().filter_map(|g| g.group_id()).collect();
    let monitoring =
        x.monitoring().and_then(|m| m.state()).is_some_and(|s| matches!(s.as_str(), "enabled" | "pending"));
    let mut o = Observed::new(id, SdkKind::Instance.cfn_type(), instance_id)
        .attr("InstanceId", instance_id)
        .attr("PrivateIp", x.private_ip_address().unwrap_or_default())
        .attr("PrivateDnsName", x.private_dns_name().unwrap_or_default())
        .attr("AvailabilityZone", x.placement().and_then(|p| p.availability_zone()).unwrap_or_default())
        .prop("ImageId", x.image_id().unwrap_or_default())
        .prop("InstanceType", x.instance_type().map_or("", |t| t.as_str()))
        .prop("SubnetId", x.subnet_id().unwrap_or_default())
        .prop("SecurityGroupIds", groups)
        .prop("EbsOptimized", x.ebs_optimized().unwrap_or(false))
        .prop("Monitoring", monitoring);
    if let Some(ip) = x.public_ip_address() {
        o = o.attr("PublicIp", ip);
    }
    if let Some(dns) = x.public_dns_name().filter(|d| !d.is_empty()) {
        o = o.attr("PublicDnsName", dns);
    }
    if let Some(arn) = x.iam_instance_profile().and_then(|p| p.arn()) {
        o = o.prop("IamInstanceProfile", profile_name(arn));
    }
    if let Some(key) = x.key_name() {
        o = o.prop("KeyName", key);
    }
    if let Some(data) = user_data.user_data().and_then(AttributeValue::value).filter(|d| !d.is_empty()) {
        o = o.prop("UserData", data);
    }
    let tag = |k: &str| x.tags().iter().find(|t| t.key() == Some(k)).and_then(|t| t.value());
    // Absent is `null`, as in a template without the property.
    let template = match (tag("aws:ec2launchtemplate:id"), tag("aws:ec2launchtemplate:version")) {
        (Some(template), Some(version)) => json!({ "LaunchTemplateId": template, "Version": version }),
        _ => Json::Null,
    };
    o = o.prop("LaunchTemplate", template);
    Ok(with_hash(o, x.tags()))
}

pub(super) async fn read_instance(ctx: &Ctx<'_>, id: &LogicalId, instance_id: &str) -> Result<Observed, AwsError> {
    let x = describe_instance(ctx, id.as_str(), instance_id)
        .await?
        .ok_or_else(|| ctx.fail(id.as_str(), "ec2:DescribeInstances", format!("{instance_id} is not listed")))?;
    observe_instance(ctx, id.clone(), &x).await
}

pub(super) async fn discover_instances(ctx: &Ctx<'_>) -> Result<Vec<Observed>, AwsError> {
    let ec2 = &ctx.clients.ec2;
    let mut filters = ours_filters(ctx);
    filters.push(filter("instance-state-name", ["pending", "running", "stopping", "stopped"]));
    let pages = paged(ctx, "-", "ec2:DescribeInstances", |t| {
        ec2.describe_instances().set_filters(Some(filters.clone())).set_next_token(t).send()
    })
    .await?;
    let mut out = Vec::new();
    for x in pages.iter().flat_map(|p| p.reservations()).flat_map(|r| r.instances()) {
        let live = x
            .state()
            .and_then(|s| s.name())
            .is_some_and(|s| !matches!(s, InstanceStateName::Terminated | InstanceStateName::ShuttingDown));
        if let (true, Some((id, _))) = (live, ours(ctx, x.tags())) {
            out.push(observe_instance(ctx, id, x).await?);
        }
    }
    Ok(out)
}

/// Security groups, monitoring and the instance profile change with no interruption; type,
/// user data and EBS optimisation need the instance stopped (as CloudFormation does).
pub(super) async fn update_instance(
    ctx: &Ctx<'_>,
    id: &LogicalId,
    current: &Observed,
    props: &InstanceProps,
    tags: &Tags,
) -> Result<Observed, AwsError> {
    let ec2 = &ctx.clients.ec2;
    let ids = id.as_str();
    let iid = current.physical_id.as_str();
    let differences = desired::changed(&props.observable(), &current.props);
    let changed = |k: &str| differences.iter().any(|c| c == k);
    if changed("SecurityGroupIds") {
        let groups = props.security_group_ids.clone().unwrap_or_default();
        ctx.retry(ids, "ec2:ModifyInstanceAttribute", &["InvalidGroup.NotFound"], || {
            ec2.modify_instance_attribute().instance_id(iid).set_groups(Some(groups.clone())).send()
        })
        .await?;
    }
    if changed("Monitoring") {
        if props.monitoring == Some(true) {
            ctx.retry(ids, "ec2:MonitorInstances", &[], || ec2.monitor_instances().instance_ids(iid).send()).await?;
        } else {
            ctx.retry(ids, "ec2:UnmonitorInstances", &[], || ec2.unmonitor_instances().instance_ids(iid).send())
                .await?;
        }
    }
    if changed("IamInstanceProfile") {
        set_profile(ctx, ids, iid, props.iam_instance_profile.clone().filter(|p| !p.is_empty())).await?;
    }
    let restart: Vec<&str> = ["InstanceType", "UserData", "EbsOptimized"].into_iter().filter(|k| changed(k)).collect();
    if !restart.is_empty() {
        ctx.retry(ids, "ec2:StopInstances", &[], || ec2.stop_instances().instance_ids(iid).send()).await?;
        wait_instance(ctx, ids, iid, &InstanceStateName::Stopped).await?;
        for k in restart {
            let call = ec2.modify_instance_attribute().instance_id(iid);
            let call = match k {
                "InstanceType" => call.instance_type(
                    AttributeValue::builder().value(props.instance_type.clone().unwrap_or_default()).build(),
                ),
                "EbsOptimized" => call.ebs_optimized(bool_value(props.ebs_optimized.unwrap_or(false))),
                _ => {
                    // The SDK base64-encodes blobs itself: send the script, not its encoding.
                    let text = props.user_data.clone().unwrap_or_default();
                    let raw = base64::engine::general_purpose::STANDARD
                        .decode(text.as_bytes())
                        .unwrap_or_else(|_| text.into_bytes());
                    call.user_data(SecureBlobAttributeValue::builder().value(Blob::new(raw)).build())
                }
            };
            ctx.retry(ids, "ec2:ModifyInstanceAttribute", &[], || call.clone().send()).await?;
        }
        ctx.retry(ids, "ec2:StartInstances", &[], || ec2.start_instances().instance_ids(iid).send()).await?;
        wait_instance(ctx, ids, iid, &InstanceStateName::Running).await?;
    }
    let mut resources = vec![iid.to_owned()];
    if let Some(x) = describe_instance(ctx, ids, iid).await? {
        resources.extend(
            x.block_device_mappings().iter().filter_map(|m| m.ebs().and_then(|e| e.volume_id()).map(str::to_owned)),
        );
    }
    retag(ctx, ids, &resources, tags).await?;
    read_instance(ctx, id, iid).await
}

pub(super) async fn set_profile(
    ctx: &Ctx<'_>,
    id: &str,
    instance_id: &str,
    profile: Option<String>,
) -> Result<(), AwsError> {
    let ec2 = &ctx.clients.ec2;
    let out = ctx
        .retry(id, "ec2:DescribeIamInstanceProfileAssociations", &[], || {
            ec2.describe_iam_instance_profile_associations().filters(filter("instance-id", [instance_id])).send()
        })
        .await?;
    let existing = out
        .iam_instance_profile_associations()
        .iter()
        .filter(|a| a.state().is_some_and(|s| matches!(s.as_str(), "associated" | "associating")))
        .find_map(|a| a.association_id().map(str::to_owned));
    let propagating = &["InvalidParameterValue"];
    match (profile, existing) {
        (Some(p), Some(a)) => {
            ctx.retry(id, "ec2:ReplaceIamInstanceProfileAssociation", propagating, || {
                ec2.replace_iam_instance_profile_association()
                    .association_id(&a)
                    .iam_instance_profile(profile_spec(&p))
                    .send()
            })
            .await?;
        }
        (Some(p), None) => {
            ctx.retry(id, "ec2:AssociateIamInstanceProfile", propagating, || {
                ec2.associate_iam_instance_profile()
                    .instance_id(instance_id)
                    .iam_instance_profile(profile_spec(&p))
                    .send()
            })
            .await?;
        }
        (None, Some(a)) => {
            ctx.retry(id, "ec2:DisassociateIamInstanceProfile", &[], || {
                ec2.disassociate_iam_instance_profile().association_id(&a).send()
            })
            .await?;
        }
        (None, None) => {}
    }
    Ok(())
}

pub(super) async fn delete_instance(ctx: &Ctx<'_>, id: &str, instance_id: &str) -> Result<(), AwsError> {
    let ec2 = &ctx.clients.ec2;
    let done = tolerant(ctx, id, "ec2:TerminateInstances", &[], &["InvalidInstanceID.NotFound"], || {
        ec2.terminate_instances().instance_ids(instance_id).send()
    })
    .await?;
    if done.is_none() {
        return Ok(());
    }
    wait_instance(ctx, id, instance_id, &InstanceStateName::Terminated).await
}
