//! `AWS::RDS::DBSubnetGroup`: description and subnets change in place; deleted once no instance
//! holds it.

use super::{
    Adapter, AwsError, CfnTag, Ctx, DbSubnetGroup, DescribeDBSubnetGroupsError, Deserialize, Desired, Future, Json,
    LogicalId, Observed, ProvideErrorMetadata, ResourceEntry, SdkError, SdkKind, Tags, absent, adapter, add_tags,
    list_tags, model, paged_items, sdk_tags, state,
};

/// The desired properties of an `AWS::RDS::DBSubnetGroup`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct DbSubnetGroupProps {
    #[serde(rename = "DBSubnetGroupName")]
    pub(crate) db_subnet_group_name: String,
    #[serde(rename = "DBSubnetGroupDescription")]
    pub(crate) db_subnet_group_description: String,
    pub(crate) subnet_ids: Vec<String>,
    #[serde(default)]
    pub(crate) tags: Vec<CfnTag>,
}

impl Desired for DbSubnetGroupProps {
    fn template_tags(&self) -> Vec<(&str, &str)> {
        adapter::pairs(&self.tags)
    }
}

impl Adapter for model::DbSubnetGroup {
    type Props = DbSubnetGroupProps;
    const REPLACED_BY: &'static [&'static str] = &["DBSubnetGroupName"];

    /// Creates the subnet group.
    async fn create(
        ctx: &Ctx<'_>,
        entry: &ResourceEntry,
        props: &DbSubnetGroupProps,
        tags: &Tags,
    ) -> Result<Observed, AwsError> {
        let mut observed = create_subnet_group(ctx, entry, props, tags).await?;
        observed.hash = state::hash_of(tags);
        Ok(observed)
    }

    /// Description and subnets change in place; tags are rewritten.
    async fn update(
        ctx: &Ctx<'_>,
        entry: &ResourceEntry,
        current: &Observed,
        props: &DbSubnetGroupProps,
        tags: &Tags,
    ) -> Result<Observed, AwsError> {
        let mut observed = update_subnet_group(ctx, entry, current, props, tags).await?;
        observed.hash = state::hash_of(tags);
        Ok(observed)
    }

    /// Deletes the group once no instance holds it.
    async fn delete(ctx: &Ctx<'_>, current: &Observed) -> Result<(), AwsError> {
        delete_subnet_group(ctx, current).await
    }
}

// ---------------------------------------------------------------------------------------------
// Subnet groups

pub(super) async fn create_subnet_group(
    ctx: &Ctx<'_>,
    entry: &ResourceEntry,
    props: &DbSubnetGroupProps,
    tags: &Tags,
) -> Result<Observed, AwsError> {
    let id = entry.id.as_str();
    let rds = &ctx.clients.rds;
    let name = &props.db_subnet_group_name;
    let description = &props.db_subnet_group_description;
    let subnets = &props.subnet_ids;
    let rds_tags = sdk_tags(tags);
    ctx.retry(id, "rds:CreateDBSubnetGroup", &["InvalidSubnet"], || {
        rds.create_db_subnet_group()
            .db_subnet_group_name(name)
            .db_subnet_group_description(description)
            .set_subnet_ids(Some(subnets.clone()))
            .set_tags(Some(rds_tags.clone()))
            .send()
    })
    .await?;
    let group = find_subnet_group(ctx, id, name).await?;
    group.map(|g| observe_subnet_group(entry.id.clone(), &g)).ok_or_else(|| vanished(ctx, id, name))
}

pub(super) async fn update_subnet_group(
    ctx: &Ctx<'_>,
    entry: &ResourceEntry,
    current: &Observed,
    props: &DbSubnetGroupProps,
    tags: &Tags,
) -> Result<Observed, AwsError> {
    let id = entry.id.as_str();
    let rds = &ctx.clients.rds;
    let name = current.physical_id.as_str();
    let description = &props.db_subnet_group_description;
    let subnets = &props.subnet_ids;
    ctx.retry(id, "rds:ModifyDBSubnetGroup", &["InvalidSubnet"], || {
        rds.modify_db_subnet_group()
            .db_subnet_group_name(name)
            .db_subnet_group_description(description)
            .set_subnet_ids(Some(subnets.clone()))
            .send()
    })
    .await?;
    let group = find_subnet_group(ctx, id, name).await?.ok_or_else(|| vanished(ctx, id, name))?;
    if let Some(arn) = group.db_subnet_group_arn() {
        add_tags(ctx, id, arn, tags).await?;
    }
    Ok(observe_subnet_group(entry.id.clone(), &group))
}

