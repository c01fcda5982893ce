//! `AWS::SecretsManager::Secret` with `GenerateSecretString`: the value is generated where the
//! stack is deployed, by Secrets Manager itself (`GetRandomPassword` with the template's rules),
//! and goes straight into `CreateSecret`. It is never printed, logged, tagged or put in a plan
//! (the SDK redacts it from its own debug output), and it is never read back: `Observed` holds
//! the name, description and key only.
//!
//! - Create tags the secret in `CreateSecret` with a client request token derived from the
//!   stack, environment, logical id and desired hash. A secret of that name that is already this
//!   stack's (a rerun after a kill, or one deleted by an earlier destroy and still in its
//!   recovery window) is taken back (`RestoreSecret`) with its value, never overwritten; a
//!   secret of that name that is not the stack's is an error.
//! - Update changes the description and key (`UpdateSecret` without a value) and the tags. The
//!   value is generated once: a changed `GenerateSecretString` does not make a new one (rotate
//!   it by hand: a new session key logs every user out).
//! - The kind holds data (its spec: `Keep::Retain`, `DeletionPolicy: Retain` in CloudFormation):
//!   the engine deletes it only with `--allow-data-loss`, and then with a recovery window of
//!   [`RECOVERY_WINDOW_DAYS`] days (`DeleteSecret`, never `ForceDeleteWithoutRecovery`):
//!   `aws secretsmanager restore-secret`, or the next apply of the stack, brings it back with its
//!   value until then.

use aws_sdk_secretsmanager::operation::describe_secret::DescribeSecretOutput;
use aws_sdk_secretsmanager::types::Tag;
use iac_core::LogicalId;
use iac_core::model::{self, ResourceEntry};
use serde::Deserialize;
use serde_json::Value as Json;

use crate::adapter::{self, Adapter, CfnTag, Desired, SdkKind, de};
use crate::error::AwsError;
use crate::services::{Ctx, absent_on, code_in};
use crate::state::{self, Observed, TAG_HASH, Tags};

/// Days a deleted secret can be restored (the longest Secrets Manager allows).
pub const RECOVERY_WINDOW_DAYS: i64 = 30;

/// The desired properties of an `AWS::SecretsManager::Secret`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct SecretProps {
    #[serde(deserialize_with = "de::text")]
    pub(crate) name: String,
    #[serde(default, deserialize_with = "de::opt_text")]
    pub(crate) description: Option<String>,
    #[serde(default, deserialize_with = "de::opt_text")]
    pub(crate) kms_key_id: Option<String>,
    pub(crate) generate_secret_string: GenerateProps,
    #[serde(default)]
    pub(crate) tags: Vec<CfnTag>,
}

/// `GenerateSecretString`: the rules of `GetRandomPassword`, and optionally a JSON template the
/// value goes into under `GenerateStringKey`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct GenerateProps {
    #[serde(default, deserialize_with = "de::opt_int")]
    pub(crate) password_length: Option<i32>,
    #[serde(default, deserialize_with = "de::opt_text")]
    pub(crate) exclude_characters: Option<String>,
    #[serde(default, deserialize_with = "de::opt_bool")]
    pub(crate) exclude_numbers: Option<bool>,
    #[serde(default, deserialize_with = "de::opt_bool")]
    pub(crate) exclude_punctuation: Option<bool>,
    #[serde(default, deserialize_with = "de::opt_bool")]
    pub(crate) exclude_uppercase: Option<bool>,
    #[serde(default, deserialize_with = "de::opt_bool")]
    pub(crate) exclude_lowercase: Option<bool>,
    #[serde(default, deserialize_with = "de::opt_bool")]
    pub(crate) include_space: Option<bool>,
    #[serde(default, deserialize_with = "de::opt_bool")]
    pub(crate) require_each_included_type: Option<bool>,
    #[serde(default, deserialize_with = "de::opt_text")]
    pub(crate) secret_string_template: Option<String>,
    #[serde(default, deserialize_with = "de::opt_text")]
    pub(crate) generate_string_key: Option<String>,
}

impl Desired for SecretProps {
    fn template_tags(&self) -> Vec<(&str, &str)> {
        adapter::pairs(&self.tags)
    }
}

impl Adapter for model::Secret {
    type Props = SecretProps;

