//! CloudWatch Logs: `AWS::Logs::LogGroup`.
//!
//! One file per kind (its desired properties, its [`Adapter`](crate::adapter::Adapter) and its
//! calls); this file holds what they share and discovery. No adapter yet: the kinds are refused
//! by name in [`crate::adapter::SdkKind::of`], and discovery finds nothing.

use super::Ctx;
use crate::error::AwsError;
use crate::state::Observed;

/// Every resource of these kinds that belongs to this stack and environment.
#[expect(clippy::unused_async, reason = "the adapters of this service are still to come")]
pub async fn discover(ctx: &Ctx<'_>) -> Result<Vec<Observed>, AwsError> {
    let _ = ctx;
    Ok(Vec::new())
}
