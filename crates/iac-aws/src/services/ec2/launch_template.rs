//! `AWS::EC2::LaunchTemplate`: its data as the API's request and back in CloudFormation's shape
//! (also used by the rollout); a changed data is a new version made the default.

use super::{
    Adapter, AwsError, CfnTag, Ctx, Deserialize, Desired, HashMap, InstanceType, Json,
    LaunchTemplateBlockDeviceMappingRequest, LaunchTemplateEbsBlockDeviceRequest, LaunchTemplateHttpTokensState,
    LaunchTemplateIamInstanceProfileSpecificationRequest, LaunchTemplateInstanceMetadataEndpointState,
    LaunchTemplateInstanceMetadataOptionsRequest, LaunchTemplateInstanceMetadataTagsState,
    LaunchTemplateTagSpecificationRequest, LaunchTemplatesMonitoringRequest, LogicalId, Map, Observed,
    RequestLaunchTemplateData, ResourceEntry, ResourceType, ResponseLaunchTemplateData, SdkKind, Serialize,
    ShutdownBehavior, Tag, Tags, VolumeType, adapter, de, describe_one, desired, filter, json, model, ours, ours_paged,
    paged, retag, tag_spec, tolerant, with_hash,
};

/// The desired properties of an `AWS::EC2::LaunchTemplate`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct LaunchTemplateProps {
    pub(crate) launch_template_name: String,
    pub(crate) launch_template_data: LaunchTemplateData,
    /// The template's own tags (`launch-template`).
    #[serde(default)]
    pub(crate) tag_specifications: Vec<TagSpec>,
}

/// A launch template's data (also read back from AWS, in the same shape: [`lt_json`]).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct LaunchTemplateData {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) image_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) instance_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) key_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) user_data: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "de::opt_bool")]
    pub(crate) ebs_optimized: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "de::opt_bool")]
    pub(crate) disable_api_termination: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) instance_initiated_shutdown_behavior: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) security_group_ids: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) security_groups: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) monitoring: Option<MonitoringProps>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) metadata_options: Option<MetadataOptionsProps>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) iam_instance_profile: Option<ProfileProps>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) block_device_mappings: Vec<BlockDeviceProps>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) tag_specifications: Vec<TagSpec>,
}

/// `Monitoring` of a launch template.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct MonitoringProps {
    #[serde(default, deserialize_with = "de::opt_bool")]
    pub(crate) enabled: Option<bool>,
}

/// `MetadataOptions` (IMDS).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct MetadataOptionsProps {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) http_endpoint: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) http_tokens: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "de::opt_int")]
    pub(crate) http_put_response_hop_limit: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) instance_metadata_tags: Option<String>,
}

/// A launch template's `IamInstanceProfile`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct ProfileProps {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) arn: Option<String>,
}

/// A block device mapping.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct BlockDeviceProps {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) device_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) no_device: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) virtual_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) ebs: Option<EbsProps>,
}

/// The EBS volume of a block device mapping.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct EbsProps {
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "de::opt_int")]
    pub(crate) volume_size: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) volume_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "de::opt_bool")]
    pub(crate) encrypted: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "de::opt_bool")]
    pub(crate) delete_on_termination: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "de::opt_int")]
    pub(crate) iops: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "de::opt_int")]
    pub(crate) throughput: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) kms_key_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) snapshot_id: Option<String>,
}

/// Tags for the resources of one type (`instance`, `volume`, `launch-template`).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct TagSpec {
    pub(crate) resource_type: String,
    #[serde(default)]
    pub(crate) tags: Vec<CfnTag>,
}

impl Desired for LaunchTemplateProps {
    fn template_tags(&self) -> Vec<(&str, &str)> {
        self.tag_specifications
            .iter()
            .filter(|s| s.resource_type == "launch-template")
            .flat_map(|s| adapter::pairs(&s.tags))
            .collect()
    }
}

