//! One module per AWS service, each with the [`Adapter`] of every kind of that service (on the
//! kind's model type) and the service's discovery. The functions here reach a kind's adapter
//! through the one dispatch of [`crate::adapter`]: [`create`] and [`update`] from a stack entry,
//! [`delete`] and [`replaced_by`] from a discovered resource's CloudFormation type.
//!
//! Every adapter works on its kind's typed desired properties, deserialized from the
//! CloudFormation-shaped, fully resolved properties (see [`crate::desired`]) by [`check`].

pub mod autoscaling;
pub mod cloudfront;
pub mod cloudwatch;
pub mod ec2;
pub mod ecs;
pub mod efs;
pub mod elasticache;
pub mod elbv2;
pub mod iam;
pub mod kms;
pub mod logs;
pub mod rds;
pub mod route53;
pub mod s3;
pub mod scheduler;
pub mod secretsmanager;
pub mod sns;

use std::future::Future;
use std::time::Duration;

use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use iac_core::model::ResourceEntry;
use iac_core::{LogicalId, Stack};
use serde_json::{Map, Value as Json};

use crate::adapter::{self, Adapter, Desired, SdkKind, with_adapter};
use crate::clients::Clients;
use crate::error::{AwsError, SdkFailure};
use crate::state::{Observed, TAG_ID, Tags};

/// How long to wait for readiness, and how often to look.
#[derive(Debug, Clone, Copy)]
pub struct Timing {
    /// Between two polls.
    pub poll: Duration,
    /// Before giving up.
    pub timeout: Duration,
    /// First backoff of a retried call (doubled each time, with full jitter).
    pub backoff: Duration,
    /// Attempts of a retried call.
    pub attempts: u32,
    /// Whether an ECS service's create and update wait for its steady state.
    pub steady_state: SteadyState,
}

impl Default for Timing {
    fn default() -> Self {
        Self {
            poll: Duration::from_secs(5),
            timeout: Duration::from_mins(30),
            backoff: Duration::from_millis(500),
            attempts: 8,
            steady_state: SteadyState::Wait,
        }
    }
}

/// Whether the engine waits for an ECS service to reach a steady state after a create or an
/// update (ECS's own `services_stable`: one deployment, and as many tasks running as desired).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum SteadyState {
    /// Poll `DescribeServices` every [`Timing::poll`] until the service is stable, for at most
    /// [`Timing::timeout`]; a deployment the circuit breaker failed ends the wait with an error.
    #[default]
    Wait,
    /// Read the service back without waiting. Only with the `testing` feature, for a local moto
    /// server: moto's services never start a task, so a new service never becomes stable there.
    #[cfg(feature = "testing")]
    Skip,
}

/// What every service function gets.
#[derive(Debug, Clone, Copy)]
pub struct Ctx<'a> {
    /// The clients.
    pub clients: &'a Clients,
    /// The stack (names, tags, entries).
    pub stack: &'a Stack,
    /// Polling and retry timing.
    pub timing: Timing,
}

