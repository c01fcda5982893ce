//! Release order as data: which roles of a system stop, migrate, start and switch, in what
//! order, when a new version rolls out. The SDK engine's `rollout` carries a plan out; this
//! module only describes and checks it, so an order such as Ichnaea's (stop the scheduler and
//! the workers, migrate, start them on the new image, switch the web role) is written once,
//! reviewed, and validated before anything runs.
//!
//! A role names the resources it runs on with typed references taken from the builders'
//! handles ([`Role::web`], [`Role::workers`], [`Role::singleton`], [`Role::host`],
//! [`Role::service`]), so the
//! executor never looks a resource up by a string, and validation checks that each reference
//! exists, has the right kind, and fits the role (see [`RolloutPlan::validate_resources`]).

use std::collections::BTreeSet;
use std::fmt;

use serde::Serialize;

use crate::app::{Container, HostConfig};
use crate::diag::{Code, Diagnostic, Path};
use crate::id::LogicalId;
use crate::model::{
    AutoScalingGroup, EcsService, Handle, Instance, LaunchTemplate, MachineSpec, Resource, ResourceLookup, TargetGroup,
    TaskDefinition,
};
use crate::value::{Attr, Value};

/// How a role runs, which decides the steps it can take.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum RoleKind {
    /// An ASG behind a load balancer: switched blue/green on the same target group.
    Web,
    /// An ASG of workers: stopped (scaled to zero) and started on the new image.
    Workers,
    /// Exactly one instance that must never run twice (a scheduler): stopped before it starts.
    Singleton,
    /// One host whose containers are updated in place (daemons).
    Host,
    /// An ECS service behind a load balancer: deployed on a new revision of its task definition
    /// (ECS replaces the tasks, the circuit breaker watching), rolled back to the previous
    /// revision when it does not reach a steady state.
    Service,
}

/// The stack's resources a role runs on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum RunsOn {
    /// An auto scaling group launched from a launch template; a web role's group also
    /// registers in a target group, which the green group of a switch shares.
    Group {
        /// The group.
        group: LogicalId,
        /// Its launch template (the rollout adds a version with the new image).
        launch_template: LogicalId,
        /// The target group it serves through (web roles).
        target_group: Option<LogicalId>,
    },
    /// One EC2 instance (a host updated in place).
    Instance(LogicalId),
    /// An ECS service running a task definition, its tasks registered in a target group.
    Service {
        /// The service.
        service: LogicalId,
        /// Its task definition (the rollout registers a revision with the new image).
        task_definition: LogicalId,
        /// The target group its tasks serve through.
        target_group: LogicalId,
    },
}

/// A role of the system, e.g. `web`, `worker`, `scheduler`, `daemons`.
#[derive(Debug, Clone, Serialize)]
pub struct Role {
    /// Name, used by the steps.
    pub name: String,
    /// How it runs.
    pub kind: RoleKind,
    /// The resources it runs on.
    pub runs_on: RunsOn,
}

impl Role {
    /// A web role: `group`, launched from `launch_template`, serving through `target_group`.
    pub fn web(
        name: impl Into<String>,
        group: &Handle<AutoScalingGroup>,
        launch_template: &Handle<LaunchTemplate>,
        target_group: &Handle<TargetGroup>,
    ) -> Self {
        Self {
            name: name.into(),
            kind: RoleKind::Web,
            runs_on: RunsOn::Group {
                group: group.id().clone(),
                launch_template: launch_template.id().clone(),
                target_group: Some(target_group.id().clone()),
            },
        }
    }

    /// A role of workers: `group`, launched from `launch_template`.
    pub fn workers(
        name: impl Into<String>,
        group: &Handle<AutoScalingGroup>,
        launch_template: &Handle<LaunchTemplate>,
    ) -> Self {
        Self::group(name, RoleKind::Workers, group, launch_template)
    }

