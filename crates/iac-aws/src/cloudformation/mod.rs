//! The CloudFormation engine: the same plan, apply, destroy and drift as the SDK engine, carried
//! out by AWS's own engine, for deployments that must outlive the machine that started them and
//! leave a server-side record and rollback.
//!
//! - The stack is rendered ([`iac_render::cloudformation`]) and split into nested stacks when it
//!   exceeds CloudFormation's limits ([`iac_render::nested`]); nested templates, and a template
//!   over the inline limit, go through the tool's [`assets`] bucket, content-addressed.
//! - `plan` is a change set (`CREATE` for a new stack, `UPDATE` otherwise, nested stacks
//!   included), shown in the SDK engine's [`Plan`] format ([`changes`]); a plan that is not
//!   executed deletes its change set, and a `CREATE`'s `REVIEW_IN_PROGRESS` stack.
//! - `apply` refuses a replace or delete of data without `--allow-data-loss`, executes the change
//!   set, streams the stack's and nested stacks' events ([`events`]) and waits for the end; the
//!   [`policy`] denies replacing or deleting stateful resources on CloudFormation's side too, and
//!   production stacks get termination protection.
//! - Exports the new template drops are kept while another stack imports them ([`exports`]).
//! - `drift` is CloudFormation's drift detection; `destroy` deletes the stack and names what
//!   its `DeletionPolicy` keeps.
//!
//! The CloudFormation stack is named `<stack>-<env>`.

pub mod assets;
pub mod changes;
pub mod events;
pub mod exports;
pub mod policy;

use std::collections::{BTreeMap, HashSet};
use std::time::{Duration, Instant, SystemTime};

use aws_sdk_cloudformation::types::{
    Capability, ChangeSetType, Parameter, StackResourceDriftStatus, Tag, TemplateStage,
};
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use iac_core::CoreError;
use iac_core::diag::has_errors;
use iac_core::stack::Stack;
use iac_core::validate::validate;
use iac_render::cloudformation::Format;
use iac_render::nested::{self, Limits};
use serde::Serialize;
use serde_json::Value as Json;

use self::assets::{Assets, INLINE_LIMIT, Uploads};
use self::changes::Described;
use self::events::StackEvent;
use self::exports::Export;
use crate::clients::Clients;
use crate::engine::Drift;
use crate::error::{AwsError, SdkFailure};
use crate::plan::{Action, Change, Plan};
use crate::services::{Ctx, Timing};

const NESTED_TYPE: &str = "AWS::CloudFormation::Stack";

/// How the CloudFormation engine runs.
#[derive(Debug, Clone)]
pub struct CfnOptions {
    /// Allow replacing or deleting resources that hold data.
    pub allow_data_loss: bool,
    /// Values of the stack's parameters (defaults fill the rest).
    pub params: BTreeMap<String, String>,
    /// The environment is production: termination protection on.
    pub production: bool,
    /// Between two looks at a change set, a stack or a drift detection.
    pub poll: Duration,
    /// How long an operation may take.
    pub timeout: Duration,
}

impl Default for CfnOptions {
    fn default() -> Self {
        Self {
            allow_data_loss: false,
            params: BTreeMap::new(),
            production: false,
            poll: Duration::from_secs(5),
            timeout: Duration::from_hours(3),
        }
    }
}

/// True for the environments the CloudFormation engine treats as production (termination
/// protection on): `prod` and `production`. The configs mark no environment as production, so
/// the name decides; `deploy --production` says so for any other name.
pub fn is_production_env(env: &str) -> bool {
    matches!(env, "prod" | "production")
}

/// A progress event, for the caller to print.
#[derive(Debug, Clone, Serialize)]
pub enum CfnEvent {
    /// A step of the engine's own (upload, change set made, policy set...).
    Step(String),
    /// A stack event.
    Stack(StackEvent),
}

/// Progress callback.
pub type CfnProgress<'a> = &'a (dyn Fn(&CfnEvent) + Sync);

/// A change set made by [`CfnEngine::plan`], with the plan it shows. Execute it with
/// [`CfnEngine::apply`] or delete it with [`CfnEngine::discard`].
#[derive(Debug, Clone, Serialize)]
pub struct Prepared {
    /// The plan.
    pub plan: Plan,
    /// The change set's ARN (`None` when there is nothing to change).
    pub change_set: Option<String>,
    /// The stack's id.
    pub stack_id: Option<String>,
    /// Whether the change set creates the stack.
    pub creates: bool,
    /// What the assets bucket received.
    pub uploads: Uploads,
}

/// What an apply or destroy did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct CfnReport {
    /// The stack's final status.
    pub status: String,
    /// Resources created, updated, replaced or deleted (the plan's count).
    pub changed: usize,
    /// Wall time.
    pub seconds: f64,
    /// Stack events seen (nested stacks' included).
    pub events: usize,
    /// Destroy: what `DeletionPolicy` kept, one line each (`DatabaseInstance (AWS::RDS::DBInstance): snapshot`).
    pub kept: Vec<String>,
    /// Steps that did not work but did not fail the operation (termination protection on a
    /// service that does not offer it...), each with what to do.
    pub warnings: Vec<String>,
    /// SDK calls made.
    pub calls: usize,
}

/// The CloudFormation engine for one stack.
#[derive(Debug, Clone)]
pub struct CfnEngine {
    clients: Clients,
    stack: Stack,
    options: CfnOptions,
    /// The root template (with children's `TemplateURL`s still relative until uploaded).
    template: Json,
    /// Nested templates by their logical id in the root.
    children: Vec<(String, Json)>,
    name: String,
}

