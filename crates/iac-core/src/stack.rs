//! The stack and its builder: an immutable [`Stack`] of resources, parameters, outputs, bakes,
//! apps and a rollout plan, made by a [`StackBuilder`] that collects every problem of ids and
//! names and reports them together.

use indexmap::IndexMap;
use serde::Serialize;

use crate::app::Bake;
use crate::diag::{Code, Diagnostic, Path};
use crate::error::CoreError;
use crate::id::LogicalId;
use crate::model::{Handle, Kind, Origin, ResourceEntry, ResourceLookup};
use crate::rollout::RolloutPlan;
use crate::value::Value;
use crate::workload::App;

/// What kind of value a parameter takes. Backends render a typed parameter or variable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ParamKind {
    /// Free text.
    String,
    /// An EC2 image id (`ami-...`).
    ImageId,
    /// An ACM certificate ARN.
    CertificateArn,
}

impl ParamKind {
    /// The regular expression a value must match, and what it must look like in words: one
    /// fact that the CloudFormation (`AllowedPattern`), the Terraform (`validation`) and the SDK
    /// (`--param`) paths all check.
    pub const fn constraint(self) -> Option<(&'static str, &'static str)> {
        match self {
            ParamKind::String => None,
            ParamKind::ImageId => Some(("^ami-[0-9a-f]{8,17}$", "an EC2 image id such as ami-0123456789abcdef0")),
            ParamKind::CertificateArn => Some((
                "^arn:aws[a-z-]*:acm:[a-z0-9-]+:[0-9]{12}:certificate/.+$",
                "the ARN of an ACM certificate (arn:aws:acm:REGION:ACCOUNT:certificate/ID)",
            )),
        }
    }

    /// Whether `value` is a value of this kind.
    pub fn accepts(self, value: &str) -> bool {
        self.constraint().is_none_or(|(pattern, _)| regex::Regex::new(pattern).is_ok_and(|re| re.is_match(value)))
    }
}

/// A stack input, given at deploy time.
#[derive(Debug, Clone, Serialize)]
pub struct Parameter {
    /// The kind.
    pub kind: ParamKind,
    /// What it is for.
    pub description: String,
    /// Default value.
    pub default: Option<String>,
}

/// A stack output.
#[derive(Debug, Clone, Serialize)]
pub struct Output {
    /// What it is.
    pub description: String,
    /// The value.
    pub value: Value<String>,
}

/// An immutable stack: build it with [`StackBuilder`]; every later phase is a function over it.
#[derive(Debug, Clone, Serialize)]
pub struct Stack {
    name: String,
    env: String,
    description: String,
    resources: IndexMap<LogicalId, ResourceEntry>,
    parameters: IndexMap<LogicalId, Parameter>,
    outputs: IndexMap<LogicalId, Output>,
    tags: IndexMap<String, String>,
    bakes: Vec<Bake>,
    rollout: Option<RolloutPlan>,
    apps: Vec<App>,
}

