//! IAM: `AWS::IAM::Role` (trust policy, description, managed policies, inline policies) and
//! `AWS::IAM::InstanceProfile`.
//!
//! Roles and instance profiles are created at path `/` (CloudFormation's default) with their
//! ownership tags (`iac:stack`, `iac:env`, `iac:id`) in the create call. The `iac:hash` tag is put
//! on last, once policies or roles are attached, so a run killed half-way leaves a resource
//! without a hash, which the next plan re-applies rather than trusts. An instance profile gets
//! the stack's tags here even though CloudFormation cannot tag one.
//!
//! Discovery by name: IAM is not in the resource-groups tagging API and `ListRoles` has no tag
//! filter. For each role and instance profile of the stack, its physical name
//! ([`iac_core::naming::physical_name`]) is looked up with `GetRole` / `GetInstanceProfile`,
//! and the resource counts as this stack's only when its own tags say so ([`crate::state::ours`]), so
//! a same-named role of another stack is never adopted. Roles and profiles whose names start with
//! `<stack>-<env>-` are looked up the same way, which finds those removed from the stack
//! (orphans to delete).

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_iam::types::Tag;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use iac_core::LogicalId;
use iac_core::model::{InstanceProfile, ResourceEntry, Role};
use serde::Deserialize;
use serde_json::Value as Json;

use super::{Ctx, absent_on, paged_items, tag_pairs};
use crate::adapter::{self, Adapter, CfnTag, Desired, SdkKind, de};
use crate::error::AwsError;
use crate::state::{self, Observed, TAG_ID, Tags};

/// The desired properties of an `AWS::IAM::Role`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct RoleProps {
    pub(crate) role_name: String,
    #[serde(default)]
    pub(crate) description: String,
    pub(crate) assume_role_policy_document: Json,
    #[serde(default)]
    pub(crate) path: Option<String>,
    #[serde(default, deserialize_with = "de::opt_int")]
    pub(crate) max_session_duration: Option<i32>,
    #[serde(default)]
    pub(crate) permissions_boundary: Option<String>,
    #[serde(default)]
    pub(crate) managed_policy_arns: Vec<String>,
    #[serde(default)]
    pub(crate) policies: Vec<InlinePolicy>,
    #[serde(default)]
    pub(crate) tags: Vec<CfnTag>,
}

/// An inline policy of a role.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct InlinePolicy {
    pub(crate) policy_name: String,
    pub(crate) policy_document: Json,
}

impl Desired for RoleProps {
    fn template_tags(&self) -> Vec<(&str, &str)> {
        adapter::pairs(&self.tags)
    }
}

/// The desired properties of an `AWS::IAM::InstanceProfile`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct InstanceProfileProps {
    pub(crate) instance_profile_name: String,
    #[serde(default)]
    pub(crate) path: Option<String>,
    #[serde(default)]
    pub(crate) roles: Vec<String>,
}

impl Desired for InstanceProfileProps {}

impl Adapter for Role {
    type Props = RoleProps;

    /// Creates the role with its policies.
    async fn create(
        ctx: &Ctx<'_>,
        entry: &ResourceEntry,
        props: &RoleProps,
        tags: &Tags,
    ) -> Result<Observed, AwsError> {
        let tags = full_tags(ctx, entry, tags);
        let mut observed = create_role(ctx, entry, props, &tags).await?;
        observed.hash = state::hash_of(&tags);
        Ok(observed)
    }

    /// Updates in place: trust policy, description, managed and inline policies, tags.
    async fn update(
        ctx: &Ctx<'_>,
        entry: &ResourceEntry,
        current: &Observed,
        props: &RoleProps,
        tags: &Tags,
    ) -> Result<Observed, AwsError> {
        let tags = full_tags(ctx, entry, tags);
        let mut observed = update_role(ctx, entry, current, props, &tags).await?;
        observed.hash = state::hash_of(&tags);
        Ok(observed)
    }

