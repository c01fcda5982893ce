//! `AWS::EC2::SecurityGroup` with its inline rules, and `AWS::EC2::SecurityGroupIngress` (a
//! standalone rule, tagged by the engine); see the service docs for how the two share a group.

use super::{
    Adapter, AwsError, CfnTag, Ctx, Deserialize, Desired, IpPermission, IpRange, Ipv6Range, Json, LogicalId, Map,
    Observed, PrefixListId, ResourceEntry, ResourceType, SdkKind, SecurityGroup, SecurityGroupRule, TAG_ID, Tag, Tags,
    UserIdGroupPair, adapter, de, delete_when_free, filter, json, model, ours, ours_paged, own_tags, paged, retag,
    tag_spec, tolerant, with_hash,
};

/// The desired properties of an `AWS::EC2::SecurityGroup`, with its inline rules.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct SecurityGroupProps {
    pub(crate) group_name: String,
    pub(crate) group_description: String,
    #[serde(default)]
    pub(crate) vpc_id: Option<String>,
    #[serde(default)]
    pub(crate) security_group_ingress: Vec<RuleProps>,
    #[serde(default)]
    pub(crate) security_group_egress: Vec<RuleProps>,
    #[serde(default)]
    pub(crate) tags: Vec<CfnTag>,
}

/// One inline rule of a security group.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct RuleProps {
    #[serde(deserialize_with = "de::text")]
    pub(crate) ip_protocol: String,
    #[serde(default, deserialize_with = "de::opt_int")]
    pub(crate) from_port: Option<i32>,
    #[serde(default, deserialize_with = "de::opt_int")]
    pub(crate) to_port: Option<i32>,
    #[serde(default)]
    pub(crate) cidr_ip: Option<String>,
    #[serde(default)]
    pub(crate) cidr_ipv6: Option<String>,
    #[serde(default)]
    pub(crate) source_security_group_id: Option<String>,
    #[serde(default)]
    pub(crate) destination_security_group_id: Option<String>,
    #[serde(default)]
    pub(crate) source_prefix_list_id: Option<String>,
    #[serde(default)]
    pub(crate) destination_prefix_list_id: Option<String>,
    #[serde(default)]
    pub(crate) description: Option<String>,
}

/// The desired properties of an `AWS::EC2::SecurityGroupIngress` (a standalone rule).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct IngressProps {
    pub(crate) group_id: String,
    #[serde(deserialize_with = "de::text")]
    pub(crate) ip_protocol: String,
    #[serde(default, deserialize_with = "de::opt_int")]
    pub(crate) from_port: Option<i32>,
    #[serde(default, deserialize_with = "de::opt_int")]
    pub(crate) to_port: Option<i32>,
    #[serde(default)]
    pub(crate) cidr_ip: Option<String>,
    #[serde(default)]
    pub(crate) cidr_ipv6: Option<String>,
    #[serde(default)]
    pub(crate) source_security_group_id: Option<String>,
    #[serde(default)]
    pub(crate) source_prefix_list_id: Option<String>,
    #[serde(default)]
    pub(crate) description: Option<String>,
}

impl IngressProps {
    /// The rule, in the shape of a group's inline rule.
    fn rule(&self) -> RuleProps {
        RuleProps {
            ip_protocol: self.ip_protocol.clone(),
            from_port: self.from_port,
            to_port: self.to_port,
            cidr_ip: self.cidr_ip.clone(),
            cidr_ipv6: self.cidr_ipv6.clone(),
            source_security_group_id: self.source_security_group_id.clone(),
            source_prefix_list_id: self.source_prefix_list_id.clone(),
            description: self.description.clone(),
            ..RuleProps::default()
        }
    }
}

tagged!(SecurityGroupProps);
impl Desired for IngressProps {}

