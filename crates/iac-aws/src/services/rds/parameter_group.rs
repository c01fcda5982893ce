//! `AWS::RDS::DBParameterGroup`: parameters set 20 at a time (static ones `pending-reboot`),
//! removed ones reset to the engine default.

use super::{
    Adapter, ApplyMethod, AwsError, BTreeMap, CfnTag, Ctx, DbParameterGroup, DescribeDBParameterGroupsError,
    Deserialize, Desired, Future, Json, LogicalId, Map, Observed, Parameter, ProvideErrorMetadata, ResourceEntry,
    STATIC_PARAMETERS, SdkError, SdkKind, Tags, absent, adapter, add_tags, de, delete_when_free, list_tags, model,
    paged_items, sdk_tags, state, vanished,
};

/// The desired properties of an `AWS::RDS::DBParameterGroup`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct DbParameterGroupProps {
    #[serde(rename = "DBParameterGroupName")]
    pub(crate) db_parameter_group_name: String,
    pub(crate) description: String,
    pub(crate) family: String,
    #[serde(default, deserialize_with = "de::text_map")]
    pub(crate) parameters: BTreeMap<String, String>,
    #[serde(default)]
    pub(crate) tags: Vec<CfnTag>,
}

impl Desired for DbParameterGroupProps {
    fn template_tags(&self) -> Vec<(&str, &str)> {
        adapter::pairs(&self.tags)
    }
}

impl Adapter for model::DbParameterGroup {
    type Props = DbParameterGroupProps;
    const REPLACED_BY: &'static [&'static str] = &["DBParameterGroupName", "Family", "Description"];

    /// Creates the parameter group with its parameters.
    async fn create(
        ctx: &Ctx<'_>,
        entry: &ResourceEntry,
        props: &DbParameterGroupProps,
        tags: &Tags,
    ) -> Result<Observed, AwsError> {
        let mut observed = create_parameter_group(ctx, entry, props, tags).await?;
        observed.hash = state::hash_of(tags);
        Ok(observed)
    }

    /// Parameters change in place (removed ones are reset); tags are rewritten.
    async fn update(
        ctx: &Ctx<'_>,
        entry: &ResourceEntry,
        current: &Observed,
        props: &DbParameterGroupProps,
        tags: &Tags,
    ) -> Result<Observed, AwsError> {
        let mut observed = update_parameter_group(ctx, entry, current, props, tags).await?;
        observed.hash = state::hash_of(tags);
        Ok(observed)
    }

    /// Deletes the group once no instance holds it.
    async fn delete(ctx: &Ctx<'_>, current: &Observed) -> Result<(), AwsError> {
        delete_parameter_group(ctx, current).await
    }
}

// ---------------------------------------------------------------------------------------------
// Parameter groups

pub(super) async fn create_parameter_group(
    ctx: &Ctx<'_>,
    entry: &ResourceEntry,
    props: &DbParameterGroupProps,
    tags: &Tags,
) -> Result<Observed, AwsError> {
    let id = entry.id.as_str();
    let rds = &ctx.clients.rds;
    let name = props.db_parameter_group_name.clone();
    let family = &props.family;
    let description = &props.description;
    // The hash tag goes on last, once the parameters are set: a run killed in between leaves a
    // group without a hash, which the next plan updates instead of trusting.
    let (hash, ownership) = state::split_hash(tags);
    let rds_tags = sdk_tags(&ownership);
    ctx.retry(id, "rds:CreateDBParameterGroup", &[], || {
        rds.create_db_parameter_group()
            .db_parameter_group_name(&name)
            .db_parameter_group_family(family)
            .description(description)
            .set_tags(Some(rds_tags.clone()))
            .send()
    })
    .await?;
    set_parameters(ctx, id, &name, &props.parameters, &BTreeMap::new()).await?;
    let group = find_parameter_group(ctx, id, &name).await?.ok_or_else(|| vanished(ctx, id, &name))?;
    if let Some(arn) = group.db_parameter_group_arn() {
        add_tags(ctx, id, arn, &hash).await?;
    }
    observe_parameter_group(ctx, entry.id.clone(), &group).await
}