    /// A singleton (at most one instance, never two at once): `group`, launched from
    /// `launch_template`.
    pub fn singleton(
        name: impl Into<String>,
        group: &Handle<AutoScalingGroup>,
        launch_template: &Handle<LaunchTemplate>,
    ) -> Self {
        Self::group(name, RoleKind::Singleton, group, launch_template)
    }

    /// A host updated in place: one instance.
    pub fn host(name: impl Into<String>, instance: &Handle<Instance>) -> Self {
        Self { name: name.into(), kind: RoleKind::Host, runs_on: RunsOn::Instance(instance.id().clone()) }
    }

    /// A role on an ECS service: `service`, running `task_definition`, its tasks registered in
    /// `target_group`.
    pub fn service(
        name: impl Into<String>,
        service: &Handle<EcsService>,
        task_definition: &Handle<TaskDefinition>,
        target_group: &Handle<TargetGroup>,
    ) -> Self {
        Self {
            name: name.into(),
            kind: RoleKind::Service,
            runs_on: RunsOn::Service {
                service: service.id().clone(),
                task_definition: task_definition.id().clone(),
                target_group: target_group.id().clone(),
            },
        }
    }

    fn group(
        name: impl Into<String>,
        kind: RoleKind,
        group: &Handle<AutoScalingGroup>,
        launch_template: &Handle<LaunchTemplate>,
    ) -> Self {
        Self {
            name: name.into(),
            kind,
            runs_on: RunsOn::Group {
                group: group.id().clone(),
                launch_template: launch_template.id().clone(),
                target_group: None,
            },
        }
    }

    /// What the role's instances run (the launch template's or the instance's machine), if the
    /// references resolve in `stack`; `None` for a service (its tasks run no machine of ours).
    pub fn machine<'a>(&self, stack: &'a dyn ResourceLookup) -> Option<&'a MachineSpec> {
        let id = match &self.runs_on {
            RunsOn::Group { launch_template, .. } => launch_template,
            RunsOn::Instance(id) => id,
            RunsOn::Service { .. } => return None,
        };
        stack.entry(id)?.resource.machine()
    }

    /// The task definition a service role runs, if the reference resolves in `stack`.
    pub fn task_definition<'a>(&self, stack: &'a dyn ResourceLookup) -> Option<&'a TaskDefinition> {
        let RunsOn::Service { task_definition, .. } = &self.runs_on else { return None };
        let Resource::TaskDefinition(t) = &stack.entry(task_definition)?.resource else { return None };
        Some(t)
    }

    /// The long-running containers of the role: its host config's, or its task definition's.
    pub fn containers<'a>(&self, stack: &'a dyn ResourceLookup) -> Vec<&'a Container> {
        match &self.runs_on {
            RunsOn::Service { .. } => {
                self.task_definition(stack).map(|t| t.containers.iter().collect()).unwrap_or_default()
            }
            RunsOn::Group { .. } | RunsOn::Instance(_) => {
                self.host_config(stack).map(|h| h.containers.iter().collect()).unwrap_or_default()
            }
        }
    }

    /// The host setup of the role's instances (containers, files), if it has one.
    pub fn host_config<'a>(&self, stack: &'a dyn ResourceLookup) -> Option<&'a HostConfig> {
        self.machine(stack)?.user_data.as_ref()
    }

    /// The role's image in `stack`: the image of its first container (its migration's, when it
    /// has one). This is "the new image" of a rollout ([`Arg::Image`]), since a rollout carries
    /// out the stack built for the new release.
    pub fn image(&self, stack: &dyn ResourceLookup) -> Option<String> {
        match &self.runs_on {
            RunsOn::Service { .. } => self.containers(stack).first().map(|c| c.image.to_string()),
            RunsOn::Group { .. } | RunsOn::Instance(_) => {
                self.host_config(stack)?.all_containers().next().map(|c| c.image.to_string())
            }
        }
    }
}

/// One word of a one-off command: text, or the role's new image (typed, never a marker inside
/// a string).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Arg {
    /// Literal text.
    Lit(String),
    /// The new image of the role the command runs on ([`Role::image`]).
    Image,
}