impl CfnEngine {
    /// Validates the stack (errors stop here), checks the parameters and renders the templates.
    pub fn new(clients: Clients, stack: Stack, options: CfnOptions) -> Result<Self, AwsError> {
        let diagnostics = validate(&stack);
        if has_errors(&diagnostics) {
            return Err(CoreError::Invalid { stack: stack.name().to_owned(), diagnostics }.into());
        }
        stack.check_params(options.params.iter().map(|(k, v)| (k.as_str(), v.as_str())))?;
        let template = iac_render::cloudformation::template(&stack)?;
        let (template, children) = match nested::split(stack.name(), &template, Format::Json, &Limits::CLOUDFORMATION)?
        {
            Some(split) => (split.parent, split.children),
            None => (template, Vec::new()),
        };
        let name = format!("{}-{}", stack.name(), stack.env());
        Ok(Self { clients, stack, options, template, children, name })
    }

    /// The CloudFormation stack's name, `<stack>-<env>`.
    pub fn stack_name(&self) -> &str {
        &self.name
    }

    /// The stack.
    pub fn stack(&self) -> &Stack {
        &self.stack
    }

    /// The clients.
    pub fn clients(&self) -> &Clients {
        &self.clients
    }

    /// The nested templates (empty when the stack fits in one).
    pub fn children(&self) -> &[(String, Json)] {
        &self.children
    }