impl Adapter for model::SecurityGroup {
    type Props = SecurityGroupProps;
    const REPLACED_BY: &'static [&'static str] = &["GroupName", "GroupDescription", "VpcId"];

    async fn create(
        ctx: &Ctx<'_>,
        entry: &ResourceEntry,
        props: &SecurityGroupProps,
        tags: &Tags,
    ) -> Result<Observed, AwsError> {
        create_sg(ctx, &entry.id, props, tags).await
    }

    /// The inline rules are synced (see [`sync_rules`]).
    async fn update(
        ctx: &Ctx<'_>,
        entry: &ResourceEntry,
        current: &Observed,
        props: &SecurityGroupProps,
        tags: &Tags,
    ) -> Result<Observed, AwsError> {
        let (id, physical) = (&entry.id, current.physical_id.as_str());
        let (_, rules) = read_sg(ctx, id, physical).await?;
        sync_rules(ctx, id.as_str(), physical, props, &rules).await?;
        retag(ctx, id.as_str(), &[physical.to_owned()], tags).await?;
        Ok(read_sg(ctx, id, physical).await?.0)
    }

    async fn delete(ctx: &Ctx<'_>, current: &Observed) -> Result<(), AwsError> {
        let ec2 = &ctx.clients.ec2;
        let physical = current.physical_id.as_str();
        delete_when_free(ctx, current.id.as_str(), "ec2:DeleteSecurityGroup", &["InvalidGroup.NotFound"], || {
            ec2.delete_security_group().group_id(physical).send()
        })
        .await
    }
}

impl Adapter for model::SecurityGroupIngress {
    type Props = IngressProps;
    const REPLACED_BY: &'static [&'static str] = &[
        "GroupId",
        "GroupName",
        "IpProtocol",
        "FromPort",
        "ToPort",
        "CidrIp",
        "CidrIpv6",
        "SourceSecurityGroupId",
        "SourceSecurityGroupName",
        "SourceSecurityGroupOwnerId",
        "SourcePrefixListId",
    ];

    /// Tagged by the engine (CloudFormation cannot tag a rule).
    async fn create(
        ctx: &Ctx<'_>,
        entry: &ResourceEntry,
        props: &IngressProps,
        tags: &Tags,
    ) -> Result<Observed, AwsError> {
        create_ingress(ctx, &entry.id, props, &own_tags(ctx, &entry.id, tags)).await
    }

    /// Only the description changes in place.
    async fn update(
        ctx: &Ctx<'_>,
        entry: &ResourceEntry,
        current: &Observed,
        props: &IngressProps,
        tags: &Tags,
    ) -> Result<Observed, AwsError> {
        update_ingress(ctx, &entry.id, current, props, &own_tags(ctx, &entry.id, tags)).await
    }

    async fn delete(ctx: &Ctx<'_>, current: &Observed) -> Result<(), AwsError> {
        delete_ingress(ctx, current.id.as_str(), &current.physical_id).await
    }
}

// ---------------------------------------------------------------------------------------------
// Security group rules.

/// The other end of a rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum PeerKind {
    Cidr,
    CidrV6,
    Group,
    PrefixList,
}

/// One rule, from the template or from AWS.
#[derive(Debug, Clone)]
pub(super) struct SgRule {
    /// `sgr-…`, when read from AWS.
    rule_id: Option<String>,
    group_id: String,
    egress: bool,
    /// `tcp`, `udp`, `icmp`, `-1`...
    protocol: String,
    /// -1 for every protocol.
    from: i32,
    to: i32,
    peer: (PeerKind, String),
    description: String,
    /// Managed as its own resource (it carries an `iac:id` tag).
    standalone: bool,
}

/// The API's protocol names (numbers and `all` spelled the way AWS reads them back).
pub(super) fn protocol_name(p: &str) -> String {
    match p.to_ascii_lowercase().as_str() {
        "-1" | "all" => "-1".to_owned(),
        "6" => "tcp".to_owned(),
        "17" => "udp".to_owned(),
        "1" => "icmp".to_owned(),
        "58" => "icmpv6".to_owned(),
        other => other.to_owned(),
    }
}