pub(super) async fn update_parameter_group(
    ctx: &Ctx<'_>,
    entry: &ResourceEntry,
    current: &Observed,
    props: &DbParameterGroupProps,
    tags: &Tags,
) -> Result<Observed, AwsError> {
    let id = entry.id.as_str();
    let name = current.physical_id.as_str();
    let now = user_parameters(ctx, id, name).await?;
    set_parameters(ctx, id, name, &props.parameters, &now).await?;
    let group = find_parameter_group(ctx, id, name).await?.ok_or_else(|| vanished(ctx, id, name))?;
    if let Some(arn) = group.db_parameter_group_arn() {
        add_tags(ctx, id, arn, tags).await?;
    }
    observe_parameter_group(ctx, entry.id.clone(), &group).await
}

/// Sets what differs from `now` and resets what `now` has but `desired` does not.
pub(super) async fn set_parameters(
    ctx: &Ctx<'_>,
    id: &str,
    name: &str,
    desired: &BTreeMap<String, String>,
    now: &BTreeMap<String, String>,
) -> Result<(), AwsError> {
    let changed: Vec<(&String, &String)> = desired.iter().filter(|(k, v)| now.get(*k) != Some(*v)).collect();
    let removed: Vec<&String> = now.keys().filter(|k| !desired.contains_key(*k)).collect();
    if changed.is_empty() && removed.is_empty() {
        return Ok(());
    }
    let apply_types = apply_types(ctx, id, name).await?;
    let method = |param: &str| match apply_types.get(param).map(String::as_str) {
        Some("static") => ApplyMethod::PendingReboot,
        None if STATIC_PARAMETERS.contains(&param) => ApplyMethod::PendingReboot,
        _ => ApplyMethod::Immediate,
    };
    let rds = &ctx.clients.rds;
    let params: Vec<Parameter> = changed
        .iter()
        .map(|(k, v)| Parameter::builder().parameter_name(*k).parameter_value(*v).apply_method(method(k)).build())
        .collect();
    in_batches(ctx, id, "rds:ModifyDBParameterGroup", &params, |batch| {
        rds.modify_db_parameter_group().db_parameter_group_name(name).set_parameters(Some(batch)).send()
    })
    .await?;
    let resets: Vec<Parameter> =
        removed.iter().map(|k| Parameter::builder().parameter_name(*k).apply_method(method(k)).build()).collect();
    in_batches(ctx, id, "rds:ResetDBParameterGroup", &resets, |batch| {
        rds.reset_db_parameter_group().db_parameter_group_name(name).set_parameters(Some(batch)).send()
    })
    .await
}

/// Sends `params` with `call` 20 at a time (the API's limit), retrying while the group is busy.
pub(super) async fn in_batches<O, E, R, F, Fut>(
    ctx: &Ctx<'_>,
    id: &str,
    action: &str,
    params: &[Parameter],
    call: F,
) -> Result<(), AwsError>
where
    F: Fn(Vec<Parameter>) -> Fut,
    Fut: Future<Output = Result<O, SdkError<E, R>>>,
    E: std::error::Error + ProvideErrorMetadata + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    for batch in params.chunks(20) {
        ctx.retry(id, action, &["InvalidDBParameterGroupState"], || call(batch.to_vec())).await?;
    }
    Ok(())
}

/// `static` or `dynamic` for every parameter the group reports (all of the family's on AWS).
pub(super) async fn apply_types(ctx: &Ctx<'_>, id: &str, name: &str) -> Result<BTreeMap<String, String>, AwsError> {
    let mut out = BTreeMap::new();
    for p in parameters(ctx, id, name, None).await? {
        if let (Some(n), Some(t)) = (p.parameter_name(), p.apply_type()) {
            out.insert(n.to_owned(), t.to_owned());
        }
    }
    Ok(out)
}