impl From<&str> for Arg {
    fn from(s: &str) -> Self {
        Arg::Lit(s.to_owned())
    }
}

impl From<String> for Arg {
    fn from(s: String) -> Self {
        Arg::Lit(s)
    }
}

impl fmt::Display for Arg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Arg::Lit(s) => f.write_str(s),
            Arg::Image => f.write_str("<new image>"),
        }
    }
}

/// One step of a rollout.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Step {
    /// Scale a role to zero and wait until nothing of it runs.
    Stop(String),
    /// Run a one-off command with the new image on a role's host (SSM) or as a task (ECS), e.g.
    /// `alembic upgrade head`; a failure stops the rollout. A role that runs on a group runs it
    /// on one of the group's instances in service.
    RunOnce {
        /// Where it runs.
        role: String,
        /// The command, one word per element ([`Arg::Image`] is the role's new image).
        command: Vec<Arg>,
    },
    /// Start a stopped role on the new image.
    Start(String),
    /// Blue/green: a green ASG with the new image on the same target group, wait until every
    /// green target is healthy, then drain and delete the blue one (roll back on failure).
    Switch(String),
    /// Re-run a host's containers with the new image.
    UpdateHost(String),
    /// ECS: register a revision of the service role's task definition with the new image, move
    /// the service to it, wait until the deployment is steady with every task healthy in the
    /// target group (roll back to the previous revision when it is not), and deregister old
    /// revisions beyond the kept count.
    Deploy(String),
}

impl Step {
    /// The role the step acts on.
    pub fn role(&self) -> &str {
        match self {
            Step::Stop(r) | Step::Start(r) | Step::Switch(r) | Step::UpdateHost(r) | Step::Deploy(r) => r,
            Step::RunOnce { role, .. } => role,
        }
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Step::Stop(r) => write!(f, "stop {r}"),
            Step::RunOnce { role, command } => {
                let words: Vec<String> = command.iter().map(ToString::to_string).collect();
                write!(f, "run `{}` on {role}", words.join(" "))
            }
            Step::Start(r) => write!(f, "start {r} on the new image"),
            Step::Switch(r) => write!(f, "switch {r} blue/green"),
            Step::UpdateHost(r) => write!(f, "update {r} to the new image"),
            Step::Deploy(r) => write!(f, "deploy {r} on a new task definition revision"),
        }
    }
}

/// The roles of a system and the order of a release.
#[derive(Debug, Clone, Serialize)]
pub struct RolloutPlan {
    /// The roles.
    pub roles: Vec<Role>,
    /// The steps, in order.
    pub steps: Vec<Step>,
}

impl RolloutPlan {
    /// The steps to carry out when only the roles in `only` are rolled out (all of them when
    /// `only` is empty), in order.
    pub fn steps_for(&self, only: &[String]) -> Vec<(usize, &Step)> {
        self.steps.iter().enumerate().filter(|(_, s)| only.is_empty() || only.iter().any(|r| r == s.role())).collect()
    }

    /// True when the steps of `only` (all when empty) run on EC2 and so need a new AMI: every
    /// role but an ECS service's.
    pub fn needs_ami(&self, only: &[String]) -> bool {
        self.steps_for(only).iter().any(|(_, s)| self.role(s.role()).is_none_or(|r| r.kind != RoleKind::Service))
    }

    /// The role named `name`.
    pub fn role(&self, name: &str) -> Option<&Role> {
        self.roles.iter().find(|r| r.name == name)
    }