impl SgRule {
    /// A rule in CloudFormation's shape (`SecurityGroupIngress` items and standalone rules).
    fn from_cfn(group_id: &str, egress: bool, r: &RuleProps) -> Option<Self> {
        let peers = [
            (&r.cidr_ip, PeerKind::Cidr),
            (&r.cidr_ipv6, PeerKind::CidrV6),
            (&r.source_security_group_id, PeerKind::Group),
            (&r.destination_security_group_id, PeerKind::Group),
            (&r.source_prefix_list_id, PeerKind::PrefixList),
            (&r.destination_prefix_list_id, PeerKind::PrefixList),
        ];
        let peer = peers.into_iter().find_map(|(v, kind)| v.clone().map(|v| (kind, v)))?;
        let protocol = protocol_name(&r.ip_protocol);
        let all = protocol == "-1";
        Some(Self {
            rule_id: None,
            group_id: group_id.to_owned(),
            egress,
            from: if all { -1 } else { r.from_port.unwrap_or(-1) },
            to: if all { -1 } else { r.to_port.unwrap_or(-1) },
            protocol,
            peer,
            description: r.description.clone().unwrap_or_default(),
            standalone: false,
        })
    }

    fn from_sdk(r: &SecurityGroupRule) -> Option<Self> {
        let peer = if let Some(c) = r.cidr_ipv4() {
            (PeerKind::Cidr, c.to_owned())
        } else if let Some(c) = r.cidr_ipv6() {
            (PeerKind::CidrV6, c.to_owned())
        } else if let Some(g) = r.referenced_group_info().and_then(|g| g.group_id()) {
            (PeerKind::Group, g.to_owned())
        } else {
            (PeerKind::PrefixList, r.prefix_list_id()?.to_owned())
        };
        let protocol = protocol_name(r.ip_protocol().unwrap_or("-1"));
        let all = protocol == "-1";
        Some(Self {
            rule_id: r.security_group_rule_id().map(str::to_owned),
            group_id: r.group_id().unwrap_or_default().to_owned(),
            egress: r.is_egress().unwrap_or(false),
            from: if all { -1 } else { r.from_port().unwrap_or(-1) },
            to: if all { -1 } else { r.to_port().unwrap_or(-1) },
            protocol,
            peer,
            description: r.description().unwrap_or_default().to_owned(),
            standalone: r.tags().iter().any(|t| t.key() == Some(TAG_ID)),
        })
    }

    /// Same rule (direction, protocol, ports, peer), whatever the description.
    fn same_rule(&self, other: &Self) -> bool {
        self.egress == other.egress
            && self.protocol == other.protocol
            && self.from == other.from
            && self.to == other.to
            && self.peer == other.peer
    }

    fn identical(&self, other: &Self) -> bool {
        self.same_rule(other) && self.description == other.description
    }

    fn to_cfn(&self) -> Json {
        let mut o = Map::new();
        o.insert("IpProtocol".into(), json!(self.protocol));
        if self.protocol != "-1" {
            o.insert("FromPort".into(), json!(self.from));
            o.insert("ToPort".into(), json!(self.to));
        }
        let key = match (self.peer.0, self.egress) {
            (PeerKind::Cidr, _) => "CidrIp",
            (PeerKind::CidrV6, _) => "CidrIpv6",
            (PeerKind::Group, false) => "SourceSecurityGroupId",
            (PeerKind::Group, true) => "DestinationSecurityGroupId",
            (PeerKind::PrefixList, false) => "SourcePrefixListId",
            (PeerKind::PrefixList, true) => "DestinationPrefixListId",
        };
        o.insert(key.into(), json!(self.peer.1));
        o.insert("Description".into(), json!(self.description));
        Json::Object(o)
    }