impl Stack {
    /// The stack's name, e.g. `aquamark`.
    pub fn name(&self) -> &str {
        &self.name
    }
    /// The environment, e.g. `prod`.
    pub fn env(&self) -> &str {
        &self.env
    }
    /// One line about the stack.
    pub fn description(&self) -> &str {
        &self.description
    }
    /// Resources in insertion order.
    pub fn resources(&self) -> impl ExactSizeIterator<Item = &ResourceEntry> {
        self.resources.values()
    }
    /// One resource.
    pub fn resource(&self, id: &LogicalId) -> Option<&ResourceEntry> {
        self.resources.get(id)
    }
    /// Parameters in insertion order.
    pub fn parameters(&self) -> &IndexMap<LogicalId, Parameter> {
        &self.parameters
    }
    /// Checks deploy-time parameter values against the stack's parameters: every name must be
    /// one of them and every value must match its kind ([`ParamKind::constraint`]). Every problem
    /// is reported at once.
    pub fn check_params<'a>(&self, given: impl IntoIterator<Item = (&'a str, &'a str)>) -> Result<(), CoreError> {
        let mut problems = Vec::new();
        for (name, value) in given {
            let found = self.parameters.iter().find(|(id, _)| id.as_str() == name);
            match found {
                None => {
                    let known: Vec<&str> = self.parameters.keys().map(LogicalId::as_str).collect();
                    problems.push(if known.is_empty() {
                        format!("`{name}` is not a parameter: this stack takes none; drop --param {name}")
                    } else {
                        format!("`{name}` is not a parameter; this stack takes {}", known.join(", "))
                    });
                }
                Some((id, p)) => {
                    if let Some((_, words)) = p.kind.constraint().filter(|_| !p.kind.accepts(value)) {
                        problems.push(format!("`{id}` = `{value}` is not {words}"));
                    }
                }
            }
        }
        if problems.is_empty() { Ok(()) } else { Err(CoreError::Params { stack: self.name.clone(), problems }) }
    }

    /// Outputs in insertion order.
    pub fn outputs(&self) -> &IndexMap<LogicalId, Output> {
        &self.outputs
    }
    /// The order of a release, if the stack declares one.
    pub fn rollout(&self) -> Option<&RolloutPlan> {
        self.rollout.as_ref()
    }
    /// The AMI bakes of the stack's images.
    pub fn bakes(&self) -> &[Bake] {
        &self.bakes
    }
    /// The applications for container platforms (compose, Kubernetes).
    pub fn apps(&self) -> &[App] {
        &self.apps
    }
    /// Tags applied to every taggable resource (including `iac:stack` and `iac:env`).
    pub fn tags(&self) -> &IndexMap<String, String> {
        &self.tags
    }
    /// `<stack>-<env>-<id in kebab case>`, the physical name prefix used for resources the
    /// model names itself; truncated to `max` characters with a stable hash suffix.
    pub fn physical_name(&self, id: &LogicalId, max: usize) -> String {
        let full = format!("{}-{}-{}", self.name, self.env, id.kebab_case());
        crate::id::fit(&full, max)
    }
}

impl ResourceLookup for Stack {
    fn stack_name(&self) -> &str {
        &self.name
    }
    fn entry(&self, id: &LogicalId) -> Option<&ResourceEntry> {
        self.resources.get(id)
    }
}

/// A handle to a parameter.
#[derive(Debug, Clone)]
pub struct ParamHandle {
    id: LogicalId,
}

impl ParamHandle {
    /// The parameter's value.
    pub fn value(&self) -> Value<String> {
        Value::Param(self.id.clone())
    }
    /// The parameter's id.
    pub fn id(&self) -> &LogicalId {
        &self.id
    }
}

/// Builds a [`Stack`]. Problems (bad or duplicate ids) are collected and reported together by
/// [`StackBuilder::build`], so a stack definition reads straight through without `?` on each line.
#[derive(Debug)]
pub struct StackBuilder {
    stack: Stack,
    problems: Vec<Diagnostic>,
    /// The pattern adding resources now ([`StackBuilder::pattern`]).
    origin: Option<Origin>,
}

impl StackBuilder {
    /// A new stack named `name` (lowercase letters, digits and `-`) for environment `env`.
    pub fn new(name: impl Into<String>, env: impl Into<String>) -> Self {
        let name = name.into();
        let env = env.into();
        let mut problems = Vec::new();
        for (what, v) in [("stack name", &name), ("environment", &env)] {
            let ok = !v.is_empty()
                && v.len() <= 32
                && v.starts_with(|c: char| c.is_ascii_lowercase())
                && v.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
            if !ok {
                problems.push(Diagnostic::new(
                    Code::InvalidStackName,
                    Path::stack(&name),
                    format!("{what} `{v}` is not valid"),
                    "use 1-32 lowercase letters, digits and `-`, starting with a letter (it prefixes physical names)",
                ));
            }
        }
        let mut tags = IndexMap::new();
        tags.insert("iac:stack".to_owned(), name.clone());
        tags.insert("iac:env".to_owned(), env.clone());
        Self {
            stack: Stack {
                name,
                env,
                description: String::new(),
                resources: IndexMap::new(),
                parameters: IndexMap::new(),
                outputs: IndexMap::new(),
                tags,
                bakes: Vec::new(),
                rollout: None,
                apps: Vec::new(),
            },
            problems,
            origin: None,
        }
    }