impl Ctx<'_> {
    /// An SDK error of `action` (`ec2:CreateVpc`) on resource `id`, kept whole as the source.
    pub fn sdk_error<E, R>(&self, id: &str, action: &str, err: SdkError<E, R>) -> AwsError
    where
        E: std::error::Error + ProvideErrorMetadata + Send + Sync + 'static,
        R: std::fmt::Debug + Send + Sync + 'static,
    {
        let (service, operation) = action.split_once(':').unwrap_or(("aws", action));
        AwsError::Sdk {
            stack: self.stack.name().to_owned(),
            id: id.to_owned(),
            service: service.to_owned(),
            operation: operation.to_owned(),
            source: SdkFailure::new(err),
        }
    }

    /// An error of `action` on resource `id` that is not an SDK error: an answer that makes no
    /// sense (a resource missing right after it was made), or a request that cannot be built.
    pub fn fail(&self, id: &str, action: &str, message: impl std::fmt::Display) -> AwsError {
        AwsError::Unexpected {
            stack: self.stack.name().to_owned(),
            id: id.to_owned(),
            action: action.to_owned(),
            message: message.to_string(),
        }
    }

    /// The logical id and `iac:hash` of a resource whose `tags` mark it as this stack's and
    /// environment's.
    pub fn ours(&self, tags: &[(String, String)]) -> Option<(LogicalId, Option<String>)> {
        crate::state::ours(tags, self.stack.name(), self.stack.env())
    }

    /// Runs `call` until it succeeds, retrying throttling and eventual-consistency errors
    /// (`codes`, plus the throttling family) with exponential backoff and full jitter.
    pub async fn retry<T, E, R, F, Fut>(
        &self,
        id: &str,
        action: &str,
        codes: &[&str],
        mut call: F,
    ) -> Result<T, AwsError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, SdkError<E, R>>>,
        E: std::error::Error + ProvideErrorMetadata + Send + Sync + 'static,
        R: std::fmt::Debug + Send + Sync + 'static,
    {
        let mut attempt = 0;
        loop {
            match call().await {
                Ok(v) => return Ok(v),
                Err(err) => {
                    attempt += 1;
                    let transient = is_throttling(&err)
                        || err
                            .as_service_error()
                            .and_then(ProvideErrorMetadata::code)
                            .is_some_and(|c| codes.contains(&c));
                    if !transient || attempt >= self.timing.attempts {
                        return Err(self.sdk_error(id, action, err));
                    }
                    tokio::time::sleep(jitter(self.timing.backoff, attempt)).await;
                }
            }
        }
    }

    /// Polls `check` until it returns `Some`, or fails with a timeout naming `state`.
    pub async fn wait_for<T, F, Fut>(&self, id: &str, state: &str, mut check: F) -> Result<T, AwsError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<Option<T>, AwsError>>,
    {
        let start = tokio::time::Instant::now();
        loop {
            if let Some(v) = check().await? {
                return Ok(v);
            }
            if start.elapsed() >= self.timing.timeout {
                return Err(AwsError::Timeout {
                    stack: self.stack.name().to_owned(),
                    id: id.to_owned(),
                    state: state.to_owned(),
                    seconds: self.timing.timeout.as_secs(),
                });
            }
            tokio::time::sleep(self.timing.poll).await;
        }
    }

    /// Polls `find` until it finds nothing: the resource is deleted.
    pub async fn wait_gone<T, F, Fut>(&self, id: &str, mut find: F) -> Result<(), AwsError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<Option<T>, AwsError>>,
    {
        self.wait_for(id, "deleted", || {
            let found = find();
            async move { Ok(found.await?.is_none().then_some(())) }
        })
        .await
    }
}

/// Throttling codes of every service, and transport errors the SDK gave up on.
fn is_throttling<E: ProvideErrorMetadata, R>(err: &SdkError<E, R>) -> bool {
    const THROTTLING: [&str; 7] = [
        "Throttling",
        "ThrottlingException",
        "RequestLimitExceeded",
        "TooManyRequestsException",
        "PriorRequestNotComplete",
        "RequestThrottled",
        "SlowDown",
    ];
    match err {
        SdkError::ServiceError(e) => e.err().code().is_some_and(|c| THROTTLING.contains(&c)),
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) => true,
        _ => false,
    }
}

/// `base * 2^(attempt-1)`, capped at 20 s, scaled by a pseudo-random factor in [0, 1).
fn jitter(base: std::time::Duration, attempt: u32) -> std::time::Duration {
    let ceiling = base.saturating_mul(1 << attempt.min(10).saturating_sub(1)).min(std::time::Duration::from_secs(20));
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
    let seed = u64::from(iac_core::naming::fnv1a(&nanos.to_le_bytes()));
    ceiling.mul_f64(f64::from(u32::try_from(seed % 1000).unwrap_or(0)) / 1000.0)
}

/// The adapter kind of `entry`, or the error naming why the engine does not deploy it.
pub fn kind_of(stack: &Stack, entry: &ResourceEntry) -> Result<SdkKind, AwsError> {
    SdkKind::of(&entry.resource).map_err(|why| AwsError::Unsupported {
        stack: stack.name().to_owned(),
        id: entry.id.to_string(),
        kind: entry.resource.kind_name(),
        reason: why.0,
    })
}