    fn permission(&self) -> IpPermission {
        let mut p = IpPermission::builder().ip_protocol(&self.protocol);
        if self.protocol != "-1" {
            p = p.from_port(self.from).to_port(self.to);
        }
        let description = (!self.description.is_empty()).then(|| self.description.clone());
        let value = &self.peer.1;
        p = match self.peer.0 {
            PeerKind::Cidr => p.ip_ranges(IpRange::builder().cidr_ip(value).set_description(description).build()),
            PeerKind::CidrV6 => {
                p.ipv6_ranges(Ipv6Range::builder().cidr_ipv6(value).set_description(description).build())
            }
            PeerKind::Group => {
                p.user_id_group_pairs(UserIdGroupPair::builder().group_id(value).set_description(description).build())
            }
            PeerKind::PrefixList => {
                p.prefix_list_ids(PrefixListId::builder().prefix_list_id(value).set_description(description).build())
            }
        };
        p.build()
    }
}

/// The rules of `groups`, with descriptions filled from the groups themselves where
/// `DescribeSecurityGroupRules` leaves them out (moto, for rules that reference a group).
pub(super) async fn group_rules(ctx: &Ctx<'_>, id: &str, groups: &[SecurityGroup]) -> Result<Vec<SgRule>, AwsError> {
    let ids: Vec<String> = groups.iter().filter_map(|g| g.group_id().map(str::to_owned)).collect();
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let ec2 = &ctx.clients.ec2;
    let pages = paged(ctx, id, "ec2:DescribeSecurityGroupRules", |t| {
        ec2.describe_security_group_rules().filters(filter("group-id", ids.clone())).set_next_token(t).send()
    })
    .await?;
    let mut rules: Vec<SgRule> =
        pages.iter().flat_map(|p| p.security_group_rules()).filter_map(SgRule::from_sdk).collect();
    fill_descriptions(&mut rules, groups);
    Ok(rules)
}

pub(super) fn fill_descriptions(rules: &mut [SgRule], groups: &[SecurityGroup]) {
    for r in rules.iter_mut().filter(|r| r.description.is_empty() && r.peer.0 == PeerKind::Group) {
        let Some(g) = groups.iter().find(|g| g.group_id() == Some(r.group_id.as_str())) else { continue };
        let permissions = if r.egress { g.ip_permissions_egress() } else { g.ip_permissions() };
        let found = permissions
            .iter()
            .filter(|p| protocol_name(p.ip_protocol().unwrap_or("-1")) == r.protocol)
            .filter(|p| r.protocol == "-1" || (p.from_port() == Some(r.from) && p.to_port() == Some(r.to)))
            .flat_map(|p| p.user_id_group_pairs())
            .find(|u| u.group_id() == Some(r.peer.1.as_str()))
            .and_then(|u| u.description());
        if let Some(d) = found {
            d.clone_into(&mut r.description);
        }
    }
}

/// The inline rules `props` asks for.
pub(super) fn desired_rules(
    ctx: &Ctx<'_>,
    id: &str,
    group_id: &str,
    props: &SecurityGroupProps,
) -> Result<Vec<SgRule>, AwsError> {
    let mut out = Vec::new();
    for (key, egress, rules) in [
        ("SecurityGroupIngress", false, &props.security_group_ingress),
        ("SecurityGroupEgress", true, &props.security_group_egress),
    ] {
        for (n, r) in rules.iter().enumerate() {
            let rule = SgRule::from_cfn(group_id, egress, r).ok_or_else(|| AwsError::Property {
                stack: ctx.stack.name().to_owned(),
                id: id.to_owned(),
                property: format!("{key}[{n}]"),
                message: "a rule needs CidrIp, CidrIpv6, a security group id or a prefix list id".into(),
            })?;
            out.push(rule);
        }
    }
    Ok(out)
}