    /// Deletes the role after detaching its managed policies, deleting its inline policies and
    /// removing it from instance profiles.
    async fn delete(ctx: &Ctx<'_>, current: &Observed) -> Result<(), AwsError> {
        delete_role(ctx, current.id.as_str(), &current.physical_id).await
    }
}

impl Adapter for InstanceProfile {
    type Props = InstanceProfileProps;

    /// Creates the instance profile with its role.
    async fn create(
        ctx: &Ctx<'_>,
        entry: &ResourceEntry,
        props: &InstanceProfileProps,
        tags: &Tags,
    ) -> Result<Observed, AwsError> {
        let tags = full_tags(ctx, entry, tags);
        let mut observed = create_instance_profile(ctx, entry, props, &tags).await?;
        observed.hash = state::hash_of(&tags);
        Ok(observed)
    }

    /// Updates the profile's role and tags.
    async fn update(
        ctx: &Ctx<'_>,
        entry: &ResourceEntry,
        current: &Observed,
        props: &InstanceProfileProps,
        tags: &Tags,
    ) -> Result<Observed, AwsError> {
        let tags = full_tags(ctx, entry, tags);
        let mut observed = update_instance_profile(ctx, entry, current, props, &tags).await?;
        observed.hash = state::hash_of(&tags);
        Ok(observed)
    }

    /// Deletes the profile after removing its roles.
    async fn delete(ctx: &Ctx<'_>, current: &Observed) -> Result<(), AwsError> {
        delete_instance_profile(ctx, current.id.as_str(), &current.physical_id).await
    }
}