/// The parameters set by the user (not engine or system defaults), name to value.
pub(super) async fn user_parameters(ctx: &Ctx<'_>, id: &str, name: &str) -> Result<BTreeMap<String, String>, AwsError> {
    Ok(parameters(ctx, id, name, Some("user"))
        .await?
        .iter()
        .filter(|p| p.source().is_none_or(|s| s == "user"))
        .filter_map(|p| Some((p.parameter_name()?.to_owned(), p.parameter_value()?.to_owned())))
        .collect())
}

pub(super) async fn parameters(
    ctx: &Ctx<'_>,
    id: &str,
    name: &str,
    source: Option<&str>,
) -> Result<Vec<Parameter>, AwsError> {
    let rds = &ctx.clients.rds;
    paged_items(
        ctx,
        id,
        "rds:DescribeDBParameters",
        |m| {
            rds.describe_db_parameters()
                .db_parameter_group_name(name)
                .set_source(source.map(str::to_owned))
                .set_marker(m)
                .send()
        },
        |o| (o.parameters(), o.marker()),
    )
    .await
}

pub(super) async fn delete_parameter_group(ctx: &Ctx<'_>, current: &Observed) -> Result<(), AwsError> {
    let rds = &ctx.clients.rds;
    let name = current.physical_id.as_str();
    delete_when_free(
        ctx,
        current.id.as_str(),
        "deletable (no instance uses the parameter group)",
        "rds:DeleteDBParameterGroup",
        || rds.delete_db_parameter_group().db_parameter_group_name(name).send(),
        aws_sdk_rds::operation::delete_db_parameter_group::DeleteDBParameterGroupError::is_db_parameter_group_not_found_fault,
        aws_sdk_rds::operation::delete_db_parameter_group::DeleteDBParameterGroupError::is_invalid_db_parameter_group_state_fault,
    )
    .await
}

pub(super) async fn find_parameter_group(
    ctx: &Ctx<'_>,
    id: &str,
    name: &str,
) -> Result<Option<DbParameterGroup>, AwsError> {
    let rds = &ctx.clients.rds;
    let out = ctx
        .retry(id, "rds:DescribeDBParameterGroups", &[], || async move {
            absent(
                rds.describe_db_parameter_groups().db_parameter_group_name(name).send().await,
                DescribeDBParameterGroupsError::is_db_parameter_group_not_found_fault,
            )
        })
        .await?;
    Ok(out.and_then(|o| o.db_parameter_groups().first().cloned()))
}

pub(super) async fn observe_parameter_group(
    ctx: &Ctx<'_>,
    id: LogicalId,
    g: &DbParameterGroup,
) -> Result<Observed, AwsError> {
    let name = g.db_parameter_group_name().unwrap_or_default();
    let params: Map<String, Json> =
        user_parameters(ctx, id.as_str(), name).await?.into_iter().map(|(k, v)| (k, Json::String(v))).collect();
    Ok(Observed::new(id, SdkKind::DbParameterGroup.cfn_type(), name)
        .prop("DBParameterGroupName", name)
        .prop("Family", g.db_parameter_group_family().unwrap_or_default())
        .prop("Description", g.description().unwrap_or_default())
        .prop("Parameters", Json::Object(params)))
}

pub(super) async fn discover_parameter_groups(ctx: &Ctx<'_>) -> Result<Vec<Observed>, AwsError> {
    let rds = &ctx.clients.rds;
    let groups = paged_items(
        ctx,
        "-",
        "rds:DescribeDBParameterGroups",
        |m| rds.describe_db_parameter_groups().set_marker(m).send(),
        |o| (o.db_parameter_groups(), o.marker()),
    )
    .await?;
    let mut found = Vec::new();
    // `default.*` groups belong to AWS and cannot be tagged.
    for g in groups.iter().filter(|g| !g.db_parameter_group_name().unwrap_or_default().starts_with("default.")) {
        let Some(arn) = g.db_parameter_group_arn() else { continue };
        let tags = list_tags(ctx, arn).await?;
        if let Some((id, hash)) = ctx.ours(&tags) {
            let mut o = observe_parameter_group(ctx, id, g).await?;
            o.hash = hash;
            found.push(o);
        }
    }
    Ok(found)
}