pub(super) async fn authorize(ctx: &Ctx<'_>, id: &str, group_id: &str, rules: &[&SgRule]) -> Result<(), AwsError> {
    let ec2 = &ctx.clients.ec2;
    let ingress: Vec<IpPermission> = rules.iter().filter(|r| !r.egress).map(|r| r.permission()).collect();
    let egress: Vec<IpPermission> = rules.iter().filter(|r| r.egress).map(|r| r.permission()).collect();
    if !ingress.is_empty() {
        ctx.retry(id, "ec2:AuthorizeSecurityGroupIngress", &["InvalidGroup.NotFound"], || {
            ec2.authorize_security_group_ingress().group_id(group_id).set_ip_permissions(Some(ingress.clone())).send()
        })
        .await?;
    }
    if !egress.is_empty() {
        ctx.retry(id, "ec2:AuthorizeSecurityGroupEgress", &["InvalidGroup.NotFound"], || {
            ec2.authorize_security_group_egress().group_id(group_id).set_ip_permissions(Some(egress.clone())).send()
        })
        .await?;
    }
    Ok(())
}

pub(super) async fn revoke(ctx: &Ctx<'_>, id: &str, group_id: &str, rules: &[&SgRule]) -> Result<(), AwsError> {
    let ec2 = &ctx.clients.ec2;
    let gone = &["InvalidPermission.NotFound", "InvalidSecurityGroupRuleId.NotFound"];
    let ids = |egress: bool| -> Vec<String> {
        rules.iter().filter(|r| r.egress == egress).filter_map(|r| r.rule_id.clone()).collect()
    };
    let (ingress, egress) = (ids(false), ids(true));
    if !ingress.is_empty() {
        tolerant(ctx, id, "ec2:RevokeSecurityGroupIngress", &[], gone, || {
            ec2.revoke_security_group_ingress()
                .group_id(group_id)
                .set_security_group_rule_ids(Some(ingress.clone()))
                .send()
        })
        .await?;
    }
    if !egress.is_empty() {
        tolerant(ctx, id, "ec2:RevokeSecurityGroupEgress", &[], gone, || {
            ec2.revoke_security_group_egress()
                .group_id(group_id)
                .set_security_group_rule_ids(Some(egress.clone()))
                .send()
        })
        .await?;
    }
    Ok(())
}

/// Makes the group's inline rules those of `props`: new rules first, then removed ones revoked,
/// then rules whose description changed revoked and authorized again. The default allow-all
/// egress rule of a new group goes the same way when the template does not ask for it (the
/// renderer's "Disallow all egress" rule for a group without egress).
pub(super) async fn sync_rules(
    ctx: &Ctx<'_>,
    id: &str,
    group_id: &str,
    props: &SecurityGroupProps,
    have: &[SgRule],
) -> Result<(), AwsError> {
    let want = desired_rules(ctx, id, group_id, props)?;
    let have: Vec<&SgRule> = have.iter().filter(|r| r.group_id == group_id && !r.standalone).collect();
    let new: Vec<&SgRule> = want.iter().filter(|w| !have.iter().any(|h| h.same_rule(w))).collect();
    let unwanted: Vec<&SgRule> = have.iter().copied().filter(|h| !want.iter().any(|w| w.identical(h))).collect();
    let redescribed: Vec<&SgRule> =
        want.iter().filter(|w| have.iter().any(|h| h.same_rule(w)) && !have.iter().any(|h| h.identical(w))).collect();
    authorize(ctx, id, group_id, &new).await?;
    revoke(ctx, id, group_id, &unwanted).await?;
    authorize(ctx, id, group_id, &redescribed).await
}

// Security group.

