//! Release order as data: which roles of a system stop, migrate, start and switch, in what
//! order, when a new version rolls out. The SDK engine's `rollout` carries a plan out; this
//! module only describes and checks it, so an order such as Ichnaea's (stop the scheduler and
//! the workers, migrate, start them on the new image, switch the web role) is written once,
//! reviewed, and validated before anything runs.

use std::collections::BTreeSet;
use std::fmt;

use serde::Serialize;

use crate::validate::{Diagnostic, Path};

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
}

/// A role of the system, e.g. `web`, `worker`, `scheduler`, `daemons`.
#[derive(Debug, Clone, Serialize)]
pub struct Role {
    /// Name, used by the steps.
    pub name: String,
    /// How it runs.
    pub kind: RoleKind,
}

/// One step of a rollout.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Step {
    /// Scale a role to zero and wait until nothing of it runs.
    Stop(String),
    /// Run a one-off command with the new image on a role's host (SSM) or as a task (ECS), e.g.
    /// `alembic upgrade head`; a failure stops the rollout.
    RunOnce {
        /// Where it runs.
        role: String,
        /// The command.
        command: Vec<String>,
    },
    /// Start a stopped role on the new image.
    Start(String),
    /// Blue/green: a green ASG with the new image on the same target group, wait until every
    /// green target is healthy, then drain and delete the blue one (roll back on failure).
    Switch(String),
    /// Re-run a host's containers with the new image.
    UpdateHost(String),
}

impl Step {
    /// The role the step acts on.
    pub fn role(&self) -> &str {
        match self {
            Step::Stop(r) | Step::Start(r) | Step::Switch(r) | Step::UpdateHost(r) => r,
            Step::RunOnce { role, .. } => role,
        }
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Step::Stop(r) => write!(f, "stop {r}"),
            Step::RunOnce { role, command } => write!(f, "run `{}` on {role} with the new image", command.join(" ")),
            Step::Start(r) => write!(f, "start {r} on the new image"),
            Step::Switch(r) => write!(f, "switch {r} blue/green"),
            Step::UpdateHost(r) => write!(f, "update {r} to the new image"),
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
    /// Every problem of the plan, with `stack/rollout/step[i]` paths: unknown roles, a step that
    /// does not fit the role's kind, a role stopped and never started again (the release would
    /// leave it down), a role started without being stopped (two generations would run, which a
    /// singleton must never do), and roles the plan never upgrades.
    pub fn validate(&self, stack: &str) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        let at = |i: usize| Path::stack(stack).resource("rollout").property(format!("steps[{i}]"));
        let mut stopped: BTreeSet<&str> = BTreeSet::new();
        let mut upgraded: BTreeSet<&str> = BTreeSet::new();
        for (i, step) in self.steps.iter().enumerate() {
            let Some(role) = self.roles.iter().find(|r| r.name == step.role()) else {
                let names: Vec<&str> = self.roles.iter().map(|r| r.name.as_str()).collect();
                out.push(Diagnostic::error(
                    "IAC070",
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
                Step::RunOnce { .. } => true,
            };
            if !fits {
                out.push(Diagnostic::error(
                    "IAC071",
                    at(i),
                    format!("`{step}` does not fit a {:?} role", role.kind),
                    "web roles switch, workers and singletons stop and start, hosts update",
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
                        out.push(Diagnostic::error(
                            "IAC072",
                            at(i),
                            format!("`{step}` without stopping it first: {why}"),
                            format!("add `stop {r}` before it"),
                        ));
                    }
                    upgraded.insert(r);
                }
                Step::Switch(r) | Step::UpdateHost(r) => {
                    upgraded.insert(r);
                }
                Step::RunOnce { .. } => {}
            }
        }
        for r in stopped {
            out.push(Diagnostic::error(
                "IAC073",
                Path::stack(stack).resource("rollout"),
                format!("role `{r}` is stopped and never started again: the release would leave it down"),
                format!("add `start {r}` after the migration"),
            ));
        }
        for role in &self.roles {
            if !upgraded.contains(role.name.as_str()) {
                out.push(Diagnostic::warning(
                    "IAC074",
                    Path::stack(stack).resource("rollout"),
                    format!("role `{}` keeps running the old image", role.name),
                    "add a step that upgrades it, or remove the role",
                ));
            }
        }
        out
    }
}