    /// A generated value in a new secret, or the stack's own secret of that name taken back.
    async fn create(
        ctx: &Ctx<'_>,
        entry: &ResourceEntry,
        props: &SecretProps,
        tags: &Tags,
    ) -> Result<Observed, AwsError> {
        let id = entry.id.as_str();
        let sm = &ctx.clients.secretsmanager;
        if let Some(existing) = describe(ctx, id, &props.name).await? {
            let owner = ctx.ours(&pairs(existing.tags())).map(|(owner, _)| owner);
            if owner.as_ref() != Some(&entry.id) {
                return Err(ctx.fail(
                    id,
                    "secretsmanager:CreateSecret",
                    format!(
                        "a secret named `{}` exists and is not this stack's {id}; delete or rename it, or give the \
                         secret another name",
                        props.name
                    ),
                ));
            }
            if existing.deleted_date().is_some() {
                ctx.retry(id, "secretsmanager:RestoreSecret", &[], || {
                    sm.restore_secret().secret_id(&props.name).send()
                })
                .await?;
            }
            let arn = existing.arn().unwrap_or(&props.name).to_owned();
            let current = Observed::new(entry.id.clone(), SdkKind::Secret.cfn_type(), arn);
            return Self::update(ctx, entry, &current, props, tags).await;
        }
        let value = generate(ctx, id, &props.generate_secret_string).await?;
        let token = client_token(ctx, entry, tags);
        let request = sm
            .create_secret()
            .name(&props.name)
            .set_description(props.description.clone())
            .set_kms_key_id(props.kms_key_id.clone())
            .secret_string(value)
            .client_request_token(token)
            .set_tags(Some(sm_tags(tags)));
        let out = ctx.retry(id, "secretsmanager:CreateSecret", &[], || request.clone().send()).await?;
        let arn = out.arn().unwrap_or(&props.name).to_owned();
        let mut observed = read(ctx, entry.id.clone(), &arn).await?;
        observed.hash = state::hash_of(tags);
        Ok(observed)
    }

    /// Description and key (never the value), then the tags.
    async fn update(
        ctx: &Ctx<'_>,
        entry: &ResourceEntry,
        current: &Observed,
        props: &SecretProps,
        tags: &Tags,
    ) -> Result<Observed, AwsError> {
        let id = entry.id.as_str();
        let sm = &ctx.clients.secretsmanager;
        let arn = current.physical_id.as_str();
        let now = read(ctx, entry.id.clone(), arn).await?;
        let differs = |key: &str, want: &Option<String>| now.props.get(key).and_then(Json::as_str) != want.as_deref();
        if differs("Description", &props.description) || differs("KmsKeyId", &props.kms_key_id) {
            ctx.retry(id, "secretsmanager:UpdateSecret", &[], || {
                sm.update_secret()
                    .secret_id(arn)
                    .set_description(props.description.clone())
                    .set_kms_key_id(props.kms_key_id.clone())
                    .send()
            })
            .await?;
        }
        ctx.retry(id, "secretsmanager:TagResource", &[], || {
            sm.tag_resource().secret_id(arn).set_tags(Some(sm_tags(tags))).send()
        })
        .await?;
        let mut observed = read(ctx, entry.id.clone(), arn).await?;
        observed.hash = state::hash_of(tags);
        Ok(observed)
    }

    /// `DeleteSecret` with a recovery window of [`RECOVERY_WINDOW_DAYS`] days; already gone or
    /// already scheduled is done.
    async fn delete(ctx: &Ctx<'_>, current: &Observed) -> Result<(), AwsError> {
        let sm = &ctx.clients.secretsmanager;
        let result = sm
            .delete_secret()
            .secret_id(&current.physical_id)
            .recovery_window_in_days(RECOVERY_WINDOW_DAYS)
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e) if code_in(&e, &["ResourceNotFoundException"]) => Ok(()),
            // Already scheduled for deletion.
            Err(e) if code_in(&e, &["InvalidRequestException"]) => Ok(()),
            Err(e) => Err(ctx.sdk_error(current.id.as_str(), "secretsmanager:DeleteSecret", e)),
        }
    }
}