pub(super) async fn create_sg(
    ctx: &Ctx<'_>,
    id: &LogicalId,
    props: &SecurityGroupProps,
    tags: &Tags,
) -> Result<Observed, AwsError> {
    let ec2 = &ctx.clients.ec2;
    let (name, description, vpc) = (&props.group_name, &props.group_description, props.vpc_id.clone());
    let spec = tag_spec(ResourceType::SecurityGroup, tags);
    let out = ctx
        .retry(id.as_str(), "ec2:CreateSecurityGroup", &["InvalidVpcID.NotFound"], || {
            ec2.create_security_group()
                .group_name(name)
                .description(description)
                .set_vpc_id(vpc.clone())
                .tag_specifications(spec.clone())
                .send()
        })
        .await?;
    let group_id = out.group_id().unwrap_or_default().to_owned();
    let (_, rules) = read_sg(ctx, id, &group_id).await?;
    sync_rules(ctx, id.as_str(), &group_id, props, &rules).await?;
    Ok(read_sg(ctx, id, &group_id).await?.0)
}

pub(super) fn observe_sg(id: LogicalId, g: &SecurityGroup, rules: &[SgRule]) -> Observed {
    let group_id = g.group_id().unwrap_or_default();
    let mine = || rules.iter().filter(|r| r.group_id == group_id && !r.standalone);
    let ingress: Vec<Json> = mine().filter(|r| !r.egress).map(SgRule::to_cfn).collect();
    let egress: Vec<Json> = mine().filter(|r| r.egress).map(SgRule::to_cfn).collect();
    let mut o = Observed::new(id, SdkKind::SecurityGroup.cfn_type(), group_id)
        .attr("GroupId", group_id)
        .attr("VpcId", g.vpc_id().unwrap_or_default())
        .prop("GroupName", g.group_name().unwrap_or_default())
        .prop("GroupDescription", g.description().unwrap_or_default())
        .prop("VpcId", g.vpc_id().unwrap_or_default())
        .prop("SecurityGroupEgress", egress);
    // The template leaves the key out when a group has no inline ingress.
    if !ingress.is_empty() {
        o = o.prop("SecurityGroupIngress", ingress);
    }
    with_hash(o, g.tags())
}

pub(super) async fn read_sg(
    ctx: &Ctx<'_>,
    id: &LogicalId,
    group_id: &str,
) -> Result<(Observed, Vec<SgRule>), AwsError> {
    let ec2 = &ctx.clients.ec2;
    let out = ctx
        .retry(id.as_str(), "ec2:DescribeSecurityGroups", &["InvalidGroup.NotFound"], || {
            ec2.describe_security_groups().group_ids(group_id).send()
        })
        .await?;
    let groups = out.security_groups();
    let g = groups
        .first()
        .ok_or_else(|| ctx.fail(id.as_str(), "ec2:DescribeSecurityGroups", format!("{group_id} is not listed")))?;
    let rules = group_rules(ctx, id.as_str(), groups).await?;
    Ok((observe_sg(id.clone(), g, &rules), rules))
}

/// This stack's groups (and the raw groups, for the standalone rules' descriptions).
pub(super) async fn discover_sgs(ctx: &Ctx<'_>) -> Result<(Vec<SecurityGroup>, Vec<Observed>), AwsError> {
    let ec2 = &ctx.clients.ec2;
    let pages = ours_paged(ctx, "ec2:DescribeSecurityGroups", |filters, t| {
        ec2.describe_security_groups().set_filters(Some(filters)).set_next_token(t).send()
    })
    .await?;
    let groups: Vec<SecurityGroup> = pages.iter().flat_map(|p| p.security_groups()).cloned().collect();
    let rules = group_rules(ctx, "-", &groups).await?;
    let found = groups.iter().filter_map(|g| ours(ctx, g.tags()).map(|(id, _)| observe_sg(id, g, &rules))).collect();
    Ok((groups, found))
}

// Standalone ingress rule.