pub(super) async fn delete_subnet_group(ctx: &Ctx<'_>, current: &Observed) -> Result<(), AwsError> {
    let rds = &ctx.clients.rds;
    let name = current.physical_id.as_str();
    delete_when_free(
        ctx,
        current.id.as_str(),
        "deletable (no instance uses the subnet group)",
        "rds:DeleteDBSubnetGroup",
        || rds.delete_db_subnet_group().db_subnet_group_name(name).send(),
        aws_sdk_rds::operation::delete_db_subnet_group::DeleteDBSubnetGroupError::is_db_subnet_group_not_found_fault,
        aws_sdk_rds::operation::delete_db_subnet_group::DeleteDBSubnetGroupError::is_invalid_db_subnet_group_state_fault,
    )
    .await
}

pub(super) async fn find_subnet_group(ctx: &Ctx<'_>, id: &str, name: &str) -> Result<Option<DbSubnetGroup>, AwsError> {
    let rds = &ctx.clients.rds;
    let out = ctx
        .retry(id, "rds:DescribeDBSubnetGroups", &[], || async move {
            absent(
                rds.describe_db_subnet_groups().db_subnet_group_name(name).send().await,
                DescribeDBSubnetGroupsError::is_db_subnet_group_not_found_fault,
            )
        })
        .await?;
    Ok(out.and_then(|o| o.db_subnet_groups().first().cloned()))
}

pub(super) fn observe_subnet_group(id: LogicalId, g: &DbSubnetGroup) -> Observed {
    let name = g.db_subnet_group_name().unwrap_or_default();
    let subnets: Vec<Json> =
        g.subnets().iter().filter_map(|s| s.subnet_identifier()).map(|s| Json::String(s.to_owned())).collect();
    Observed::new(id, SdkKind::DbSubnetGroup.cfn_type(), name)
        .prop("DBSubnetGroupName", name)
        .prop("DBSubnetGroupDescription", g.db_subnet_group_description().unwrap_or_default())
        .prop("SubnetIds", subnets)
}

pub(super) async fn discover_subnet_groups(ctx: &Ctx<'_>) -> Result<Vec<Observed>, AwsError> {
    let rds = &ctx.clients.rds;
    let groups = paged_items(
        ctx,
        "-",
        "rds:DescribeDBSubnetGroups",
        |m| rds.describe_db_subnet_groups().set_marker(m).send(),
        |o| (o.db_subnet_groups(), o.marker()),
    )
    .await?;
    let mut found = Vec::new();
    for g in groups.iter().filter(|g| g.db_subnet_group_name() != Some("default")) {
        let Some(arn) = g.db_subnet_group_arn() else { continue };
        let tags = list_tags(ctx, arn).await?;
        if let Some((id, hash)) = ctx.ours(&tags) {
            let mut o = observe_subnet_group(id, g);
            o.hash = hash;
            found.push(o);
        }
    }
    Ok(found)
}

/// Deletes a group with `call`, polling while an instance still holds it (`busy`, or
/// throttled); `gone` means it is deleted already.
pub(super) async fn delete_when_free<O, E, R, F, Fut>(
    ctx: &Ctx<'_>,
    id: &str,
    state: &str,
    action: &str,
    call: F,
    gone: fn(&E) -> bool,
    busy: fn(&E) -> bool,
) -> Result<(), AwsError>
where
    F: Fn() -> Fut,
    Fut: Future<Output = Result<O, SdkError<E, R>>>,
    E: std::error::Error + ProvideErrorMetadata + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    let call = &call;
    // An instance being deleted still holds the group for a while.
    ctx.wait_for(id, state, move || async move {
        match call().await {
            Ok(_) => Ok(Some(())),
            Err(e) if e.as_service_error().is_some_and(gone) => Ok(Some(())),
            Err(e) if e.as_service_error().is_some_and(busy) => Ok(None),
            Err(e) if crate::services::is_throttling(&e) => Ok(None),
            Err(e) => Err(ctx.sdk_error(id, action, e)),
        }
    })
    .await
}

pub(super) fn vanished(ctx: &Ctx<'_>, id: &str, name: &str) -> AwsError {
    ctx.fail(id, "rds:Describe", format!("`{name}` was created but cannot be read back; re-run (apply resumes)"))
}