    /// The stack's name.
    pub fn name(&self) -> &str {
        &self.stack.name
    }

    /// The environment.
    pub fn env(&self) -> &str {
        &self.stack.env
    }

    /// Sets the description.
    pub fn description(&mut self, text: impl Into<String>) -> &mut Self {
        self.stack.description = text.into();
        self
    }

    /// Adds a tag applied to every taggable resource.
    pub fn tag(&mut self, key: impl Into<String>, value: impl Into<String>) -> &mut Self {
        self.stack.tags.insert(key.into(), value.into());
        self
    }

    fn checked_id(&mut self, id: &str, what: &str) -> LogicalId {
        match LogicalId::new(id) {
            Ok(id) => id,
            Err(e) => {
                self.problems.push(Diagnostic::new(
                    Code::InvalidLogicalId,
                    Path::stack(&self.stack.name).resource(id),
                    format!("{what}: {e}"),
                    "rename it",
                ));
                // A stand-in that keeps the builder going; build() fails anyway.
                LogicalId::new(format!("Invalid{}", self.problems.len())).expect("alphanumeric")
            }
        }
    }

    /// True when no resource or parameter has `id` yet; otherwise records the clash.
    fn is_unused(&mut self, id: &LogicalId) -> bool {
        let used = self.stack.resources.contains_key(id) || self.stack.parameters.contains_key(id);
        if used {
            self.problems.push(Diagnostic::new(
                Code::DuplicateLogicalId,
                Path::stack(&self.stack.name).resource(id.as_str()),
                format!("logical id `{id}` is used twice"),
                "give each resource and parameter its own id",
            ));
        }
        !used
    }

    /// Adds a resource and returns its handle.
    pub fn add<K: Kind>(&mut self, id: &str, resource: K) -> Handle<K> {
        self.add_with(id, resource, |_| {})
    }

    /// Adds a resource and lets `configure` set its shared options (dependencies,
    /// suppressions, overrides).
    pub fn add_with<K: Kind>(
        &mut self,
        id: &str,
        resource: K,
        configure: impl FnOnce(&mut ResourceEntry),
    ) -> Handle<K> {
        let id = self.checked_id(id, "resource id");
        let mut entry = ResourceEntry {
            id: id.clone(),
            resource: resource.into(),
            depends_on: Vec::new(),
            suppressions: Vec::new(),
            overrides: Vec::new(),
            origin: self.origin.clone(),
        };
        configure(&mut entry);
        if self.is_unused(&id) {
            self.stack.resources.insert(id.clone(), entry);
        }
        Handle::new(id)
    }

    /// Adds a resource entry as it is, its id checked like any other: for helpers that copy
    /// resources from another stack, such as [`crate::merge`].
    pub fn add_entry(&mut self, entry: ResourceEntry) {
        let id = self.checked_id(entry.id.as_str(), "resource id");
        if self.is_unused(&id) {
            self.stack.resources.insert(id, entry);
        }
    }

    /// Records a problem, reported by [`StackBuilder::build`].
    pub(crate) fn problem(&mut self, diagnostic: Diagnostic) {
        self.problems.push(diagnostic);
    }

    /// The parameters added so far.
    pub(crate) fn parameters_so_far(&self) -> &IndexMap<LogicalId, Parameter> {
        &self.stack.parameters
    }