    /// Problems of the roles' references in `stack`, with `stack/rollout/roles[i]` paths: a
    /// resource that is not in the stack or has the wrong kind ([`Code::RoleResourceKind`]), a
    /// kind that does not fit where the role runs ([`Code::RoleRunsOnWrongKind`]), a group that
    /// does not use the role's launch template ([`Code::GroupNotFromLaunchTemplate`]) or target
    /// group ([`Code::GroupNotInTargetGroup`]), a singleton whose group may run more than one
    /// instance ([`Code::SingletonGroupTooLarge`]), and a step that needs the role's image or
    /// containers when it runs none ([`Code::StepNeedsContainer`]).
    pub fn validate_resources(&self, stack: &dyn ResourceLookup) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        let name = stack.stack_name();
        for (i, role) in self.roles.iter().enumerate() {
            let at = |what: &str| Path::stack(name).resource("rollout").property(format!("roles[{i}].{what}"));
            let fits_kind = match (&role.runs_on, role.kind) {
                (RunsOn::Group { target_group: Some(_), .. }, RoleKind::Web)
                | (RunsOn::Group { target_group: None, .. }, RoleKind::Workers | RoleKind::Singleton)
                | (RunsOn::Instance(_), RoleKind::Host)
                | (RunsOn::Service { .. }, RoleKind::Service) => true,
                (RunsOn::Group { .. } | RunsOn::Instance(_) | RunsOn::Service { .. }, _) => false,
            };
            if !fits_kind {
                out.push(Diagnostic::new(
                    Code::RoleRunsOnWrongKind,
                    at("runs_on"),
                    format!("role `{}` is {:?} but runs on {}", role.name, role.kind, describe(&role.runs_on)),
                    "build roles with Role::web, Role::workers, Role::singleton, Role::host or Role::service",
                ));
            }
            match &role.runs_on {
                RunsOn::Group { group, launch_template, target_group } => {
                    let group_ok = check_ref(&mut out, stack, role, at("group"), group, "auto scaling group", |r| {
                        matches!(r, Resource::AutoScalingGroup(_))
                    });
                    let lt_ok = check_ref(
                        &mut out,
                        stack,
                        role,
                        at("launch_template"),
                        launch_template,
                        "launch template",
                        |r| matches!(r, Resource::LaunchTemplate(_)),
                    );
                    let tg_ok = target_group.as_ref().is_none_or(|tg| {
                        check_ref(&mut out, stack, role, at("target_group"), tg, "target group", |r| {
                            matches!(r, Resource::TargetGroup(_))
                        })
                    });
                    let Some(Resource::AutoScalingGroup(asg)) = stack.entry(group).map(|e| &e.resource) else {
                        continue;
                    };
                    if group_ok && lt_ok && !refers_to(&asg.launch_template_id, launch_template, Attr::Id) {
                        out.push(Diagnostic::new(
                            Code::GroupNotFromLaunchTemplate,
                            at("launch_template"),
                            format!("role `{}`: group `{group}` is not launched from `{launch_template}`", role.name),
                            "pass the launch template the group's LaunchTemplate refers to",
                        ));
                    }
                    if let Some(tg) = target_group.as_ref().filter(|_| group_ok && tg_ok)
                        && !asg.target_group_arns.iter().any(|v| refers_to(v, tg, Attr::Arn))
                    {
                        out.push(Diagnostic::new(
                            Code::GroupNotInTargetGroup,
                            at("target_group"),
                            format!("role `{}`: group `{group}` does not register in target group `{tg}`", role.name),
                            "pass the target group in the group's TargetGroupARNs: the green group shares it",
                        ));
                    }
                    if role.kind == RoleKind::Singleton && group_ok && asg.max_size > 1 {
                        out.push(Diagnostic::new(
                            Code::SingletonGroupTooLarge,
                            at("group"),
                            format!(
                                "singleton `{}`: group `{group}` may run {} instances (MaxSize {})",
                                role.name, asg.max_size, asg.max_size
                            ),
                            "set the group's MaxSize to 1, or make the role Workers",
                        ));
                    }
                }
                RunsOn::Instance(id) => {
                    check_ref(&mut out, stack, role, at("instance"), id, "EC2 instance", |r| {
                        matches!(r, Resource::Instance(_))
                    });
                }
                RunsOn::Service { service, task_definition, target_group } => {
                    check_service(&mut out, stack, role, &at, service, task_definition, target_group);
                }
            }
        }
        for (i, step) in self.steps.iter().enumerate() {
            let Some(role) = self.role(step.role()) else { continue };
            let needs = match step {
                Step::RunOnce { command, .. } if command.contains(&Arg::Image) => "the role's image",
                Step::UpdateHost(_) => "containers to update",
                _ => continue,
            };
            let has = role.host_config(stack).is_some_and(|h| h.all_containers().next().is_some());
            if !has && role.machine(stack).is_some() {
                out.push(Diagnostic::new(
                    Code::StepNeedsContainer,
                    Path::stack(name).resource("rollout").property(format!("steps[{i}]")),
                    format!("`{step}` needs {needs}, but role `{}` runs no container", role.name),
                    "give the role's host config a container, or drop the step",
                ));
            }
        }
        out
    }

    /// Every problem of the plan, with `stack/rollout/step[i]` paths: unknown roles, a step that
    /// does not fit the role's kind, a role stopped and never started again (the release would
    /// leave it down), a role started without being stopped (two generations would run, which a
    /// singleton must never do), a command run on a role while it is stopped, and roles the
    /// plan never upgrades. [`RolloutPlan::validate_resources`] checks the references; the
    /// stack's validation runs both.
    pub fn validate(&self, stack: &str) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        let at = |i: usize| Path::stack(stack).resource("rollout").property(format!("steps[{i}]"));
        let mut stopped: BTreeSet<&str> = BTreeSet::new();
        let mut upgraded: BTreeSet<&str> = BTreeSet::new();
        for (i, step) in self.steps.iter().enumerate() {
            let Some(role) = self.roles.iter().find(|r| r.name == step.role()) else {
                let names: Vec<&str> = self.roles.iter().map(|r| r.name.as_str()).collect();
                out.push(Diagnostic::new(
                    Code::StepUnknownRole,
                    at(i),
                    format!("`{step}`: no role `{}`", step.role()),
                    format!("the roles are: {}", names.join(", ")),
                ));
                continue;
            };
            let fits = match step {
                Step::Stop(_) | Step::Start(_) => matches!(role.kind, RoleKind::Workers | RoleKind::Singleton),
                Step::Switch(_) => role.kind == RoleKind::Web,
                Step::UpdateHost(_) => role.kind == RoleKind::Host,
                Step::Deploy(_) => role.kind == RoleKind::Service,
                // One-off commands run through SSM on an instance; a service's tasks have none.
                Step::RunOnce { .. } => role.kind != RoleKind::Service,
            };
            if !fits {
                out.push(Diagnostic::new(
                    Code::StepDoesNotFitRole,
                    at(i),
                    format!("`{step}` does not fit a {:?} role", role.kind),
                    "web roles switch, workers and singletons stop and start, hosts update, services deploy (one-off \
                     commands run on groups and hosts)",
                ));
            }
            if let Step::RunOnce { role: r, command } = step
                && stopped.contains(r.as_str())
            {
                let words: Vec<String> = command.iter().map(ToString::to_string).collect();
                out.push(Diagnostic::new(
                    Code::CommandOnStoppedRole,
                    at(i),
                    format!(
                        "`{}` runs on `{r}` while it is stopped: nothing of it runs to take the command",
                        words.join(" ")
                    ),
                    format!(
                        "run it on a role that is up at that point (a host, or the web role), or before `stop {r}`"
                    ),
                ));
            }
            match step {
                Step::Stop(r) => {
                    stopped.insert(r);
                }
                Step::Start(r) => {
                    if !stopped.remove(r.as_str()) {
                        let why = if role.kind == RoleKind::Singleton {
                            "a singleton would run twice (old and new)"
                        } else {
                            "old and new workers would run side by side"
                        };
                        out.push(Diagnostic::new(
                            Code::StartWithoutStop,
                            at(i),
                            format!("`{step}` without stopping it first: {why}"),
                            format!("add `stop {r}` before it"),
                        ));
                    }
                    upgraded.insert(r);
                }
                Step::Switch(r) | Step::UpdateHost(r) | Step::Deploy(r) => {
                    upgraded.insert(r);
                }
                Step::RunOnce { .. } => {}
            }
        }
        for r in stopped {
            out.push(Diagnostic::new(
                Code::RoleLeftStopped,
                Path::stack(stack).resource("rollout"),
                format!("role `{r}` is stopped and never started again: the release would leave it down"),
                format!("add `start {r}` after the migration"),
            ));
        }
        for role in &self.roles {
            if !upgraded.contains(role.name.as_str()) {
                out.push(Diagnostic::new(
                    Code::RoleKeepsOldImage,
                    Path::stack(stack).resource("rollout"),
                    format!("role `{}` keeps running the old image", role.name),
                    "add a step that upgrades it, or remove the role",
                ));
            }
        }
        out
    }
}