pub(super) fn observe_ingress(id: LogicalId, r: &SgRule, tags: &[Tag]) -> Observed {
    let rule_id = r.rule_id.clone().unwrap_or_default();
    let mut o = Observed::new(id, SdkKind::SecurityGroupIngress.cfn_type(), rule_id.as_str())
        .attr("Id", rule_id.as_str())
        .prop("GroupId", r.group_id.as_str());
    if let Json::Object(rule) = r.to_cfn() {
        o.props.extend(rule);
    }
    with_hash(o, tags)
}

/// The rule `rule_id`, its tags and its group (for the description), if it exists.
pub(super) async fn describe_rule(
    ctx: &Ctx<'_>,
    id: &str,
    rule_id: &str,
) -> Result<Option<(SgRule, Vec<Tag>)>, AwsError> {
    let ec2 = &ctx.clients.ec2;
    let out =
        tolerant(ctx, id, "ec2:DescribeSecurityGroupRules", &[], &["InvalidSecurityGroupRuleId.NotFound"], || {
            ec2.describe_security_group_rules().security_group_rule_ids(rule_id).send()
        })
        .await?;
    let Some(raw) = out.as_ref().and_then(|o| o.security_group_rules().first()) else { return Ok(None) };
    let Some(mut rule) = SgRule::from_sdk(raw) else { return Ok(None) };
    if rule.description.is_empty() && rule.peer.0 == PeerKind::Group {
        let group = rule.group_id.clone();
        let groups = ctx
            .retry(id, "ec2:DescribeSecurityGroups", &[], || {
                ec2.describe_security_groups().filters(filter("group-id", [group.as_str()])).send()
            })
            .await?;
        fill_descriptions(std::slice::from_mut(&mut rule), groups.security_groups());
    }
    Ok(Some((rule, raw.tags().to_vec())))
}

pub(super) async fn read_ingress(ctx: &Ctx<'_>, id: &LogicalId, rule_id: &str) -> Result<Observed, AwsError> {
    let (rule, tags) = describe_rule(ctx, id.as_str(), rule_id)
        .await?
        .ok_or_else(|| ctx.fail(id.as_str(), "ec2:DescribeSecurityGroupRules", format!("{rule_id} is not listed")))?;
    Ok(observe_ingress(id.clone(), &rule, &tags))
}

pub(super) async fn create_ingress(
    ctx: &Ctx<'_>,
    id: &LogicalId,
    props: &IngressProps,
    tags: &Tags,
) -> Result<Observed, AwsError> {
    let ec2 = &ctx.clients.ec2;
    let group_id = props.group_id.clone();
    let rule = SgRule::from_cfn(&group_id, false, &props.rule()).ok_or_else(|| AwsError::Property {
        stack: ctx.stack.name().to_owned(),
        id: id.to_string(),
        property: "CidrIp".into(),
        message: "a rule needs CidrIp, CidrIpv6, SourceSecurityGroupId or SourcePrefixListId".into(),
    })?;
    let spec = tag_spec(ResourceType::SecurityGroupRule, tags);
    let permission = rule.permission();
    let out = tolerant(
        ctx,
        id.as_str(),
        "ec2:AuthorizeSecurityGroupIngress",
        &["InvalidGroup.NotFound"],
        &["InvalidPermission.Duplicate"],
        || {
            ec2.authorize_security_group_ingress()
                .group_id(&group_id)
                .ip_permissions(permission.clone())
                .tag_specifications(spec.clone())
                .send()
        },
    )
    .await?;
    let rule_id =
        match out.as_ref().and_then(|o| o.security_group_rules().first()).and_then(|r| r.security_group_rule_id()) {
            Some(r) => r.to_owned(),
            None => adopt_rule(ctx, id, &rule, tags).await?,
        };
    read_ingress(ctx, id, &rule_id).await
}

