//! KMS: `AWS::KMS::Key`.
//!
//! One file per kind (its desired properties, its [`Adapter`](crate::adapter::Adapter) and its
//! calls); this file holds discovery. Keys are tagged in `CreateKey`; discovery lists the
//! account's keys, skips those KMS manages and those already scheduled for deletion, and keeps
//! the ones whose `iac:*` tags (`ListResourceTags`) name this stack and environment.

use aws_sdk_kms::types::{KeyManagerType, KeyState};

use super::Ctx;
use crate::error::AwsError;
use crate::state::Observed;

pub mod key;

/// Every key of this stack and environment that is not scheduled for deletion.
pub async fn discover(ctx: &Ctx<'_>) -> Result<Vec<Observed>, AwsError> {
    let kms = &ctx.clients.kms;
    let keys = super::paged_items(
        ctx,
        "-",
        "kms:ListKeys",
        |marker| kms.list_keys().set_marker(marker).send(),
        |o| (o.keys(), o.next_marker().filter(|_| o.truncated())),
    )
    .await?;
    let mut out = Vec::new();
    for k in keys {
        let Some(key_id) = k.key_id() else { continue };
        let Some(meta) = key::describe(ctx, "-", key_id).await? else { continue };
        let live = !matches!(meta.key_state(), Some(KeyState::PendingDeletion | KeyState::PendingReplicaDeletion));
        if !live || meta.key_manager() == Some(&KeyManagerType::Aws) {
            continue;
        }
        let tags = key::tags(ctx, "-", key_id).await?;
        if let Some((id, hash)) = ctx.ours(&tags) {
            let mut o = key::observe(ctx, id, &meta).await?;
            o.hash = hash;
            out.push(o);
        }
    }
    Ok(out)
}