/// The references of a service role: the service, its task definition and target group, and
/// that the service runs that task definition and registers in that target group.
fn check_service(
    out: &mut Vec<Diagnostic>,
    stack: &dyn ResourceLookup,
    role: &Role,
    at: &dyn Fn(&str) -> Path,
    service: &LogicalId,
    task_definition: &LogicalId,
    target_group: &LogicalId,
) {
    let service_ok =
        check_ref(out, stack, role, at("service"), service, "ECS service", |r| matches!(r, Resource::EcsService(_)));
    let definition_ok =
        check_ref(out, stack, role, at("task_definition"), task_definition, "ECS task definition", |r| {
            matches!(r, Resource::TaskDefinition(_))
        });
    let group_ok = check_ref(out, stack, role, at("target_group"), target_group, "target group", |r| {
        matches!(r, Resource::TargetGroup(_))
    });
    let Some(Resource::EcsService(svc)) = stack.entry(service).map(|e| &e.resource) else { return };
    if service_ok && definition_ok && !refers_to(&svc.task_definition, task_definition, Attr::Arn) {
        out.push(Diagnostic::new(
            Code::ServiceNotOnTaskDefinition,
            at("task_definition"),
            format!("role `{}`: service `{service}` does not run `{task_definition}`", role.name),
            "pass the task definition the service's TaskDefinition refers to",
        ));
    }
    let in_tg = svc.load_balancer.as_ref().is_some_and(|lb| refers_to(&lb.target_group_arn, target_group, Attr::Arn));
    if service_ok && group_ok && !in_tg {
        out.push(Diagnostic::new(
            Code::ServiceNotOnTaskDefinition,
            at("target_group"),
            format!("role `{}`: service `{service}` does not register in target group `{target_group}`", role.name),
            "pass the target group of the service's load balancer: the rollout waits for its tasks there",
        ));
    }
}