impl Adapter for model::LaunchTemplate {
    type Props = LaunchTemplateProps;
    const REPLACED_BY: &'static [&'static str] = &["LaunchTemplateName"];

    async fn create(
        ctx: &Ctx<'_>,
        entry: &ResourceEntry,
        props: &LaunchTemplateProps,
        tags: &Tags,
    ) -> Result<Observed, AwsError> {
        create_lt(ctx, &entry.id, props, tags).await
    }

    /// A new version holding the full data, made the default.
    async fn update(
        ctx: &Ctx<'_>,
        entry: &ResourceEntry,
        current: &Observed,
        props: &LaunchTemplateProps,
        tags: &Tags,
    ) -> Result<Observed, AwsError> {
        update_lt(ctx, &entry.id, current, props, tags).await
    }

    async fn delete(ctx: &Ctx<'_>, current: &Observed) -> Result<(), AwsError> {
        let ec2 = &ctx.clients.ec2;
        let physical = current.physical_id.as_str();
        tolerant(
            ctx,
            current.id.as_str(),
            "ec2:DeleteLaunchTemplate",
            &[],
            &[
                "InvalidLaunchTemplateId.NotFound",
                "InvalidLaunchTemplateName.NotFoundException",
                "InvalidLaunchTemplateId.Malformed",
            ],
            || ec2.delete_launch_template().launch_template_id(physical).send(),
        )
        .await
        .map(drop)
    }
}

// ---------------------------------------------------------------------------------------------
// Launch template.

pub(super) fn sdk_tags_of(tags: &[CfnTag]) -> Vec<Tag> {
    tags.iter().map(|t| Tag::builder().key(&t.key).value(&t.value).build()).collect()
}

pub(super) fn tags_json(tags: &[Tag]) -> Json {
    Json::Array(
        tags.iter()
            .map(|t| json!({ "Key": t.key().unwrap_or_default(), "Value": t.value().unwrap_or_default() }))
            .collect(),
    )
}

