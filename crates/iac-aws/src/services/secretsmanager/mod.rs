//! Secrets Manager: `AWS::SecretsManager::Secret`.
//!
//! One file per kind (its desired properties, its [`Adapter`](crate::adapter::Adapter) and its
//! calls); this file holds discovery: the account's secrets (`ListSecrets`, which carries their
//! tags and leaves out those scheduled for deletion), kept when their `iac:*` tags name this
//! stack and environment. Secrets another service owns (the RDS-managed master passwords) are
//! never this stack's.

use super::Ctx;
use crate::error::AwsError;
use crate::state::Observed;

pub mod secret;

/// Every secret of this stack and environment that is not scheduled for deletion.
pub async fn discover(ctx: &Ctx<'_>) -> Result<Vec<Observed>, AwsError> {
    let sm = &ctx.clients.secretsmanager;
    let secrets = super::paged_items(
        ctx,
        "-",
        "secretsmanager:ListSecrets",
        |token| sm.list_secrets().set_next_token(token).send(),
        |o| (o.secret_list(), o.next_token()),
    )
    .await?;
    let mut out = Vec::new();
    for s in &secrets {
        if s.owning_service().is_some() || s.deleted_date().is_some() {
            continue;
        }
        let tags = secret::pairs(s.tags());
        if let (Some((id, hash)), Some(arn)) = (ctx.ours(&tags), s.arn()) {
            let mut o = secret::observe(id, arn, s.name(), s.description(), s.kms_key_id());
            o.hash = hash;
            out.push(o);
        }
    }
    Ok(out)
}