/// Checks that the SDK path can take `entry` with resolved `props` (plan does, before anything
/// is applied): its kind has an adapter, every property is one the adapter handles, and the
/// template's tags are the ones the engine writes.
pub fn check(stack: &Stack, entry: &ResourceEntry, props: &Map<String, Json>) -> Result<(), AwsError> {
    let kind = kind_of(stack, entry)?;
    let tags = iac_core::naming::tags(stack, entry);
    with_adapter!(kind, A => typed::<A>(stack, entry, props, &tags).map(drop))
}

/// `props` as `A`'s typed properties, with the template's tags checked against `tags`.
fn typed<A: Adapter>(
    stack: &Stack,
    entry: &ResourceEntry,
    props: &Map<String, Json>,
    tags: &Tags,
) -> Result<A::Props, AwsError> {
    let typed: A::Props = adapter::parse(stack.name(), entry.id.as_str(), props)?;
    adapter::check_tags(stack.name(), entry.id.as_str(), &typed.template_tags(), tags)?;
    Ok(typed)
}

/// Creates `entry` with resolved `props` and `tags` (which include `iac:hash`).
pub async fn create(
    ctx: &Ctx<'_>,
    entry: &ResourceEntry,
    props: &Map<String, Json>,
    tags: &Tags,
) -> Result<Observed, AwsError> {
    let kind = kind_of(ctx.stack, entry)?;
    // Boxed: the SDK's futures are large.
    with_adapter!(kind, A => Box::pin(create_with::<A>(ctx, entry, props, tags)).await)
}

async fn create_with<A: Adapter>(
    ctx: &Ctx<'_>,
    entry: &ResourceEntry,
    props: &Map<String, Json>,
    tags: &Tags,
) -> Result<Observed, AwsError> {
    let typed = typed::<A>(ctx.stack, entry, props, tags)?;
    A::create(ctx, entry, &typed, tags).await
}

/// Updates `current` in place to `props`.
pub async fn update(
    ctx: &Ctx<'_>,
    entry: &ResourceEntry,
    current: &Observed,
    props: &Map<String, Json>,
    tags: &Tags,
) -> Result<Observed, AwsError> {
    let kind = kind_of(ctx.stack, entry)?;
    with_adapter!(kind, A => Box::pin(update_with::<A>(ctx, entry, current, props, tags)).await)
}

async fn update_with<A: Adapter>(
    ctx: &Ctx<'_>,
    entry: &ResourceEntry,
    current: &Observed,
    props: &Map<String, Json>,
    tags: &Tags,
) -> Result<Observed, AwsError> {
    let typed = typed::<A>(ctx.stack, entry, props, tags)?;
    A::update(ctx, entry, current, &typed, tags).await
}

/// Deletes `current` (stateful kinds take a final snapshot; the engine checks the user allowed it).
pub async fn delete(ctx: &Ctx<'_>, current: &Observed) -> Result<(), AwsError> {
    let Some(kind) = SdkKind::from_cfn_type(&current.cfn_type) else {
        return Err(AwsError::Unsupported {
            stack: ctx.stack.name().to_owned(),
            id: current.id.to_string(),
            kind: "resource",
            reason: "its type has no SDK adapter",
        });
    };
    with_adapter!(kind, A => Box::pin(<A as Adapter>::delete(ctx, current)).await)
}

/// Whether a replacement of `current` creates the new resource before deleting it
/// ([`Adapter::REPLACE_BESIDE`]).
pub fn replaces_beside(current: &Observed) -> bool {
    SdkKind::from_cfn_type(&current.cfn_type).is_some_and(SdkKind::replaces_beside)
}