/// [`Code::RoleResourceKind`] unless `id` is in `stack` and `fits`; true when it is.
fn check_ref(
    out: &mut Vec<Diagnostic>,
    stack: &dyn ResourceLookup,
    role: &Role,
    at: Path,
    id: &LogicalId,
    want: &'static str,
    fits: fn(&Resource) -> bool,
) -> bool {
    match stack.entry(id) {
        Some(e) if fits(&e.resource) => true,
        Some(e) => {
            out.push(Diagnostic::new(
                Code::RoleResourceKind,
                at,
                format!("role `{}`: `{id}` is a {}, not a {want}", role.name, e.resource.kind_name()),
                format!("pass the handle of the role's {want}"),
            ));
            false
        }
        None => {
            out.push(Diagnostic::new(
                Code::RoleResourceKind,
                at,
                format!("role `{}`: no resource `{id}` in the stack", role.name),
                format!("pass the handle of the role's {want}, as returned by the pattern that added it"),
            ));
            false
        }
    }
}

fn describe(runs_on: &RunsOn) -> String {
    match runs_on {
        RunsOn::Group { group, target_group: Some(tg), .. } => format!("group `{group}` behind target group `{tg}`"),
        RunsOn::Group { group, .. } => format!("group `{group}` with no target group"),
        RunsOn::Instance(id) => format!("instance `{id}`"),
        RunsOn::Service { service, .. } => format!("ECS service `{service}`"),
    }
}