/// A value by the template's rules, from `GetRandomPassword` (placed in the JSON template under
/// its key when there is one).
async fn generate(ctx: &Ctx<'_>, id: &str, g: &GenerateProps) -> Result<String, AwsError> {
    let sm = &ctx.clients.secretsmanager;
    let request = sm
        .get_random_password()
        .set_password_length(g.password_length.map(i64::from))
        .set_exclude_characters(g.exclude_characters.clone())
        .set_exclude_numbers(g.exclude_numbers)
        .set_exclude_punctuation(g.exclude_punctuation)
        .set_exclude_uppercase(g.exclude_uppercase)
        .set_exclude_lowercase(g.exclude_lowercase)
        .set_include_space(g.include_space)
        .set_require_each_included_type(g.require_each_included_type);
    let out = ctx.retry(id, "secretsmanager:GetRandomPassword", &[], || request.clone().send()).await?;
    let password = out
        .random_password()
        .ok_or_else(|| ctx.fail(id, "secretsmanager:GetRandomPassword", "the answer holds no password"))?
        .to_owned();
    match (&g.secret_string_template, &g.generate_string_key) {
        (Some(template), Some(key)) => {
            let mut doc: serde_json::Map<String, Json> = serde_json::from_str(template).map_err(|e| {
                ctx.fail(id, "secretsmanager:CreateSecret", format!("SecretStringTemplate is not a JSON object: {e}"))
            })?;
            doc.insert(key.clone(), Json::String(password));
            Ok(Json::Object(doc).to_string())
        }
        (None, None) => Ok(password),
        _ => Err(ctx.fail(
            id,
            "secretsmanager:CreateSecret",
            "GenerateSecretString needs both SecretStringTemplate and GenerateStringKey, or neither",
        )),
    }
}

/// `iac-<16 hex>-<16 hex>`: the same for a rerun of the same create, 37 characters (Secrets
/// Manager takes 32 to 64).
fn client_token(ctx: &Ctx<'_>, entry: &ResourceEntry, tags: &Tags) -> String {
    let hash = tags.iter().find(|(k, _)| k == TAG_HASH).map_or("", |(_, v)| v.as_str());
    let who = crate::desired::hash(&Json::from(format!("{}/{}/{}", ctx.stack.name(), ctx.stack.env(), entry.id)));
    format!("iac-{who}-{}", crate::desired::hash(&Json::from(hash)))
}

/// The secret, `None` when no secret has that name (one scheduled for deletion is answered).
async fn describe(ctx: &Ctx<'_>, id: &str, secret_id: &str) -> Result<Option<DescribeSecretOutput>, AwsError> {
    let sm = &ctx.clients.secretsmanager;
    ctx.retry(id, "secretsmanager:DescribeSecret", &[], || async move {
        absent_on(sm.describe_secret().secret_id(secret_id).send().await, &["ResourceNotFoundException"])
    })
    .await
}

async fn read(ctx: &Ctx<'_>, id: LogicalId, secret_id: &str) -> Result<Observed, AwsError> {
    let s = describe(ctx, id.as_str(), secret_id).await?.ok_or_else(|| {
        ctx.fail(id.as_str(), "secretsmanager:DescribeSecret", format!("secret `{secret_id}` does not exist"))
    })?;
    Ok(observe(id, s.arn().unwrap_or(secret_id), s.name(), s.description(), s.kms_key_id()))
}

/// The secret as the template spells it (never its value).
pub(super) fn observe(
    id: LogicalId,
    arn: &str,
    name: Option<&str>,
    description: Option<&str>,
    kms_key_id: Option<&str>,
) -> Observed {
    let text = |v: Option<&str>| v.map_or(Json::Null, Json::from);
    Observed::new(id, SdkKind::Secret.cfn_type(), arn)
        .attr("Id", arn)
        .prop("Name", name.unwrap_or_default())
        .prop("Description", text(description))
        .prop("KmsKeyId", text(kms_key_id))
}

/// A secret's tags as pairs.
pub(super) fn pairs(tags: &[Tag]) -> Tags {
    tags.iter().map(|t| (t.key().unwrap_or_default().to_owned(), t.value().unwrap_or_default().to_owned())).collect()
}

fn sm_tags(tags: &Tags) -> Vec<Tag> {
    tags.iter().map(|(k, v)| Tag::builder().key(k).value(v).build()).collect()
}