/// Everything of this stack and environment that exists, from every service.
pub async fn discover(ctx: &Ctx<'_>) -> Result<Vec<Observed>, AwsError> {
    // Boxed: the SDK's futures are large, and many of them side by side overflow a thread's stack.
    let parts = tokio::join!(
        Box::pin(ec2::discover(ctx)),
        Box::pin(iam::discover(ctx)),
        Box::pin(autoscaling::discover(ctx)),
        Box::pin(elbv2::discover(ctx)),
        Box::pin(rds::discover(ctx)),
        Box::pin(route53::discover(ctx)),
        Box::pin(ecs::discover(ctx)),
        Box::pin(logs::discover(ctx)),
        Box::pin(scheduler::discover(ctx)),
        Box::pin(efs::discover(ctx)),
        Box::pin(elasticache::discover(ctx)),
        Box::pin(s3::discover(ctx)),
        Box::pin(cloudfront::discover(ctx)),
        Box::pin(kms::discover(ctx)),
        Box::pin(sns::discover(ctx)),
        Box::pin(cloudwatch::discover(ctx)),
        Box::pin(secretsmanager::discover(ctx)),
    );
    let (
        ec2,
        iam,
        autoscaling,
        elbv2,
        rds,
        route53,
        ecs,
        logs,
        scheduler,
        efs,
        elasticache,
        s3,
        cloudfront,
        kms,
        sns,
        cloudwatch,
        secretsmanager,
    ) = parts;
    let mut out = Vec::new();
    for part in [
        ec2,
        iam,
        autoscaling,
        elbv2,
        rds,
        route53,
        ecs,
        logs,
        scheduler,
        efs,
        elasticache,
        s3,
        cloudfront,
        kms,
        sns,
        cloudwatch,
        secretsmanager,
    ] {
        out.extend(part?);
    }
    Ok(out)
}

/// Properties of `cfn_type` whose change forces a replacement, from its kind's spec
/// ([`iac_core::model::spec::KindSpec::replacement`]; none for a type the engine does not know).
pub fn replaced_by(cfn_type: &str) -> Vec<&'static str> {
    iac_core::model::spec::by_cloudformation_type(cfn_type)
        .map(|k| k.replacement.iter().map(|r| r.property).collect())
        .unwrap_or_default()
}

/// `Ok(None)` when the call failed because the resource does not exist (`missing` says so of the
/// service error).
pub(crate) fn absent<T, E, R>(
    result: Result<T, SdkError<E, R>>,
    missing: impl FnOnce(&E) -> bool,
) -> Result<Option<T>, SdkError<E, R>> {
    match result {
        Ok(v) => Ok(Some(v)),
        Err(e) if e.as_service_error().is_some_and(missing) => Ok(None),
        Err(e) => Err(e),
    }
}

/// `Ok(None)` when the call failed with one of the error `codes`.
pub(crate) fn absent_on<T, E: ProvideErrorMetadata, R>(
    result: Result<T, SdkError<E, R>>,
    codes: &[&str],
) -> Result<Option<T>, SdkError<E, R>> {
    absent(result, |e| e.code().is_some_and(|c| codes.contains(&c)))
}

/// Whether the call failed with one of the error `codes`.
pub(crate) fn code_in<E: ProvideErrorMetadata, R>(err: &SdkError<E, R>, codes: &[&str]) -> bool {
    err.as_service_error().and_then(ProvideErrorMetadata::code).is_some_and(|c| codes.contains(&c))
}

/// Every item of a paginated call: `call` gets the marker (or token) of the page it asks for;
/// `page` gives a page's items and the next marker, `None` on the last page.
pub(crate) async fn paged_items<O, T, E, R, F, Fut>(
    ctx: &Ctx<'_>,
    id: &str,
    action: &str,
    call: F,
    page: impl Fn(&O) -> (&[T], Option<&str>),
) -> Result<Vec<T>, AwsError>
where
    T: Clone,
    F: Fn(Option<String>) -> Fut,
    Fut: Future<Output = Result<O, SdkError<E, R>>>,
    E: std::error::Error + ProvideErrorMetadata + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    let mut all = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let m = marker.clone();
        let out = ctx.retry(id, action, &[], || call(m.clone())).await?;
        let (items, next) = page(&out);
        all.extend(items.iter().cloned());
        marker = next.map(str::to_owned);
        if marker.is_none() {
            return Ok(all);
        }
    }
}

/// The stack's tags and `iac:id`, then `given` (overriding the stack's values): for kinds the
/// engine tags although CloudFormation cannot (listeners, standalone ingress rules), which
/// therefore get only the hash from the engine.
pub(crate) fn own_tags(ctx: &Ctx<'_>, id: &LogicalId, given: &Tags) -> Tags {
    let mut out: Tags = ctx.stack.tags().iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    out.push((TAG_ID.to_owned(), id.to_string()));
    for (k, v) in given {
        match out.iter_mut().find(|(key, _)| key == k) {
            Some(slot) => slot.1.clone_from(v),
            None => out.push((k.clone(), v.clone())),
        }
    }
    out
}