    /// The stack tags set so far.
    pub(crate) fn tags_so_far(&self) -> &IndexMap<String, String> {
        &self.stack.tags
    }

    /// The bakes added so far.
    pub(crate) fn bakes_so_far(&self) -> &[Bake] {
        &self.stack.bakes
    }

    /// Runs `add` with every resource it adds recorded as made by the pattern `pattern` named
    /// `name` ([`ResourceEntry::origin`]; `synth --target graph` groups them). The patterns call
    /// it around what they add; a pattern called inside another records the inner one.
    pub fn pattern<R>(&mut self, pattern: &'static str, name: &str, add: impl FnOnce(&mut Self) -> R) -> R {
        self.with_origin(Some(Origin { pattern, name: name.to_owned() }), add)
    }

    /// Runs `add` with `origin` as the origin of what it adds.
    pub(crate) fn with_origin<R>(&mut self, origin: Option<Origin>, add: impl FnOnce(&mut Self) -> R) -> R {
        let outer = std::mem::replace(&mut self.origin, origin);
        let out = add(self);
        self.origin = outer;
        out
    }

    /// The origin of the resource `id` added so far.
    pub(crate) fn origin_of(&self, id: &LogicalId) -> Option<Origin> {
        self.stack.resources.get(id).and_then(|e| e.origin.clone())
    }

    /// Changes an already added resource's shared options.
    pub fn configure<K>(&mut self, handle: &Handle<K>, configure: impl FnOnce(&mut ResourceEntry)) {
        if let Some(entry) = self.stack.resources.get_mut(handle.id()) {
            configure(entry);
        }
    }

    /// Adds a parameter and returns its handle.
    pub fn parameter(&mut self, id: &str, parameter: Parameter) -> ParamHandle {
        let id = self.checked_id(id, "parameter id");
        if self.is_unused(&id) {
            self.stack.parameters.insert(id.clone(), parameter);
        }
        ParamHandle { id }
    }

    /// Adds an AMI bake (rendered by the `packer` target; run by the SDK engine's bake).
    pub fn bake(&mut self, bake: Bake) -> &mut Self {
        if self.stack.bakes.iter().any(|b| b.name == bake.name) {
            self.problems.push(Diagnostic::new(
                Code::DuplicateBake,
                Path::stack(&self.stack.name).resource(&bake.name),
                format!("bake `{}` is defined twice", bake.name),
                "give each bake its own name",
            ));
        } else {
            self.stack.bakes.push(bake);
        }
        self
    }

    /// Adds an application for container platforms (rendered by the `compose` and `k8s`
    /// targets; checked by validation).
    pub fn app(&mut self, app: App) -> &mut Self {
        if self.stack.apps.iter().any(|a| a.name == app.name) {
            self.problems.push(Diagnostic::new(
                Code::DuplicateApp,
                Path::stack(&self.stack.name).resource(&format!("app:{}", app.name)),
                format!("app `{}` is defined twice", app.name),
                "give each app its own name",
            ));
        } else {
            self.stack.apps.push(app);
        }
        self
    }

    /// Declares the order of a release (checked by validation, carried out by `rollout`).
    pub fn rollout(&mut self, plan: RolloutPlan) -> &mut Self {
        self.stack.rollout = Some(plan);
        self
    }

    /// Adds an output.
    pub fn output(&mut self, id: &str, description: impl Into<String>, value: impl Into<Value<String>>) -> &mut Self {
        let id = self.checked_id(id, "output id");
        self.stack.outputs.insert(id, Output { description: description.into(), value: value.into() });
        self
    }

    /// Finishes the stack. Fails with every problem found while building; run
    /// [`crate::validate::validate`] afterwards for the semantic rules.
    pub fn build(self) -> Result<Stack, CoreError> {
        if self.problems.is_empty() {
            Ok(self.stack)
        } else {
            Err(CoreError::Invalid { stack: self.stack.name, diagnostics: self.problems })
        }
    }
}