/// Finds this stack's roles and instance profiles by name, then checks their tags (see the
/// module docs).
pub async fn discover(ctx: &Ctx<'_>) -> Result<Vec<Observed>, AwsError> {
    let mut roles = BTreeSet::new();
    let mut profiles = BTreeSet::new();
    for entry in ctx.stack.resources() {
        let Some(name) = iac_core::naming::physical_name(ctx.stack, entry) else { continue };
        if entry.resource.get::<Role>().is_some() {
            roles.insert(name);
        } else if entry.resource.get::<InstanceProfile>().is_some() {
            profiles.insert(name);
        }
    }
    let prefix = format!("{}-{}-", ctx.stack.name(), ctx.stack.env());
    roles.extend(listed_roles(ctx).await?.into_iter().filter(|n| n.starts_with(&prefix)));
    profiles.extend(listed_profiles(ctx).await?.into_iter().filter(|n| n.starts_with(&prefix)));

    let mut out = Vec::new();
    for name in &roles {
        let Some(role) = get_role(ctx, "-", name).await? else { continue };
        let tags = role_tags(ctx, "-", name).await?;
        if let Some((id, hash)) = ctx.ours(&tags) {
            let mut o = observe_role(ctx, id, &role).await?;
            o.hash = hash;
            out.push(o);
        }
    }
    for name in &profiles {
        let Some(profile) = get_instance_profile(ctx, "-", name).await? else { continue };
        let tags = tag_pairs(profile.tags());
        if let Some((id, hash)) = ctx.ours(&tags) {
            let mut o = observe_instance_profile(id, &profile);
            o.hash = hash;
            out.push(o);
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// Helpers

/// The stack's tags, `Name` and `iac:id` (which the engine leaves out for kinds CloudFormation
/// cannot tag, such as instance profiles), then the given ones.
fn full_tags(ctx: &Ctx<'_>, entry: &ResourceEntry, tags: &Tags) -> Tags {
    let mut out: BTreeMap<String, String> = BTreeMap::new();
    if let Some(name) = iac_core::naming::physical_name(ctx.stack, entry) {
        out.insert("Name".into(), name);
    }
    out.extend(ctx.stack.tags().iter().map(|(k, v)| (k.clone(), v.clone())));
    out.insert(TAG_ID.into(), entry.id.to_string());
    out.extend(tags.iter().cloned());
    out.into_iter().collect()
}

fn iam_tags(ctx: &Ctx<'_>, id: &str, tags: &[(String, String)]) -> Result<Vec<Tag>, AwsError> {
    tags.iter().map(|(k, v)| Tag::builder().key(k).value(v).build().map_err(|e| ctx.fail(id, "iam:Tag", e))).collect()
}

/// `Ok(None)` when IAM says the entity does not exist.
fn absent<T, E: ProvideErrorMetadata, R>(result: Result<T, SdkError<E, R>>) -> Result<Option<T>, SdkError<E, R>> {
    absent_on(result, &["NoSuchEntity"])
}

/// `Ok(())` also when the entity is already gone.
fn gone<T, E: ProvideErrorMetadata, R>(result: Result<T, SdkError<E, R>>) -> Result<(), SdkError<E, R>> {
    absent(result).map(|_| ())
}

fn json_text(v: &Json) -> String {
    // A document may come as text (a join) or as JSON.
    match v {
        Json::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Policy documents come back URL-encoded (RFC 3986); decodes and parses one.
fn policy_document(text: &str) -> Json {
    let decoded = percent_decode(text);
    serde_json::from_str(&decoded).or_else(|_| serde_json::from_str(text)).unwrap_or(Json::String(decoded))
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut k = 0;
    while k < bytes.len() {
        let hex = |b: u8| char::from(b).to_digit(16);
        if bytes[k] == b'%'
            && k + 2 < bytes.len()
            && let (Some(h), Some(l)) = (hex(bytes[k + 1]), hex(bytes[k + 2]))
        {
            out.push(u8::try_from(h * 16 + l).unwrap_or(b'?'));
            k += 3;
            continue;
        }
        out.push(bytes[k]);
        k += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

// ---------------------------------------------------------------------------------------------
// Roles

async fn create_role(
    ctx: &Ctx<'_>,
    entry: &ResourceEntry,
    props: &RoleProps,
    tags: &Tags,
) -> Result<Observed, AwsError> {
    let id = entry.id.as_str();
    let iam = &ctx.clients.iam;
    let name = props.role_name.clone();
    let (hash, ownership) = state::split_hash(tags);
    let iam_tags = iam_tags(ctx, id, &ownership)?;
    let trust = json_text(&props.assume_role_policy_document);
    let description = props.description.clone();
    let path = props.path.clone().unwrap_or_else(|| "/".to_owned());
    ctx.retry(id, "iam:CreateRole", &[], || {
        iam.create_role()
            .role_name(&name)
            .path(&path)
            .assume_role_policy_document(&trust)
            .set_description((!description.is_empty()).then(|| description.clone()))
            .set_max_session_duration(props.max_session_duration)
            .set_permissions_boundary(props.permissions_boundary.clone())
            .set_tags(Some(iam_tags.clone()))
            .send()
    })
    .await?;
    // IAM is eventually consistent: wait until the role can be read back.
    let role = ctx
        .wait_for(id, "readable", || {
            let name = name.as_str();
            async move { get_role(ctx, id, name).await }
        })
        .await?;
    sync_policies(ctx, id, &name, props).await?;
    tag_role(ctx, id, &name, &hash).await?;
    observe_role(ctx, entry.id.clone(), &role).await
}

async fn update_role(
    ctx: &Ctx<'_>,
    entry: &ResourceEntry,
    current: &Observed,
    props: &RoleProps,
    tags: &Tags,
) -> Result<Observed, AwsError> {
    let id = entry.id.as_str();
    let iam = &ctx.clients.iam;
    let name = current.physical_id.as_str();
    let role = get_role(ctx, id, name)
        .await?
        .ok_or_else(|| ctx.fail(id, "iam:GetRole", format!("role `{name}` no longer exists; re-run plan")))?;
    {
        let want = &props.assume_role_policy_document;
        let now = role.assume_role_policy_document().map(policy_document);
        if now.as_ref() != Some(want) {
            let text = json_text(want);
            ctx.retry(id, "iam:UpdateAssumeRolePolicy", &[], || {
                iam.update_assume_role_policy().role_name(name).policy_document(&text).send()
            })
            .await?;
        }
    }
    let description = props.description.as_str();
    if role.description().unwrap_or_default() != description {
        ctx.retry(id, "iam:UpdateRole", &[], || iam.update_role().role_name(name).description(description).send())
            .await?;
    }
    sync_policies(ctx, id, name, props).await?;
    tag_role(ctx, id, name, tags).await?;
    let role = get_role(ctx, id, name).await?.unwrap_or(role);
    observe_role(ctx, entry.id.clone(), &role).await
}

/// Attaches and detaches managed policies, puts and deletes inline ones, to match `props`.
async fn sync_policies(ctx: &Ctx<'_>, id: &str, name: &str, props: &RoleProps) -> Result<(), AwsError> {
    let iam = &ctx.clients.iam;
    let want_managed: BTreeSet<String> = props.managed_policy_arns.iter().cloned().collect();
    let now_managed: BTreeSet<String> = attached_policies(ctx, id, name).await?.into_iter().collect();
    for arn in want_managed.difference(&now_managed) {
        ctx.retry(id, "iam:AttachRolePolicy", &[], || iam.attach_role_policy().role_name(name).policy_arn(arn).send())
            .await?;
    }
    for arn in now_managed.difference(&want_managed) {
        ctx.retry(id, "iam:DetachRolePolicy", &[], || async move {
            gone(iam.detach_role_policy().role_name(name).policy_arn(arn).send().await)
        })
        .await?;
    }
    let want_inline: BTreeMap<String, Json> =
        props.policies.iter().map(|p| (p.policy_name.clone(), p.policy_document.clone())).collect();
    let now_inline = inline_policies(ctx, id, name).await?;
    for (policy, doc) in &want_inline {
        if now_inline.get(policy) == Some(doc) {
            continue;
        }
        let text = json_text(doc);
        ctx.retry(id, "iam:PutRolePolicy", &[], || {
            iam.put_role_policy().role_name(name).policy_name(policy).policy_document(&text).send()
        })
        .await?;
    }
    for policy in now_inline.keys().filter(|p| !want_inline.contains_key(*p)) {
        ctx.retry(id, "iam:DeleteRolePolicy", &[], || async move {
            gone(iam.delete_role_policy().role_name(name).policy_name(policy).send().await)
        })
        .await?;
    }
    Ok(())
}

async fn tag_role(ctx: &Ctx<'_>, id: &str, name: &str, tags: &Tags) -> Result<(), AwsError> {
    if tags.is_empty() {
        return Ok(());
    }
    let iam = &ctx.clients.iam;
    let tags = iam_tags(ctx, id, tags)?;
    ctx.retry(id, "iam:TagRole", &[], || iam.tag_role().role_name(name).set_tags(Some(tags.clone())).send()).await?;
    Ok(())
}

async fn get_role(ctx: &Ctx<'_>, id: &str, name: &str) -> Result<Option<aws_sdk_iam::types::Role>, AwsError> {
    let iam = &ctx.clients.iam;
    let out = ctx
        .retry(id, "iam:GetRole", &[], || async move { absent(iam.get_role().role_name(name).send().await) })
        .await?;
    Ok(out.and_then(|o| o.role().cloned()))
}

async fn role_tags(ctx: &Ctx<'_>, id: &str, name: &str) -> Result<Vec<(String, String)>, AwsError> {
    let iam = &ctx.clients.iam;
    let mut out = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let m = marker.clone();
        let page = ctx
            .retry(id, "iam:ListRoleTags", &[], || {
                let m = m.clone();
                async move { absent(iam.list_role_tags().role_name(name).set_marker(m).send().await) }
            })
            .await?;
        let Some(page) = page else { break };
        out.extend(tag_pairs(page.tags()));
        marker = page.marker().filter(|_| page.is_truncated()).map(str::to_owned);
        if marker.is_none() {
            break;
        }
    }
    Ok(out)
}

async fn attached_policies(ctx: &Ctx<'_>, id: &str, name: &str) -> Result<Vec<String>, AwsError> {
    let iam = &ctx.clients.iam;
    let mut out = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let m = marker.clone();
        let page = ctx
            .retry(id, "iam:ListAttachedRolePolicies", &[], || {
                let m = m.clone();
                async move { absent(iam.list_attached_role_policies().role_name(name).set_marker(m).send().await) }
            })
            .await?;
        let Some(page) = page else { break };
        out.extend(page.attached_policies().iter().filter_map(|p| p.policy_arn().map(str::to_owned)));
        marker = page.marker().filter(|_| page.is_truncated()).map(str::to_owned);
        if marker.is_none() {
            break;
        }
    }
    Ok(out)
}

/// Inline policies by name, with their documents decoded.
async fn inline_policies(ctx: &Ctx<'_>, id: &str, name: &str) -> Result<BTreeMap<String, Json>, AwsError> {
    let iam = &ctx.clients.iam;
    let mut names = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let m = marker.clone();
        let page = ctx
            .retry(id, "iam:ListRolePolicies", &[], || {
                let m = m.clone();
                async move { absent(iam.list_role_policies().role_name(name).set_marker(m).send().await) }
            })
            .await?;
        let Some(page) = page else { break };
        names.extend(page.policy_names().iter().cloned());
        marker = page.marker().filter(|_| page.is_truncated()).map(str::to_owned);
        if marker.is_none() {
            break;
        }
    }
    let mut out = BTreeMap::new();
    for policy in &names {
        let policy = policy.as_str();
        let got = ctx
            .retry(id, "iam:GetRolePolicy", &[], || async move {
                absent(iam.get_role_policy().role_name(name).policy_name(policy).send().await)
            })
            .await?;
        if let Some(got) = got {
            out.insert(policy.to_owned(), policy_document(got.policy_document()));
        }
    }
    Ok(out)
}

async fn observe_role(ctx: &Ctx<'_>, id: LogicalId, role: &aws_sdk_iam::types::Role) -> Result<Observed, AwsError> {
    let name = role.role_name();
    let managed: Vec<Json> = attached_policies(ctx, id.as_str(), name).await?.into_iter().map(Json::String).collect();
    let inline: Vec<Json> = inline_policies(ctx, id.as_str(), name)
        .await?
        .into_iter()
        .map(|(policy, doc)| serde_json::json!({ "PolicyName": policy, "PolicyDocument": doc }))
        .collect();
    let or_null = |v: Vec<Json>| if v.is_empty() { Json::Null } else { Json::Array(v) };
    let trust = role.assume_role_policy_document().map_or(Json::Null, policy_document);
    Ok(Observed::new(id, SdkKind::Role.cfn_type(), name)
        .attr("Arn", role.arn())
        .attr("RoleId", role.role_id())
        .prop("RoleName", name)
        .prop("Description", role.description().unwrap_or_default())
        .prop("AssumeRolePolicyDocument", trust)
        .prop("ManagedPolicyArns", or_null(managed))
        .prop("Policies", or_null(inline)))
}

async fn delete_role(ctx: &Ctx<'_>, id: &str, name: &str) -> Result<(), AwsError> {
    let iam = &ctx.clients.iam;
    if get_role(ctx, id, name).await?.is_none() {
        return Ok(());
    }
    let profiles = ctx
        .retry(id, "iam:ListInstanceProfilesForRole", &[], || async move {
            absent(iam.list_instance_profiles_for_role().role_name(name).send().await)
        })
        .await?;
    for profile in profiles.iter().flat_map(
        aws_sdk_iam::operation::list_instance_profiles_for_role::ListInstanceProfilesForRoleOutput::instance_profiles,
    ) {
        let profile = profile.instance_profile_name();
        remove_from_profile(ctx, id, profile, name).await?;
    }
    for arn in attached_policies(ctx, id, name).await? {
        let arn = arn.as_str();
        ctx.retry(id, "iam:DetachRolePolicy", &[], || async move {
            gone(iam.detach_role_policy().role_name(name).policy_arn(arn).send().await)
        })
        .await?;
    }
    for policy in inline_policies(ctx, id, name).await?.keys() {
        let policy = policy.as_str();
        ctx.retry(id, "iam:DeleteRolePolicy", &[], || async move {
            gone(iam.delete_role_policy().role_name(name).policy_name(policy).send().await)
        })
        .await?;
    }
    ctx.retry(id, "iam:DeleteRole", &["DeleteConflict"], || async move {
        gone(iam.delete_role().role_name(name).send().await)
    })
    .await
}

async fn listed_roles(ctx: &Ctx<'_>) -> Result<Vec<String>, AwsError> {
    let iam = &ctx.clients.iam;
    let all = paged_items(
        ctx,
        "-",
        "iam:ListRoles",
        |m| iam.list_roles().set_marker(m).send(),
        |p| (p.roles(), p.marker().filter(|_| p.is_truncated())),
    )
    .await?;
    Ok(all.iter().map(|x| x.role_name().to_owned()).collect())
}

// ---------------------------------------------------------------------------------------------
// Instance profiles

async fn create_instance_profile(
    ctx: &Ctx<'_>,
    entry: &ResourceEntry,
    props: &InstanceProfileProps,
    tags: &Tags,
) -> Result<Observed, AwsError> {
    let id = entry.id.as_str();
    let iam = &ctx.clients.iam;
    let name = props.instance_profile_name.clone();
    let (hash, ownership) = state::split_hash(tags);
    let iam_tags = iam_tags(ctx, id, &ownership)?;
    let path = props.path.clone().unwrap_or_else(|| "/".to_owned());
    ctx.retry(id, "iam:CreateInstanceProfile", &[], || {
        iam.create_instance_profile().instance_profile_name(&name).path(&path).set_tags(Some(iam_tags.clone())).send()
    })
    .await?;
    ctx.wait_for(id, "readable", || {
        let name = name.as_str();
        async move { get_instance_profile(ctx, id, name).await }
    })
    .await?;
    sync_profile_roles(ctx, id, &name, &props.roles).await?;
    tag_instance_profile(ctx, id, &name, &hash).await?;
    let profile = get_instance_profile(ctx, id, &name).await?.ok_or_else(|| vanished(ctx, id, &name))?;
    Ok(observe_instance_profile(entry.id.clone(), &profile))
}

async fn update_instance_profile(
    ctx: &Ctx<'_>,
    entry: &ResourceEntry,
    current: &Observed,
    props: &InstanceProfileProps,
    tags: &Tags,
) -> Result<Observed, AwsError> {
    let id = entry.id.as_str();
    let name = current.physical_id.as_str();
    sync_profile_roles(ctx, id, name, &props.roles).await?;
    tag_instance_profile(ctx, id, name, tags).await?;
    let profile = get_instance_profile(ctx, id, name).await?.ok_or_else(|| vanished(ctx, id, name))?;
    Ok(observe_instance_profile(entry.id.clone(), &profile))
}

fn vanished(ctx: &Ctx<'_>, id: &str, name: &str) -> AwsError {
    ctx.fail(
        id,
        "iam:GetInstanceProfile",
        format!("instance profile `{name}` cannot be read back; re-run (apply resumes)"),
    )
}

async fn sync_profile_roles(ctx: &Ctx<'_>, id: &str, name: &str, want: &[String]) -> Result<(), AwsError> {
    let iam = &ctx.clients.iam;
    let profile = get_instance_profile(ctx, id, name).await?.ok_or_else(|| vanished(ctx, id, name))?;
    let now: BTreeSet<String> = profile.roles().iter().map(|r| r.role_name().to_owned()).collect();
    let want: BTreeSet<String> = want.iter().cloned().collect();
    for role in now.difference(&want) {
        remove_from_profile(ctx, id, name, role).await?;
    }
    for role in want.difference(&now) {
        // A role created a moment ago may not be visible to IAM's other endpoints yet.
        ctx.retry(id, "iam:AddRoleToInstanceProfile", &["NoSuchEntity"], || {
            iam.add_role_to_instance_profile().instance_profile_name(name).role_name(role).send()
        })
        .await?;
    }
    Ok(())
}

async fn tag_instance_profile(ctx: &Ctx<'_>, id: &str, name: &str, tags: &Tags) -> Result<(), AwsError> {
    if tags.is_empty() {
        return Ok(());
    }
    let iam = &ctx.clients.iam;
    let tags = iam_tags(ctx, id, tags)?;
    ctx.retry(id, "iam:TagInstanceProfile", &[], || {
        iam.tag_instance_profile().instance_profile_name(name).set_tags(Some(tags.clone())).send()
    })
    .await?;
    Ok(())
}

/// Takes `role` out of the instance profile `profile` (not in it is success).
async fn remove_from_profile(ctx: &Ctx<'_>, id: &str, profile: &str, role: &str) -> Result<(), AwsError> {
    let iam = &ctx.clients.iam;
    ctx.retry(id, "iam:RemoveRoleFromInstanceProfile", &[], || async move {
        gone(iam.remove_role_from_instance_profile().instance_profile_name(profile).role_name(role).send().await)
    })
    .await
}

async fn get_instance_profile(
    ctx: &Ctx<'_>,
    id: &str,
    name: &str,
) -> Result<Option<aws_sdk_iam::types::InstanceProfile>, AwsError> {
    let iam = &ctx.clients.iam;
    let out = ctx
        .retry(id, "iam:GetInstanceProfile", &[], || async move {
            absent(iam.get_instance_profile().instance_profile_name(name).send().await)
        })
        .await?;
    Ok(out.and_then(|o| o.instance_profile().cloned()))
}

fn observe_instance_profile(id: LogicalId, profile: &aws_sdk_iam::types::InstanceProfile) -> Observed {
    let name = profile.instance_profile_name();
    let roles: Vec<Json> = profile.roles().iter().map(|r| Json::String(r.role_name().to_owned())).collect();
    Observed::new(id, SdkKind::InstanceProfile.cfn_type(), name)
        .attr("Arn", profile.arn())
        .prop("InstanceProfileName", name)
        .prop("Roles", roles)
}

async fn delete_instance_profile(ctx: &Ctx<'_>, id: &str, name: &str) -> Result<(), AwsError> {
    let iam = &ctx.clients.iam;
    let Some(profile) = get_instance_profile(ctx, id, name).await? else { return Ok(()) };
    for role in profile.roles() {
        let role = role.role_name();
        remove_from_profile(ctx, id, name, role).await?;
    }
    ctx.retry(id, "iam:DeleteInstanceProfile", &["DeleteConflict"], || async move {
        gone(iam.delete_instance_profile().instance_profile_name(name).send().await)
    })
    .await
}

async fn listed_profiles(ctx: &Ctx<'_>) -> Result<Vec<String>, AwsError> {
    let iam = &ctx.clients.iam;
    let all = paged_items(
        ctx,
        "-",
        "iam:ListInstanceProfiles",
        |m| iam.list_instance_profiles().set_marker(m).send(),
        |p| (p.instance_profiles(), p.marker().filter(|_| p.is_truncated())),
    )
    .await?;
    Ok(all.iter().map(|x| x.instance_profile_name().to_owned()).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_url_encoded_policy_documents() {
        let doc = policy_document("%7B%22Version%22%3A%20%222012-10-17%22%2C%20%22Statement%22%3A%20%5B%5D%7D");
        assert_eq!(doc, serde_json::json!({ "Version": "2012-10-17", "Statement": [] }));
        assert_eq!(policy_document(r#"{"a":1}"#), serde_json::json!({ "a": 1 }));
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("a%2"), "a%2");
    }

    #[test]
    fn replacement_properties() {
        assert_eq!(crate::services::replaced_by(SdkKind::Role.cfn_type()), &["RoleName", "Path"]);
        assert!(crate::services::replaced_by(SdkKind::InstanceProfile.cfn_type()).contains(&"InstanceProfileName"));
    }
}