/// An SDK's own tag type, converted from and to our [`Tags`].
pub(crate) trait SdkTag {
    /// The tag as a `(key, value)` pair (an absent part is empty).
    fn pair(&self) -> (String, String);
}

/// An SDK tag type that is built from a key and a value alone.
pub(crate) trait NewSdkTag: SdkTag {
    /// The tag `key` = `value`.
    fn new(key: &str, value: &str) -> Self;
}

macro_rules! sdk_tag {
    ($($read:ty),* ; $($new:ty),*) => {
        $(impl SdkTag for $read {
            fn pair(&self) -> (String, String) {
                (self.key().unwrap_or_default().to_owned(), self.value().unwrap_or_default().to_owned())
            }
        })*
        $(impl NewSdkTag for $new {
            fn new(key: &str, value: &str) -> Self {
                Self::builder().key(key).value(value).build()
            }
        })*
    };
}

sdk_tag!(
    aws_sdk_ec2::types::Tag,
    aws_sdk_elasticloadbalancingv2::types::Tag,
    aws_sdk_rds::types::Tag,
    aws_sdk_autoscaling::types::TagDescription,
    aws_sdk_elasticache::types::Tag;
    aws_sdk_ec2::types::Tag,
    aws_sdk_elasticloadbalancingv2::types::Tag,
    aws_sdk_rds::types::Tag,
    aws_sdk_elasticache::types::Tag
);

impl SdkTag for aws_sdk_iam::types::Tag {
    fn pair(&self) -> (String, String) {
        (self.key().to_owned(), self.value().to_owned())
    }
}

/// An SDK's tags as our [`Tags`].
pub(crate) fn tag_pairs<T: SdkTag>(tags: &[T]) -> Tags {
    tags.iter().map(SdkTag::pair).collect()
}

/// Our [`Tags`] as an SDK's tags.
pub(crate) fn sdk_tags<T: NewSdkTag>(tags: &Tags) -> Vec<T> {
    tags.iter().map(|(k, v)| T::new(k, v)).collect()
}

/// Whether `key` (an id, ARN or alias of a KMS key a resource reports) is a customer-managed
/// key: the template names only those (the AWS-managed `aws/<service>` key is what a resource
/// gets when it names none), so a reported key is read back only when this is true. A key is
/// AWS-managed when KMS says so (`KeyManager`) or when it carries an `alias/aws/...` name (moto
/// calls every key the customer's). A key KMS cannot describe counts as the customer's, so a
/// difference shows rather than hides.
pub(crate) async fn customer_key(ctx: &Ctx<'_>, id: &str, key: &str) -> Result<bool, AwsError> {
    let kms = &ctx.clients.kms;
    let described = ctx
        .retry(id, "kms:DescribeKey", &[], || async {
            absent_on(kms.describe_key().key_id(key).send().await, &["NotFoundException"])
        })
        .await?;
    let Some(meta) = described.and_then(|o| o.key_metadata().cloned()) else { return Ok(true) };
    if meta.key_manager() == Some(&aws_sdk_kms::types::KeyManagerType::Aws) {
        return Ok(false);
    }
    let key_id = meta.key_id();
    let aliases = ctx.retry(id, "kms:ListAliases", &[], || kms.list_aliases().key_id(key_id).send()).await?;
    Ok(!aliases.aliases().iter().any(|a| a.alias_name().is_some_and(|n| n.starts_with("alias/aws/"))))
}

/// The idempotency token of creating resource `id` with `tags`: `<stack>-<env>-<id>-<iac:hash>`
/// fitted to `max` characters, so a create retried (by the SDK, or by a rerun after a kill)
/// finds or reuses what the first attempt made, and a replacement (other properties, so another
/// hash) gets a token of its own.
pub(crate) fn client_token(ctx: &Ctx<'_>, id: &LogicalId, tags: &Tags, max: usize) -> String {
    let hash = crate::state::hash_of(tags).unwrap_or_default();
    iac_core::naming::fit(&format!("{}-{}-{id}-{hash}", ctx.stack.name(), ctx.stack.env()), max)
}