/// CloudFormation's `LaunchTemplateData` as the API's request.
pub(crate) fn lt_request(data: &LaunchTemplateData) -> RequestLaunchTemplateData {
    let mut d = RequestLaunchTemplateData::builder()
        .set_image_id(data.image_id.clone())
        .set_instance_type(data.instance_type.as_deref().map(InstanceType::from))
        .set_key_name(data.key_name.clone())
        .set_user_data(data.user_data.clone())
        .set_ebs_optimized(data.ebs_optimized)
        .set_disable_api_termination(data.disable_api_termination)
        .set_instance_initiated_shutdown_behavior(
            data.instance_initiated_shutdown_behavior.as_deref().map(ShutdownBehavior::from),
        )
        .set_security_group_ids(data.security_group_ids.clone())
        .set_security_groups(data.security_groups.clone());
    if let Some(m) = &data.monitoring {
        d = d.monitoring(LaunchTemplatesMonitoringRequest::builder().set_enabled(m.enabled).build());
    }
    if let Some(m) = &data.metadata_options {
        d = d.metadata_options(
            LaunchTemplateInstanceMetadataOptionsRequest::builder()
                .set_http_endpoint(m.http_endpoint.as_deref().map(LaunchTemplateInstanceMetadataEndpointState::from))
                .set_http_tokens(m.http_tokens.as_deref().map(LaunchTemplateHttpTokensState::from))
                .set_http_put_response_hop_limit(m.http_put_response_hop_limit)
                .set_instance_metadata_tags(
                    m.instance_metadata_tags.as_deref().map(LaunchTemplateInstanceMetadataTagsState::from),
                )
                .build(),
        );
    }
    if let Some(p) = &data.iam_instance_profile {
        d = d.iam_instance_profile(
            LaunchTemplateIamInstanceProfileSpecificationRequest::builder()
                .set_name(p.name.clone())
                .set_arn(p.arn.clone())
                .build(),
        );
    }
    for m in &data.block_device_mappings {
        let ebs = m.ebs.as_ref().map(|e| {
            LaunchTemplateEbsBlockDeviceRequest::builder()
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
        d = d.block_device_mappings(
            LaunchTemplateBlockDeviceMappingRequest::builder()
                .set_device_name(m.device_name.clone())
                .set_no_device(m.no_device.clone())
                .set_virtual_name(m.virtual_name.clone())
                .set_ebs(ebs)
                .build(),
        );
    }
    for t in &data.tag_specifications {
        d = d.tag_specifications(
            LaunchTemplateTagSpecificationRequest::builder()
                .resource_type(ResourceType::from(t.resource_type.as_str()))
                .set_tags(Some(sdk_tags_of(&t.tags)))
                .build(),
        );
    }
    d.build()
}

/// The API's launch template data in CloudFormation's shape (only what is set).
pub(crate) fn lt_json(d: &ResponseLaunchTemplateData) -> Json {
    let mut o = Map::new();
    let mut put = |k: &str, v: Option<Json>| {
        if let Some(v) = v {
            o.insert(k.to_owned(), v);
        }
    };
    put("ImageId", d.image_id().map(|v| json!(v)));
    put("InstanceType", d.instance_type().map(|v| json!(v.as_str())));
    put("KeyName", d.key_name().map(|v| json!(v)));
    put("UserData", d.user_data().map(|v| json!(v)));
    put("EbsOptimized", d.ebs_optimized().map(|v| json!(v)));
    put("DisableApiTermination", d.disable_api_termination().map(|v| json!(v)));
    put("InstanceInitiatedShutdownBehavior", d.instance_initiated_shutdown_behavior().map(|v| json!(v.as_str())));
    put("SecurityGroupIds", (!d.security_group_ids().is_empty()).then(|| json!(d.security_group_ids())));
    put("SecurityGroups", (!d.security_groups().is_empty()).then(|| json!(d.security_groups())));
    put("Monitoring", d.monitoring().map(|m| json!({ "Enabled": m.enabled().unwrap_or(false) })));
    put(
        "MetadataOptions",
        d.metadata_options().map(|m| {
            let mut x = Map::new();
            if let Some(v) = m.http_endpoint() {
                x.insert("HttpEndpoint".into(), json!(v.as_str()));
            }
            if let Some(v) = m.http_tokens() {
                x.insert("HttpTokens".into(), json!(v.as_str()));
            }
            if let Some(v) = m.http_put_response_hop_limit() {
                x.insert("HttpPutResponseHopLimit".into(), json!(v));
            }
            if let Some(v) = m.instance_metadata_tags() {
                x.insert("InstanceMetadataTags".into(), json!(v.as_str()));
            }
            Json::Object(x)
        }),
    );
    put(
        "IamInstanceProfile",
        d.iam_instance_profile().map(|p| {
            let mut x = Map::new();
            if let Some(v) = p.name() {
                x.insert("Name".into(), json!(v));
            }
            if let Some(v) = p.arn() {
                x.insert("Arn".into(), json!(v));
            }
            Json::Object(x)
        }),
    );
    let mappings: Vec<Json> = d
        .block_device_mappings()
        .iter()
        .map(|m| {
            let mut x = Map::new();
            if let Some(v) = m.device_name() {
                x.insert("DeviceName".into(), json!(v));
            }
            if let Some(v) = m.no_device() {
                x.insert("NoDevice".into(), json!(v));
            }
            if let Some(v) = m.virtual_name() {
                x.insert("VirtualName".into(), json!(v));
            }
            if let Some(e) = m.ebs() {
                let mut y = Map::new();
                let fields = [
                    ("VolumeSize", e.volume_size().map(|v| json!(v))),
                    ("VolumeType", e.volume_type().map(|v| json!(v.as_str()))),
                    ("Encrypted", e.encrypted().map(|v| json!(v))),
                    ("DeleteOnTermination", e.delete_on_termination().map(|v| json!(v))),
                    ("Iops", e.iops().map(|v| json!(v))),
                    ("Throughput", e.throughput().map(|v| json!(v))),
                    ("KmsKeyId", e.kms_key_id().map(|v| json!(v))),
                    ("SnapshotId", e.snapshot_id().map(|v| json!(v))),
                ];
                for (k, v) in fields {
                    if let Some(v) = v {
                        y.insert(k.into(), v);
                    }
                }
                x.insert("Ebs".into(), Json::Object(y));
            }
            Json::Object(x)
        })
        .collect();
    put("BlockDeviceMappings", (!mappings.is_empty()).then_some(Json::Array(mappings)));
    let specs: Vec<Json> = d
        .tag_specifications()
        .iter()
        // Moto copies the template's own tags (`launch-template`, never valid inside the data)
        // into its data.
        .filter(|t| t.resource_type().is_none_or(|r| *r != ResourceType::LaunchTemplate))
        .map(|t| json!({ "ResourceType": t.resource_type().map_or("", |r| r.as_str()), "Tags": tags_json(t.tags()) }))
        .collect();
    put("TagSpecifications", (!specs.is_empty()).then_some(Json::Array(specs)));
    Json::Object(o)
}

pub(super) async fn create_lt(
    ctx: &Ctx<'_>,
    id: &LogicalId,
    props: &LaunchTemplateProps,
    tags: &Tags,
) -> Result<Observed, AwsError> {
    let ec2 = &ctx.clients.ec2;
    let name = &props.launch_template_name;
    let data = lt_request(&props.launch_template_data);
    let spec = tag_spec(ResourceType::LaunchTemplate, tags);
    let out = ctx
        .retry(id.as_str(), "ec2:CreateLaunchTemplate", &[], || {
            ec2.create_launch_template()
                .launch_template_name(name)
                .launch_template_data(data.clone())
                .tag_specifications(spec.clone())
                .send()
        })
        .await?;
    let lt_id = out.launch_template().and_then(|t| t.launch_template_id()).unwrap_or_default().to_owned();
    read_lt(ctx, id, &lt_id).await
}

/// The tags of `resources`, from `DescribeTags` (moto's `DescribeLaunchTemplates` keeps showing
/// a template's tags as they were at creation).
pub(super) async fn tags_by_resource(
    ctx: &Ctx<'_>,
    id: &str,
    resources: &[String],
) -> Result<HashMap<String, Vec<Tag>>, AwsError> {
    let mut out: HashMap<String, Vec<Tag>> = HashMap::new();
    if resources.is_empty() {
        return Ok(out);
    }
    let ec2 = &ctx.clients.ec2;
    let pages = paged(ctx, id, "ec2:DescribeTags", |t| {
        ec2.describe_tags().filters(filter("resource-id", resources.to_vec())).set_next_token(t).send()
    })
    .await?;
    for t in pages.iter().flat_map(|p| p.tags()) {
        if let Some(resource) = t.resource_id() {
            let tag =
                Tag::builder().set_key(t.key().map(str::to_owned)).set_value(t.value().map(str::to_owned)).build();
            out.entry(resource.to_owned()).or_default().push(tag);
        }
    }
    Ok(out)
}

pub(super) async fn observe_lt(
    ctx: &Ctx<'_>,
    id: LogicalId,
    t: &aws_sdk_ec2::types::LaunchTemplate,
    tags: &[Tag],
) -> Result<Observed, AwsError> {
    let ec2 = &ctx.clients.ec2;
    let lt_id = t.launch_template_id().unwrap_or_default();
    let versions = ctx
        .retry(id.as_str(), "ec2:DescribeLaunchTemplateVersions", &["InvalidLaunchTemplateId.NotFound"], || {
            ec2.describe_launch_template_versions().launch_template_id(lt_id).versions("$Default").send()
        })
        .await?;
    let data = versions
        .launch_template_versions()
        .first()
        .and_then(|v| v.launch_template_data())
        .map_or_else(|| json!({}), lt_json);
    let o = Observed::new(id, SdkKind::LaunchTemplate.cfn_type(), lt_id)
        .attr("LaunchTemplateId", lt_id)
        .attr("LatestVersionNumber", t.latest_version_number().unwrap_or(1).to_string())
        .attr("DefaultVersionNumber", t.default_version_number().unwrap_or(1).to_string())
        .prop("LaunchTemplateName", t.launch_template_name().unwrap_or_default())
        .prop("LaunchTemplateData", data);
    Ok(with_hash(o, tags))
}

pub(super) async fn read_lt(ctx: &Ctx<'_>, id: &LogicalId, lt_id: &str) -> Result<Observed, AwsError> {
    let ec2 = &ctx.clients.ec2;
    let t = describe_one(
        ctx,
        id.as_str(),
        "ec2:DescribeLaunchTemplates",
        &["InvalidLaunchTemplateId.NotFound", "InvalidLaunchTemplateName.NotFoundException"],
        lt_id,
        || ec2.describe_launch_templates().launch_template_ids(lt_id).send(),
        |o| o.launch_templates().first(),
    )
    .await?;
    let tags = tags_by_resource(ctx, id.as_str(), &[lt_id.to_owned()]).await?;
    observe_lt(ctx, id.clone(), &t, tags.get(lt_id).map_or(&[], Vec::as_slice)).await
}

pub(super) async fn discover_lts(ctx: &Ctx<'_>) -> Result<Vec<Observed>, AwsError> {
    let ec2 = &ctx.clients.ec2;
    let pages = ours_paged(ctx, "ec2:DescribeLaunchTemplates", |filters, t| {
        ec2.describe_launch_templates().set_filters(Some(filters)).set_next_token(t).send()
    })
    .await?;
    let templates: Vec<&aws_sdk_ec2::types::LaunchTemplate> = pages.iter().flat_map(|p| p.launch_templates()).collect();
    let ids: Vec<String> = templates.iter().filter_map(|t| t.launch_template_id().map(str::to_owned)).collect();
    let tags = tags_by_resource(ctx, "-", &ids).await?;
    let mut out = Vec::new();
    for t in templates {
        let tags = t.launch_template_id().and_then(|lt| tags.get(lt)).map_or(&[][..], Vec::as_slice);
        if let Some((id, _)) = ours(ctx, tags) {
            out.push(observe_lt(ctx, id, t, tags).await?);
        }
    }
    Ok(out)
}

/// A new version with the full data (never `SourceVersion`: moto ignores it), made the default,
/// when the data changed; the tags are rewritten either way.
pub(super) async fn update_lt(
    ctx: &Ctx<'_>,
    id: &LogicalId,
    current: &Observed,
    props: &LaunchTemplateProps,
    tags: &Tags,
) -> Result<Observed, AwsError> {
    let ec2 = &ctx.clients.ec2;
    let lt_id = current.physical_id.as_str();
    let data = serde_json::to_value(&props.launch_template_data).unwrap_or_default();
    let want = json!({ "LaunchTemplateName": props.launch_template_name, "LaunchTemplateData": data });
    if desired::changed(&want, &current.props).iter().any(|k| k == "LaunchTemplateData")
        || !current.props.contains_key("LaunchTemplateData")
    {
        let data = lt_request(&props.launch_template_data);
        let out = ctx
            .retry(id.as_str(), "ec2:CreateLaunchTemplateVersion", &["InvalidLaunchTemplateId.NotFound"], || {
                ec2.create_launch_template_version().launch_template_id(lt_id).launch_template_data(data.clone()).send()
            })
            .await?;
        let version = out.launch_template_version().and_then(|v| v.version_number()).unwrap_or(1).to_string();
        ctx.retry(id.as_str(), "ec2:ModifyLaunchTemplate", &["InvalidLaunchTemplateId.NotFound"], || {
            ec2.modify_launch_template().launch_template_id(lt_id).default_version(&version).send()
        })
        .await?;
    }
    retag(ctx, id.as_str(), &[lt_id.to_owned()], tags).await?;
    read_lt(ctx, id, lt_id).await
}