/// True when `v` is `id`'s `attr` (the typed reference a builder handle gives).
fn refers_to(v: &Value<String>, id: &LogicalId, attr: Attr) -> bool {
    matches!(v, Value::Attr(r) if r.id == *id && r.attr == attr)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::Container;
    use crate::model::{AppProtocol, HealthCheck, HealthCheckType, Vpc};
    use crate::stack::{Stack, StackBuilder};

    fn machine(containers: Vec<Container>) -> MachineSpec {
        MachineSpec {
            image_id: Value::from("ami-1"),
            instance_type: Value::from("t3.small"),
            security_group_ids: Vec::new(),
            instance_profile: None,
            root_volume: None,
            user_data: Some(HostConfig {
                name: "h".into(),
                packages: Vec::new(),
                docker: true,
                files: Vec::new(),
                containers,
                cron: Vec::new(),
                ..HostConfig::default()
            }),
            key_name: None,
            detailed_monitoring: false,
        }
    }

    fn group(
        stack: &mut StackBuilder,
        id: &str,
        lt: &Handle<LaunchTemplate>,
        tg: Option<&Handle<TargetGroup>>,
        max: u32,
    ) -> Handle<AutoScalingGroup> {
        stack.add(
            id,
            AutoScalingGroup {
                name: None,
                launch_template_id: lt.template_id(),
                launch_template_version: lt.latest_version(),
                min_size: 1,
                max_size: max,
                desired_capacity: 1,
                subnet_ids: vec![Value::from("subnet-1")],
                target_group_arns: tg.map(|t| vec![t.arn()]).unwrap_or_default(),
                health_check_type: HealthCheckType::Ec2,
                health_check_grace_period: 60,
            },
        )
    }

    struct World {
        stack: Stack,
        web: Role,
        worker_group: Handle<AutoScalingGroup>,
        worker_lt: Handle<LaunchTemplate>,
        web_lt: Handle<LaunchTemplate>,
        web_tg: Handle<TargetGroup>,
        web_group: Handle<AutoScalingGroup>,
        bare: Handle<Instance>,
    }

    fn world() -> World {
        let mut s = StackBuilder::new("demo", "dev");
        let vpc = s
            .add("Vpc", Vpc { cidr_block: "10.0.0.0/16".into(), enable_dns_hostnames: true, enable_dns_support: true });
        let app = Container::new("app", "example/app:2.0.0");
        let web_lt = s.add("WebLt", LaunchTemplate { name: None, machine: Some(machine(vec![app.clone()])) });
        let worker_lt = s.add("WorkerLt", LaunchTemplate { name: None, machine: Some(machine(vec![app])) });
        let web_tg = s.add(
            "WebTg",
            TargetGroup {
                name: None,
                port: 80,
                protocol: AppProtocol::Http,
                vpc_id: vpc.vpc_id(),
                health_check: HealthCheck::http("/"),
                deregistration_delay_seconds: 5,
                target_type: crate::model::TargetType::Instance,
            },
        );
        let web_group = group(&mut s, "WebGroup", &web_lt, Some(&web_tg), 4);
        let worker_group = group(&mut s, "WorkerGroup", &worker_lt, None, 3);
        let bare = s.add(
            "Bare",
            Instance { subnet_id: Value::from("subnet-1"), machine: machine(Vec::new()), launch_template: None },
        );
        let web = Role::web("web", &web_group, &web_lt, &web_tg);
        World { stack: s.build().expect("builds"), web, worker_group, worker_lt, web_lt, web_tg, web_group, bare }
    }

    fn codes(plan: &RolloutPlan, stack: &Stack) -> Vec<(Code, String)> {
        plan.validate_resources(stack).into_iter().map(|d| (d.code, d.message)).collect()
    }

    #[test]
    fn roles_refer_to_resources_of_the_right_kind() {
        let w = world();
        let good = RolloutPlan {
            roles: vec![w.web.clone(), Role::workers("worker", &w.worker_group, &w.worker_lt)],
            steps: vec![
                Step::Stop("worker".into()),
                Step::RunOnce { role: "web".into(), command: vec!["migrate".into(), Arg::Image] },
                Step::Start("worker".into()),
                Step::Switch("web".into()),
            ],
        };
        assert!(codes(&good, &w.stack).is_empty(), "{:?}", codes(&good, &w.stack));
        assert_eq!(good.roles[0].image(&w.stack).as_deref(), Some("example/app:2.0.0"));
        assert_eq!(good.steps[1].to_string(), "run `migrate <new image>` on web");

        // A launch template where the group should be; a missing resource.
        let mut swapped = Role::workers("worker", &w.worker_group, &w.worker_lt);
        swapped.runs_on = RunsOn::Group {
            group: w.worker_lt.id().clone(),
            launch_template: LogicalId::new("Nowhere").unwrap(),
            target_group: None,
        };
        let found = codes(&RolloutPlan { roles: vec![swapped], steps: Vec::new() }, &w.stack);
        assert_eq!(
            found.iter().map(|(c, _)| *c).collect::<Vec<_>>(),
            [Code::RoleResourceKind, Code::RoleResourceKind],
            "{found:?}"
        );
        assert!(found[0].1.contains("`WorkerLt` is a launch template, not a auto scaling group"), "{found:?}");
        assert!(found[1].1.contains("no resource `Nowhere`"), "{found:?}");
    }

    #[test]
    fn web_groups_register_in_the_role_target_group() {
        let w = world();
        let plan = RolloutPlan {
            roles: vec![Role::web("web", &w.worker_group, &w.worker_lt, &w.web_tg)],
            steps: vec![Step::Switch("web".into())],
        };
        let found = codes(&plan, &w.stack);
        assert_eq!(found.iter().map(|(c, _)| *c).collect::<Vec<_>>(), [Code::GroupNotInTargetGroup], "{found:?}");
        assert!(found[0].1.contains("does not register in target group `WebTg`"), "{found:?}");
    }

    #[test]
    fn roles_must_fit_their_groups() {
        let w = world();
        // The web group launched from the workers' template; a web role with no target group;
        // a singleton whose group may run three; a host update on a host without containers.
        let wrong_lt = Role::web("web", &w.web_group, &w.worker_lt, &w.web_tg);
        let mut no_tg = Role::workers("web2", &w.web_group, &w.web_lt);
        no_tg.kind = RoleKind::Web;
        let plan = RolloutPlan {
            roles: vec![
                wrong_lt,
                no_tg,
                Role::singleton("scheduler", &w.worker_group, &w.worker_lt),
                Role::host("bare", &w.bare),
            ],
            steps: vec![Step::UpdateHost("bare".into())],
        };
        let found = codes(&plan, &w.stack);
        assert_eq!(
            found.iter().map(|(c, _)| *c).collect::<Vec<_>>(),
            [
                Code::GroupNotFromLaunchTemplate,
                Code::RoleRunsOnWrongKind,
                Code::SingletonGroupTooLarge,
                Code::StepNeedsContainer
            ],
            "{found:?}"
        );
        assert!(found[0].1.contains("is not launched from `WorkerLt`"), "{found:?}");
        assert!(found[2].1.contains("may run 3 instances"), "{found:?}");
        assert!(found[3].1.contains("runs no container"), "{found:?}");
    }

    #[test]
    fn steps_can_be_limited_to_roles() {
        let w = world();
        let plan = RolloutPlan {
            roles: vec![w.web.clone(), Role::host("bare", &w.bare)],
            steps: vec![Step::Switch("web".into()), Step::UpdateHost("bare".into())],
        };
        let only: Vec<usize> = plan.steps_for(&["bare".to_owned()]).into_iter().map(|(i, _)| i).collect();
        assert_eq!(only, [1]);
        assert_eq!(plan.steps_for(&[]).len(), 2);
    }
}