    fn ctx(&self) -> Ctx<'_> {
        Ctx {
            clients: &self.clients,
            stack: &self.stack,
            timing: Timing { poll: self.options.poll, timeout: self.options.timeout, ..Timing::default() },
        }
    }

    fn sdk<E, R>(&self, action: &str, err: aws_sdk_cloudformation::error::SdkError<E, R>) -> AwsError
    where
        E: std::error::Error + ProvideErrorMetadata + Send + Sync + 'static,
        R: std::fmt::Debug + Send + Sync + 'static,
    {
        self.ctx().sdk_error(&self.name, action, err)
    }

    /// The deployed stack: its id, status, exports and termination protection, or `None`.
    async fn describe(&self, name_or_id: &str) -> Result<Option<Deployed>, AwsError> {
        match self.clients.cloudformation.describe_stacks().stack_name(name_or_id).send().await {
            Ok(out) => Ok(out.stacks().first().map(|s| Deployed {
                id: s.stack_id().unwrap_or(name_or_id).to_owned(),
                status: s.stack_status().map(|x| x.as_str().to_owned()).unwrap_or_default(),
                exports: s
                    .outputs()
                    .iter()
                    .filter_map(|o| {
                        Some(Export { output: o.output_key()?.to_owned(), name: o.export_name()?.to_owned() })
                    })
                    .collect(),
                protected: s.enable_termination_protection().unwrap_or(false),
            })),
            Err(e)
                if e.as_service_error()
                    .and_then(ProvideErrorMetadata::message)
                    .is_some_and(|m| m.contains("does not exist")) =>
            {
                Ok(None)
            }
            Err(e) => Err(self.sdk("cloudformation:DescribeStacks", e)),
        }
    }

    async fn account(&self) -> Result<String, AwsError> {
        let out = self
            .clients
            .sts
            .get_caller_identity()
            .send()
            .await
            .map_err(|e| AwsError::Account { stack: self.stack.name().to_owned(), source: SdkFailure::new(e) })?;
        out.account().map(str::to_owned).ok_or_else(|| {
            self.ctx().fail(
                "-",
                "sts:GetCallerIdentity",
                "the answer names no account; the assets bucket cannot be named",
            )
        })
    }

    /// The deployed template of a stack (by name or id), parsed.
    async fn deployed_template(&self, stack: &str) -> Result<Json, AwsError> {
        let out = self
            .clients
            .cloudformation
            .get_template()
            .stack_name(stack)
            .template_stage(TemplateStage::Original)
            .send()
            .await
            .map_err(|e| self.sdk("cloudformation:GetTemplate", e))?;
        let body = out.template_body().unwrap_or("{}");
        serde_json::from_str(body).map_err(|e| {
            self.ctx().fail(
                stack,
                "cloudformation:GetTemplate",
                format!("the deployed template is not JSON ({e}); was the stack deployed by another tool?"),
            )
        })
    }

    /// The nested stacks of a deployed stack: logical id to physical id.
    async fn nested_stacks(&self, stack: &str) -> Result<BTreeMap<String, String>, AwsError> {
        let mut out = BTreeMap::new();
        let mut token: Option<String> = None;
        loop {
            let page = self
                .clients
                .cloudformation
                .list_stack_resources()
                .stack_name(stack)
                .set_next_token(token.take())
                .send()
                .await
                .map_err(|e| self.sdk("cloudformation:ListStackResources", e))?;
            for r in page.stack_resource_summaries() {
                if r.resource_type() == Some(NESTED_TYPE)
                    && let (Some(id), Some(physical)) = (r.logical_resource_id(), r.physical_resource_id())
                    && !physical.is_empty()
                {
                    out.insert(id.to_owned(), physical.to_owned());
                }
            }
            match page.next_token() {
                Some(t) => token = Some(t.to_owned()),
                None => return Ok(out),
            }
        }
    }

    /// Uploads the nested templates (content-addressed) and points the root at them; returns the
    /// root template's body or URL.
    async fn upload(
        &self,
        template: &mut Json,
        uploads: &mut Uploads,
        progress: CfnProgress<'_>,
    ) -> Result<Body, AwsError> {
        let ctx = self.ctx();
        let mut assets: Option<Assets> = None;
        for (child, body) in &self.children {
            if assets.is_none() {
                assets = Some(Assets::new(&self.account().await?, &self.clients.region));
            }
            let bucket = assets.as_mut().expect("set above");
            let bytes = serde_json::to_vec(body).map_err(|e| ctx.fail(child, "serialize", e))?;
            let size = bytes.len();
            let (url, uploaded) = bucket.put(&ctx, child, bytes).await?;
            count(uploads, uploaded, size);
            progress(&CfnEvent::Step(format!(
                "{child}: {} ({size} bytes) {url}",
                if uploaded { "uploaded" } else { "unchanged, not uploaded" }
            )));
            if let Some(props) = template.pointer_mut(&format!("/Resources/{child}/Properties")) {
                props["TemplateURL"] = Json::String(url);
            }
        }
        let body = serde_json::to_string(template).map_err(|e| ctx.fail(&self.name, "serialize", e))?;
        if body.len() <= INLINE_LIMIT {
            return Ok(Body::Inline(body));
        }
        let bucket = match assets.as_mut() {
            Some(b) => b,
            None => assets.insert(Assets::new(&self.account().await?, &self.clients.region)),
        };
        let size = body.len();
        let (url, uploaded) = bucket.put(&ctx, &self.name, body.into_bytes()).await?;
        count(uploads, uploaded, size);
        progress(&CfnEvent::Step(format!(
            "template: {} ({size} bytes, over the {INLINE_LIMIT}-byte inline limit) {url}",
            if uploaded { "uploaded" } else { "unchanged, not uploaded" }
        )));
        Ok(Body::Url(url))
    }

    /// Keeps the exports the template drops while other stacks import them; returns the plan's
    /// notes.
    async fn guard_exports(&self, deployed: &Deployed, template: &mut Json) -> Result<Vec<String>, AwsError> {
        let old = self.deployed_template(&deployed.id).await?;
        let known = exports::deployed(old.get("Outputs"), &deployed.exports);
        let mut notes = Vec::new();
        for export in exports::removed(&known, template.get("Outputs")) {
            let importers = self.importers(&export.name).await?;
            if importers.is_empty() {
                notes.push(exports::dropped_note(&export));
            } else if exports::keep(template, old.get("Outputs"), &export) {
                notes.push(exports::kept_note(&export, &importers));
            }
        }
        Ok(notes)
    }

    /// The stacks that import `export` (`ListImports`; AWS answers "not imported by any stack"
    /// with a `ValidationError`).
    async fn importers(&self, export: &str) -> Result<Vec<String>, AwsError> {
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let page = match self
                .clients
                .cloudformation
                .list_imports()
                .export_name(export)
                .set_next_token(token.take())
                .send()
                .await
            {
                Ok(p) => p,
                Err(e)
                    if e.as_service_error()
                        .and_then(ProvideErrorMetadata::message)
                        .is_some_and(|m| m.contains("is not imported")) =>
                {
                    return Ok(out);
                }
                Err(e) => {
                    return Err(AwsError::CfnRefused {
                        stack: self.name.clone(),
                        message: format!(
                            "the new template drops export `{export}`, and whether another stack still imports it \
                             could not be checked (cloudformation ListImports: {}); removing an imported export makes \
                             the update fail, so nothing was changed. Check `aws cloudformation list-imports \
                             --export-name {export}`, or keep the output in the stack",
                            SdkFailure::new(e)
                        ),
                    });
                }
            };
            out.extend(page.imports().iter().cloned());
            match page.next_token() {
                Some(t) => token = Some(t.to_owned()),
                None => return Ok(out),
            }
        }
    }

    fn parameters(&self) -> Vec<Parameter> {
        self.options
            .params
            .iter()
            .filter(|(k, _)| self.template.pointer(&format!("/Parameters/{k}")).is_some())
            .map(|(k, v)| Parameter::builder().parameter_key(k).parameter_value(v).build())
            .collect()
    }

    /// Makes the change set and describes it as a plan. Nothing changes until [`Self::apply`];
    /// call [`Self::discard`] when it is not applied.
    pub async fn plan(&self, progress: CfnProgress<'_>) -> Result<Prepared, AwsError> {
        let cfn = &self.clients.cloudformation;
        let deployed = self.describe(&self.name).await?;
        let creates = deployed.as_ref().is_none_or(|d| d.status == "REVIEW_IN_PROGRESS");
        if let Some(d) = &deployed
            && matches!(
                d.status.as_str(),
                "ROLLBACK_COMPLETE" | "ROLLBACK_FAILED" | "DELETE_FAILED" | "UPDATE_ROLLBACK_FAILED"
            )
        {
            return Err(AwsError::CfnRefused {
                stack: self.name.clone(),
                message: format!(
                    "the stack is {}: {}",
                    d.status,
                    events::todo(&self.name, &d.status, &self.cli_args())
                ),
            });
        }
        let mut template = self.template.clone();
        let notes = match &deployed {
            Some(d) if !creates => self.guard_exports(d, &mut template).await?,
            _ => Vec::new(),
        };
        let mut uploads = Uploads::default();
        let body = self.upload(&mut template, &mut uploads, progress).await?;
        let change_set_name =
            format!("iac-{}", SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).unwrap_or_default().as_millis());
        let tag = |k: &str, v: &str| Tag::builder().key(k).value(v).build();
        let mut request = cfn
            .create_change_set()
            .stack_name(&self.name)
            .change_set_name(&change_set_name)
            .change_set_type(if creates { ChangeSetType::Create } else { ChangeSetType::Update })
            .set_parameters(Some(self.parameters()))
            .capabilities(Capability::CapabilityIam)
            .capabilities(Capability::CapabilityNamedIam)
            .capabilities(Capability::CapabilityAutoExpand)
            .include_nested_stacks(true)
            .description(format!("iac-rs plan of {} ({})", self.stack.name(), self.stack.env()));
        for (k, v) in [("iac:stack", self.stack.name()), ("iac:env", self.stack.env())] {
            request = request.tags(tag(k, v));
        }
        request = match &body {
            Body::Inline(text) => request.template_body(text),
            Body::Url(url) => request.template_url(url),
        };
        let made = request.send().await.map_err(|e| self.sdk("cloudformation:CreateChangeSet", e))?;
        let id = made.id().unwrap_or(&change_set_name).to_owned();
        let stack_id = made.stack_id().map(str::to_owned);
        progress(&CfnEvent::Step(format!(
            "change set {change_set_name} ({}) made on {}",
            if creates { "CREATE" } else { "UPDATE" },
            self.name
        )));
        let mut prepared = Prepared {
            plan: Plan {
                discovered: None,
                stack: self.stack.name().to_owned(),
                env: self.stack.env().to_owned(),
                changes: Vec::new(),
                notes,
            },
            change_set: Some(id.clone()),
            stack_id,
            creates,
            uploads,
        };
        match self.describe_plan(&id, &template, creates, progress).await {
            Ok(Some(changes)) => prepared.plan.changes = changes,
            Ok(None) => {
                // No changes: CloudFormation made a FAILED change set; delete it.
                self.discard(&prepared).await?;
                prepared.change_set = None;
                prepared.plan.changes = Self::unchanged(&template, &HashSet::new(), None);
            }
            Err(e) => {
                let _ = self.discard(&prepared).await;
                return Err(e);
            }
        }
        Ok(prepared)
    }

    /// Every resource of `template` not in `changed`, as unchanged.
    fn unchanged(template: &Json, changed: &HashSet<String>, nested: Option<&str>) -> Vec<Change> {
        template
            .get("Resources")
            .and_then(Json::as_object)
            .into_iter()
            .flatten()
            .filter(|(id, _)| !changed.contains(*id))
            .map(|(id, r)| Change {
                id: id.clone(),
                cfn_type: r.get("Type").and_then(Json::as_str).unwrap_or_default().to_owned(),
                physical_id: None,
                nested: nested.map(str::to_owned),
                action: Action::Unchanged,
                data_loss: false,
            })
            .collect()
    }

    /// Waits for the change set, then reads its changes (every page, nested change sets too).
    /// `None`: the change set holds no changes.
    async fn describe_plan(
        &self,
        id: &str,
        template: &Json,
        creates: bool,
        progress: CfnProgress<'_>,
    ) -> Result<Option<Vec<Change>>, AwsError> {
        let (status, reason) = self.wait_change_set(id).await?;
        if status == "FAILED" {
            let reason = reason.unwrap_or_default();
            if reason.contains("didn't contain changes") || reason.contains("No updates are to be performed") {
                return Ok(None);
            }
            return Err(AwsError::CfnFailed {
                stack: self.name.clone(),
                operation: "plan (change set)".into(),
                status,
                failure: reason,
                todo: "Nothing was changed. Fix the template or the parameters and plan again".into(),
                source: None,
            });
        }
        let described = self.change_set_changes(id).await?;
        progress(&CfnEvent::Step(format!("change set: {} resource changes", described.len())));
        let old = if creates { Json::Null } else { self.deployed_template(&self.name).await? };
        let mut rows = Vec::new();
        self.rows(&described, template, &old, None, &mut rows).await?;
        Ok(Some(rows))
    }

    /// Plan rows of the changes of one (nested) stack.
    async fn rows(
        &self,
        described: &[Described],
        template: &Json,
        old: &Json,
        nested: Option<&str>,
        rows: &mut Vec<Change>,
    ) -> Result<(), AwsError> {
        let changed: HashSet<String> = described.iter().map(|d| d.logical_id.clone()).collect();
        for d in described {
            let props = |t: &Json| t.pointer(&format!("/Resources/{}/Properties", d.logical_id)).cloned();
            let row = changes::to_change(&self.stack, d, nested, props(old).as_ref(), props(template).as_ref());
            rows.push(row);
            if d.cfn_type != NESTED_TYPE || nested.is_some() {
                continue;
            }
            let Some(child) = self.children.iter().find(|(c, _)| *c == d.logical_id).map(|(_, t)| t) else { continue };
            if let Some(nested_id) = &d.nested_change_set {
                // IncludeNestedStacks: the child's own change set.
                let inner = self.change_set_changes(nested_id).await?;
                let child_old = match &d.physical_id {
                    Some(p) if d.action != "Add" => self.deployed_template(p).await?,
                    _ => Json::Null,
                };
                Box::pin(self.rows(&inner, child, &child_old, Some(&d.logical_id), rows)).await?;
            } else if d.action == "Add" {
                // A new nested stack (moto gives no nested change set): all of it is created.
                for (id, r) in child.get("Resources").and_then(Json::as_object).into_iter().flatten() {
                    rows.push(Change {
                        id: id.clone(),
                        cfn_type: r.get("Type").and_then(Json::as_str).unwrap_or_default().to_owned(),
                        physical_id: None,
                        nested: Some(d.logical_id.clone()),
                        action: Action::Create,
                        data_loss: false,
                    });
                }
            }
        }
        if nested.is_none() {
            rows.extend(Self::unchanged(template, &changed, None));
        }
        Ok(())
    }

    async fn wait_change_set(&self, id: &str) -> Result<(String, Option<String>), AwsError> {
        let started = Instant::now();
        loop {
            let out = self
                .clients
                .cloudformation
                .describe_change_set()
                .change_set_name(id)
                .send()
                .await
                .map_err(|e| self.sdk("cloudformation:DescribeChangeSet", e))?;
            let status = out.status().map(|s| s.as_str().to_owned()).unwrap_or_default();
            if !matches!(status.as_str(), "CREATE_PENDING" | "CREATE_IN_PROGRESS" | "") {
                return Ok((status, out.status_reason().map(str::to_owned)));
            }
            if started.elapsed() >= self.options.timeout {
                return Err(AwsError::Timeout {
                    stack: self.stack.name().to_owned(),
                    id: self.name.clone(),
                    state: format!("change set {id} CREATE_COMPLETE"),
                    seconds: self.options.timeout.as_secs(),
                });
            }
            tokio::time::sleep(self.options.poll).await;
        }
    }

    /// Every resource change of a change set, all pages.
    async fn change_set_changes(&self, id: &str) -> Result<Vec<Described>, AwsError> {
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let page = self
                .clients
                .cloudformation
                .describe_change_set()
                .change_set_name(id)
                .set_next_token(token.take())
                .send()
                .await
                .map_err(|e| self.sdk("cloudformation:DescribeChangeSet", e))?;
            for c in page.changes() {
                let Some(r) = c.resource_change() else { continue };
                out.push(Described {
                    action: r.action().map(|a| a.as_str().to_owned()).unwrap_or_default(),
                    logical_id: r.logical_resource_id().unwrap_or_default().to_owned(),
                    cfn_type: r.resource_type().unwrap_or_default().to_owned(),
                    physical_id: r.physical_resource_id().map(str::to_owned),
                    replacement: r.replacement().map(|x| x.as_str().to_owned()),
                    details: r
                        .details()
                        .iter()
                        .map(|d| changes::Detail {
                            attribute: d
                                .target()
                                .and_then(|t| t.attribute())
                                .map(|a| a.as_str().to_owned())
                                .unwrap_or_default(),
                            name: d.target().and_then(|t| t.name()).map(str::to_owned),
                            requires_recreation: d
                                .target()
                                .and_then(|t| t.requires_recreation())
                                .map(|x| x.as_str().to_owned()),
                        })
                        .collect(),
                    nested_change_set: r.change_set_id().map(str::to_owned),
                });
            }
            match page.next_token() {
                Some(t) => token = Some(t.to_owned()),
                None => return Ok(out),
            }
        }
    }

    /// Deletes the change set of a plan that is not applied, and the empty stack a `CREATE`
    /// change set leaves in `REVIEW_IN_PROGRESS`.
    pub async fn discard(&self, prepared: &Prepared) -> Result<(), AwsError> {
        let cfn = &self.clients.cloudformation;
        if let Some(id) = &prepared.change_set {
            cfn.delete_change_set()
                .change_set_name(id)
                .send()
                .await
                .map_err(|e| self.sdk("cloudformation:DeleteChangeSet", e))?;
        }
        if prepared.creates
            && let Some(stack_id) = &prepared.stack_id
            && self.describe(stack_id).await?.is_some_and(|d| d.status == "REVIEW_IN_PROGRESS")
        {
            cfn.delete_stack()
                .stack_name(stack_id)
                .send()
                .await
                .map_err(|e| self.sdk("cloudformation:DeleteStack", e))?;
        }
        Ok(())
    }

    /// The `<stack> --env <env>` of the commands the errors suggest.
    fn cli_args(&self) -> String {
        format!("{} --env {}", self.stack.name(), self.stack.env())
    }

    /// Logical ids of `template`'s resources that hold data.
    fn stateful(&self, template: &Json) -> Vec<String> {
        template
            .get("Resources")
            .and_then(Json::as_object)
            .into_iter()
            .flatten()
            .filter(|(id, r)| {
                changes::holds_data(&self.stack, id, r.get("Type").and_then(Json::as_str).unwrap_or_default())
            })
            .map(|(id, _)| id.clone())
            .collect()
    }

    async fn set_policy(&self, stack: &str, policy: &Json) -> Result<(), AwsError> {
        self.clients
            .cloudformation
            .set_stack_policy()
            .stack_name(stack)
            .stack_policy_body(policy.to_string())
            .send()
            .await
            .map_err(|e| self.sdk("cloudformation:SetStackPolicy", e))?;
        Ok(())
    }

    /// Executes the change set of `prepared`, streams the events and waits for the end.
    /// Refuses (and deletes the change set) when the plan loses data without `allow_data_loss`.
    pub async fn apply(&self, prepared: &Prepared, progress: CfnProgress<'_>) -> Result<CfnReport, AwsError> {
        let started = Instant::now();
        let calls = self.clients.calls();
        let Some(change_set) = &prepared.change_set else {
            return Ok(CfnReport {
                status: "unchanged".into(),
                calls: self.clients.calls() - calls,
                ..CfnReport::default()
            });
        };
        let lossy: Vec<String> = prepared
            .plan
            .changes
            .iter()
            .filter(|c| c.data_loss)
            .map(|c| match &c.nested {
                Some(n) => format!("{n}/{}", c.id),
                None => c.id.clone(),
            })
            .collect();
        if !lossy.is_empty() && !self.options.allow_data_loss {
            self.discard(prepared).await?;
            return Err(AwsError::DataLoss {
                stack: self.stack.name().to_owned(),
                action: "replace or delete",
                ids: lossy,
            });
        }
        let stack_id = prepared.stack_id.clone().unwrap_or_else(|| self.name.clone());
        let mut warnings = Vec::new();
        let guard = policy::guard(&self.stateful(&self.template));
        if !prepared.creates {
            // The guard is CloudFormation's own refusal; lifted for this update only when allowed.
            let during = if self.options.allow_data_loss { policy::allow_all() } else { guard.clone() };
            self.set_policy(&stack_id, &during).await?;
            if self.options.allow_data_loss {
                progress(&CfnEvent::Step("stack policy lifted for this update (--allow-data-loss)".into()));
            }
        }
        let mut seen = Seen::default();
        if !prepared.creates {
            // Events from before this apply are not shown.
            let _ = self.new_events(&stack_id, None, &mut seen, SystemTime::now()).await?;
            seen.ids.shrink_to_fit();
        }
        let since = SystemTime::now() - Duration::from_secs(1);
        let executed = self.clients.cloudformation.execute_change_set().change_set_name(change_set).send().await;
        if let Err(e) = executed {
            let status =
                self.describe(&stack_id).await.ok().flatten().map_or_else(|| "unknown".to_owned(), |d| d.status);
            let failure = SdkFailure::new(e);
            return Err(AwsError::CfnFailed {
                stack: self.name.clone(),
                operation: "apply".into(),
                todo: events::todo(&self.name, &status, &self.cli_args()),
                status,
                failure: format!("cloudformation ExecuteChangeSet: {failure}"),
                source: Some(failure),
            });
        }
        let (status, events) = self.follow(&stack_id, since, &mut seen, progress).await?;
        // The guard goes back on whatever the outcome (it was lifted for this update only).
        if let Err(e) = self.protect_children(&stack_id, &guard).await {
            warnings.push(format!(
                "the stack policy could not be set: {e}; set it with `aws cloudformation set-stack-policy`"
            ));
        }
        if !events::is_success(&status) {
            return Err(self.failed("apply", &status, &events));
        }
        if self.options.production {
            self.protect_termination(&stack_id, progress, &mut warnings).await;
        }
        let changed = prepared.plan.changes.iter().filter(|c| c.action != Action::Unchanged).count();
        Ok(CfnReport {
            status,
            changed,
            seconds: started.elapsed().as_secs_f64(),
            events: events.len(),
            kept: Vec::new(),
            warnings,
            calls: self.clients.calls() - calls,
        })
    }

    /// Turns termination protection on; a failure is a warning with the command to run.
    async fn protect_termination(&self, stack_id: &str, progress: CfnProgress<'_>, warnings: &mut Vec<String>) {
        let on = self
            .clients
            .cloudformation
            .update_termination_protection()
            .stack_name(stack_id)
            .enable_termination_protection(true)
            .send()
            .await;
        match on {
            Ok(_) => progress(&CfnEvent::Step("termination protection on (production)".into())),
            Err(e) => warnings.push(format!(
                "termination protection could not be turned on ({}); run `aws cloudformation \
                 update-termination-protection --enable-termination-protection --stack-name {}`",
                SdkFailure::new(e),
                self.name
            )),
        }
    }

    /// Puts the guard on the stack and on each nested stack (with the stateful resources of its
    /// own template).
    async fn protect_children(&self, stack_id: &str, guard: &Json) -> Result<(), AwsError> {
        self.set_policy(stack_id, guard).await?;
        if self.children.is_empty() {
            return Ok(());
        }
        let nested = self.nested_stacks(stack_id).await?;
        for (child, template) in &self.children {
            if let Some(physical) = nested.get(child) {
                self.set_policy(physical, &policy::guard(&self.stateful(template))).await?;
            }
        }
        Ok(())
    }

    fn failed(&self, operation: &str, status: &str, events: &[StackEvent]) -> AwsError {
        let failure = events::first_failure(events).map_or_else(
            || "no stack event names a failing resource".to_owned(),
            |e| {
                let id = match &e.nested {
                    Some(n) => format!("{n}/{}", e.logical_id),
                    None => e.logical_id.clone(),
                };
                format!(
                    "the first failure is resource `{id}` ({}): {}",
                    e.cfn_type,
                    e.reason.as_deref().unwrap_or("no reason given")
                )
            },
        );
        AwsError::CfnFailed {
            stack: self.name.clone(),
            operation: operation.into(),
            status: status.to_owned(),
            failure,
            todo: events::todo(&self.name, status, &self.cli_args()),
            source: None,
        }
    }

    /// Polls the stack (and its nested stacks) for new events until its status is terminal.
    async fn follow(
        &self,
        stack_id: &str,
        since: SystemTime,
        seen: &mut Seen,
        progress: CfnProgress<'_>,
    ) -> Result<(String, Vec<StackEvent>), AwsError> {
        let started = Instant::now();
        let mut all = Vec::new();
        let mut nested: BTreeMap<String, String> = BTreeMap::new();
        loop {
            let status = self.describe(stack_id).await?.map_or_else(|| "DELETE_COMPLETE".to_owned(), |d| d.status);
            let terminal = events::is_terminal(&status);
            if terminal && !self.children.is_empty() {
                // Nested stacks whose events the parent's did not reveal (moto's parents have none).
                if let Ok(found) = self.nested_stacks(stack_id).await {
                    nested.extend(found);
                }
            }
            for e in self.new_events(stack_id, None, seen, since).await? {
                if e.cfn_type == NESTED_TYPE && e.logical_id != self.name {
                    seen.nested_ids.insert(e.logical_id.clone());
                }
                progress(&CfnEvent::Stack(e.clone()));
                all.push(e);
            }
            for (child, physical) in &nested {
                for e in self.new_events(physical, Some(child), seen, since).await? {
                    progress(&CfnEvent::Stack(e.clone()));
                    all.push(e);
                }
            }
            if terminal {
                return Ok((status, all));
            }
            if started.elapsed() >= self.options.timeout {
                return Err(AwsError::Timeout {
                    stack: self.stack.name().to_owned(),
                    id: self.name.clone(),
                    state: "a final status".into(),
                    seconds: self.options.timeout.as_secs(),
                });
            }
            tokio::time::sleep(self.options.poll).await;
            if let Ok(found) = self.nested_stacks(stack_id).await {
                nested.extend(found.into_iter().filter(|(k, _)| seen.nested_ids.contains(k)));
            }
        }
    }

    /// The events of `stack` not seen yet and not older than `since`, oldest first.
    async fn new_events(
        &self,
        stack: &str,
        child: Option<&str>,
        seen: &mut Seen,
        since: SystemTime,
    ) -> Result<Vec<StackEvent>, AwsError> {
        let mut fresh = Vec::new();
        let mut token: Option<String> = None;
        'pages: loop {
            let page = match self
                .clients
                .cloudformation
                .describe_stack_events()
                .stack_name(stack)
                .set_next_token(token.take())
                .send()
                .await
            {
                Ok(p) => p,
                // A deleted stack by name, or a nested stack not there yet.
                Err(e)
                    if e.as_service_error()
                        .and_then(ProvideErrorMetadata::message)
                        .is_some_and(|m| m.contains("does not exist")) =>
                {
                    break;
                }
                Err(e) => return Err(self.sdk("cloudformation:DescribeStackEvents", e)),
            };
            for e in page.stack_events() {
                let id = e.event_id().unwrap_or_default().to_owned();
                let at = e.timestamp().and_then(|t| SystemTime::try_from(*t).ok()).unwrap_or(since);
                if !seen.ids.insert(id) || at < since {
                    // Newest first: the rest is older.
                    break 'pages;
                }
                fresh.push(StackEvent {
                    elapsed: at.duration_since(since).unwrap_or_default().as_secs_f64(),
                    nested: child.map(str::to_owned),
                    logical_id: e.logical_resource_id().unwrap_or_default().to_owned(),
                    cfn_type: e.resource_type().unwrap_or_default().to_owned(),
                    status: e.resource_status().map(|s| s.as_str().to_owned()).unwrap_or_default(),
                    reason: e.resource_status_reason().map(str::to_owned),
                });
            }
            match page.next_token() {
                Some(t) => token = Some(t.to_owned()),
                None => break,
            }
        }
        fresh.reverse();
        Ok(fresh)
    }

    /// CloudFormation's drift detection on the stack and its nested stacks: the drifted
    /// properties of each resource, or the resource missing.
    pub async fn drift(&self, progress: CfnProgress<'_>) -> Result<Vec<Drift>, AwsError> {
        let Some(deployed) = self.describe(&self.name).await? else {
            return Err(AwsError::CfnRefused {
                stack: self.name.clone(),
                message: format!(
                    "the stack does not exist; deploy it first with `deploy --engine cloudformation apply {}`",
                    self.cli_args()
                ),
            });
        };
        let mut targets = vec![(None, deployed.id.clone())];
        if !self.children.is_empty() {
            targets.extend(self.nested_stacks(&deployed.id).await?.into_iter().map(|(k, v)| (Some(k), v)));
        }
        let mut out = Vec::new();
        for (child, stack) in targets {
            self.detect(&stack, progress).await?;
            let mut token: Option<String> = None;
            loop {
                let page = self
                    .clients
                    .cloudformation
                    .describe_stack_resource_drifts()
                    .stack_name(&stack)
                    .stack_resource_drift_status_filters(StackResourceDriftStatus::Modified)
                    .stack_resource_drift_status_filters(StackResourceDriftStatus::Deleted)
                    .set_next_token(token.take())
                    .send()
                    .await
                    .map_err(|e| self.sdk("cloudformation:DescribeStackResourceDrifts", e))?;
                for d in page.stack_resource_drifts() {
                    let id = d.logical_resource_id().unwrap_or_default();
                    out.push(Drift {
                        id: child.as_ref().map_or_else(|| id.to_owned(), |c| format!("{c}/{id}")),
                        properties: d
                            .property_differences()
                            .iter()
                            .filter_map(|p| p.property_path())
                            .map(|p| p.trim_start_matches('/').replace('/', "."))
                            .collect(),
                        missing: d.stack_resource_drift_status() == Some(&StackResourceDriftStatus::Deleted),
                    });
                }
                match page.next_token() {
                    Some(t) => token = Some(t.to_owned()),
                    None => break,
                }
            }
        }
        Ok(out)
    }

    async fn detect(&self, stack: &str, progress: CfnProgress<'_>) -> Result<(), AwsError> {
        let cfn = &self.clients.cloudformation;
        let started = cfn
            .detect_stack_drift()
            .stack_name(stack)
            .send()
            .await
            .map_err(|e| self.sdk("cloudformation:DetectStackDrift", e))?;
        let id = started.stack_drift_detection_id().unwrap_or_default().to_owned();
        progress(&CfnEvent::Step(format!("drift detection {id} on {stack}")));
        let begun = Instant::now();
        loop {
            let s = cfn
                .describe_stack_drift_detection_status()
                .stack_drift_detection_id(&id)
                .send()
                .await
                .map_err(|e| self.sdk("cloudformation:DescribeStackDriftDetectionStatus", e))?;
            match s.detection_status().map(aws_sdk_cloudformation::types::StackDriftDetectionStatus::as_str) {
                Some("DETECTION_IN_PROGRESS") | None => {}
                Some("DETECTION_FAILED") => {
                    return Err(AwsError::CfnFailed {
                        stack: self.name.clone(),
                        operation: "drift".into(),
                        status: "DETECTION_FAILED".into(),
                        failure: s.detection_status_reason().unwrap_or("no reason given").to_owned(),
                        todo: "Resources CloudFormation cannot check are named above; the others were checked".into(),
                        source: None,
                    });
                }
                Some(_) => return Ok(()),
            }
            if begun.elapsed() >= self.options.timeout {
                return Err(AwsError::Timeout {
                    stack: self.stack.name().to_owned(),
                    id: self.name.clone(),
                    state: "drift detection finished".into(),
                    seconds: self.options.timeout.as_secs(),
                });
            }
            tokio::time::sleep(self.options.poll).await;
        }
    }

    /// What destroying the deployed stack would keep and lose: for each resource that holds
    /// data, its `DeletionPolicy`.
    async fn fates(&self, stack_id: &str) -> Result<(Vec<String>, Vec<String>), AwsError> {
        let mut templates = vec![(None, self.deployed_template(stack_id).await?)];
        for (child, physical) in self.nested_stacks(stack_id).await? {
            templates.push((Some(child), self.deployed_template(&physical).await?));
        }
        let (mut kept, mut lost) = (Vec::new(), Vec::new());
        for (child, template) in &templates {
            for (id, r) in template.get("Resources").and_then(Json::as_object).into_iter().flatten() {
                let cfn_type = r.get("Type").and_then(Json::as_str).unwrap_or_default();
                let name = child.as_ref().map_or_else(|| id.clone(), |c| format!("{c}/{id}"));
                match r.get("DeletionPolicy").and_then(Json::as_str) {
                    Some("Snapshot") => {
                        kept.push(format!("{name} ({cfn_type}): a final snapshot (DeletionPolicy Snapshot)"));
                    }
                    Some("Retain" | "RetainExceptOnCreate") => {
                        kept.push(format!(
                            "{name} ({cfn_type}): retained, no longer in any stack (DeletionPolicy Retain)"
                        ));
                    }
                    _ if changes::holds_data(&self.stack, id, cfn_type) => lost.push(name),
                    _ => {}
                }
            }
        }
        Ok((kept, lost))
    }

    /// Deletes the stack and waits; names what `DeletionPolicy` kept. Refuses a production stack
    /// with termination protection, and, without `allow_data_loss`, a stack whose data no
    /// `DeletionPolicy` keeps.
    pub async fn destroy(&self, progress: CfnProgress<'_>) -> Result<CfnReport, AwsError> {
        let started = Instant::now();
        let calls = self.clients.calls();
        let Some(deployed) = self.describe(&self.name).await? else {
            return Ok(CfnReport {
                status: "absent".into(),
                calls: self.clients.calls() - calls,
                ..CfnReport::default()
            });
        };
        if deployed.protected {
            return Err(AwsError::CfnRefused {
                stack: self.name.clone(),
                message: format!(
                    "termination protection is on (a production stack); if it must go, turn it off with `aws \
                     cloudformation update-termination-protection --no-enable-termination-protection --stack-name {}` \
                     and destroy again",
                    self.name
                ),
            });
        }
        let (kept, lost) = self.fates(&deployed.id).await?;
        if !lost.is_empty() && !self.options.allow_data_loss {
            return Err(AwsError::DataLoss { stack: self.stack.name().to_owned(), action: "delete", ids: lost });
        }
        for k in &kept {
            progress(&CfnEvent::Step(format!("keeps {k}")));
        }
        let since = SystemTime::now() - Duration::from_secs(1);
        let mut seen = Seen::default();
        let _ = self.new_events(&deployed.id, None, &mut seen, SystemTime::now()).await?;
        if let Err(e) = self.clients.cloudformation.delete_stack().stack_name(&deployed.id).send().await {
            let status =
                self.describe(&deployed.id).await.ok().flatten().map_or_else(|| "unknown".to_owned(), |d| d.status);
            let failure = SdkFailure::new(e);
            return Err(AwsError::CfnFailed {
                stack: self.name.clone(),
                operation: "destroy".into(),
                todo: events::todo(&self.name, "DELETE_FAILED", &self.cli_args()),
                status,
                failure: format!("cloudformation DeleteStack: {failure}"),
                source: Some(failure),
            });
        }
        let (status, events) = self.follow(&deployed.id, since, &mut seen, progress).await?;
        if status != "DELETE_COMPLETE" {
            return Err(self.failed("destroy", &status, &events));
        }
        let mut kept = kept;
        for e in events.iter().filter(|e| e.status == "DELETE_SKIPPED") {
            let name = e.nested.as_ref().map_or_else(|| e.logical_id.clone(), |n| format!("{n}/{}", e.logical_id));
            if !kept.iter().any(|k| k.starts_with(&format!("{name} "))) {
                kept.push(format!("{name} ({}): retained (DELETE_SKIPPED)", e.cfn_type));
            }
        }
        Ok(CfnReport {
            status,
            changed: 0,
            seconds: started.elapsed().as_secs_f64(),
            events: events.len(),
            kept,
            warnings: Vec::new(),
            calls: self.clients.calls() - calls,
        })
    }
}

/// The deployed stack, as `DescribeStacks` answers.
#[derive(Debug, Clone)]
struct Deployed {
    id: String,
    status: String,
    exports: Vec<Export>,
    protected: bool,
}

/// The root template as sent.
enum Body {
    Inline(String),
    Url(String),
}

/// Events already shown, and the nested stacks the events revealed.
#[derive(Debug, Default)]
struct Seen {
    ids: HashSet<String>,
    nested_ids: HashSet<String>,
}

fn count(uploads: &mut Uploads, uploaded: bool, size: usize) {
    if uploaded {
        uploads.uploaded += 1;
        uploads.bytes += size;
    } else {
        uploads.reused += 1;
    }
}