/// The rule exists already (AWS refused a duplicate): find it, tag it, use it.
pub(super) async fn adopt_rule(ctx: &Ctx<'_>, id: &LogicalId, rule: &SgRule, tags: &Tags) -> Result<String, AwsError> {
    let ec2 = &ctx.clients.ec2;
    let groups = ctx
        .retry(id.as_str(), "ec2:DescribeSecurityGroups", &["InvalidGroup.NotFound"], || {
            ec2.describe_security_groups().group_ids(&rule.group_id).send()
        })
        .await?;
    let rules = group_rules(ctx, id.as_str(), groups.security_groups()).await?;
    let existing = rules.iter().find(|r| r.same_rule(rule)).and_then(|r| r.rule_id.clone()).ok_or_else(|| {
        ctx.fail(
            id.as_str(),
            "ec2:AuthorizeSecurityGroupIngress",
            format!("AWS calls the rule a duplicate, but {} has no such rule", rule.group_id),
        )
    })?;
    retag(ctx, id.as_str(), std::slice::from_ref(&existing), tags).await?;
    Ok(existing)
}

pub(super) async fn update_ingress(
    ctx: &Ctx<'_>,
    id: &LogicalId,
    current: &Observed,
    props: &IngressProps,
    tags: &Tags,
) -> Result<Observed, AwsError> {
    let now = current.props.get("Description").and_then(Json::as_str).unwrap_or_default();
    if now == props.description.as_deref().unwrap_or_default() {
        retag(ctx, id.as_str(), std::slice::from_ref(&current.physical_id), tags).await?;
        return read_ingress(ctx, id, &current.physical_id).await;
    }
    // Only the description changes in place (everything else replaces): a new rule, since
    // moto cannot change the description of a rule that names a group.
    delete_ingress(ctx, id.as_str(), &current.physical_id).await?;
    create_ingress(ctx, id, props, tags).await
}

pub(super) async fn delete_ingress(ctx: &Ctx<'_>, id: &str, rule_id: &str) -> Result<(), AwsError> {
    let ec2 = &ctx.clients.ec2;
    let Some((rule, _)) = describe_rule(ctx, id, rule_id).await? else { return Ok(()) };
    tolerant(
        ctx,
        id,
        "ec2:RevokeSecurityGroupIngress",
        &[],
        &["InvalidPermission.NotFound", "InvalidSecurityGroupRuleId.NotFound", "InvalidGroup.NotFound"],
        || ec2.revoke_security_group_ingress().group_id(&rule.group_id).security_group_rule_ids(rule_id).send(),
    )
    .await
    .map(drop)
}

pub(super) async fn discover_ingress(ctx: &Ctx<'_>, groups: &[SecurityGroup]) -> Result<Vec<Observed>, AwsError> {
    let ec2 = &ctx.clients.ec2;
    let pages = ours_paged(ctx, "ec2:DescribeSecurityGroupRules", |filters, t| {
        ec2.describe_security_group_rules().set_filters(Some(filters)).set_next_token(t).send()
    })
    .await?;
    let raw: Vec<&SecurityGroupRule> = pages.iter().flat_map(|p| p.security_group_rules()).collect();
    // Descriptions come from the groups; fetch those that are not this stack's.
    let mut groups = groups.to_vec();
    let missing: Vec<String> = raw
        .iter()
        .filter_map(|r| r.group_id())
        .filter(|g| !groups.iter().any(|x| x.group_id() == Some(*g)))
        .map(str::to_owned)
        .collect();
    if !missing.is_empty() {
        let out = ctx
            .retry("-", "ec2:DescribeSecurityGroups", &[], || {
                ec2.describe_security_groups().filters(filter("group-id", missing.clone())).send()
            })
            .await?;
        groups.extend(out.security_groups().iter().cloned());
    }
    let mut out = Vec::new();
    for r in raw {
        let (Some((id, _)), Some(rule)) = (ours(ctx, r.tags()), SgRule::from_sdk(r)) else { continue };
        let mut rules = [rule];
        fill_descriptions(&mut rules, &groups);
        out.push(observe_ingress(id, &rules[0], r.tags()));
    }
    Ok(out)
}
