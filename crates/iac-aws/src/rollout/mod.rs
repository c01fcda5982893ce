//! Blue/green rollout: carries out a stack's [`RolloutPlan`] against what runs in AWS, one step
//! after the other, for a new AMI and the stack built for the new release.
//!
//! - `switch` (web roles): the live (blue) group of the role is found by its `iac:*` tags; the
//!   launch template gets a version with the new data (the engine's own update, so the template
//!   ends as `plan` wants it); a green group `<name>-<rollout>` is created from it at the blue's
//!   capacity, on the blue's subnets and target group, with the stack's tags (`iac:name` says the
//!   stack's name for it) and the role's scaling policies; every green target must be `healthy`
//!   (any other state counts as not healthy) before the health timeout. Then the blue's targets
//!   are deregistered, draining is waited for (the target group's deregistration delay), and the
//!   blue group is scaled to zero and deleted. Green is full and healthy before blue stops
//!   serving, so the serving capacity never drops below the desired count. When green is not
//!   healthy in time, the rollout rolls back: green is deleted, the launch template's default
//!   data is the blue's again, the blue group is left as it was, and [`AwsError::RolledBack`]
//!   says why.
//! - `deploy` (ECS service roles): a revision of the role's task definition is registered with
//!   the new release's containers (the engine's own create, so the revision is what `plan`
//!   wants; an existing revision with that hash is reused), the service is moved to it
//!   (`UpdateService`), and the rollout waits until the service has one deployment, as many
//!   tasks running as desired, and as many `healthy` targets in the role's target group (no
//!   target in any state but `healthy` or `draining`). A deployment the circuit breaker
//!   fails (`rolloutState` `FAILED`), or one not healthy before the health timeout, is rolled
//!   back: the service is moved to the previous revision (recorded before the step), and the
//!   revisions newer than it are deregistered, so discovery and `plan` see the previous one
//!   again; [`AwsError::ServiceRolledBack`] says why. Then the family's `ACTIVE` revisions
//!   beyond [`RolloutOptions::keep_revisions`] are deregistered (never the one that runs). On
//!   moto services never start a task and nothing registers in the target group, so the tests
//!   stand in for the tasks by registering targets themselves; the circuit breaker cannot be
//!   shown there.
//! - `stop` / `start` (workers, singletons): scale to zero and wait until nothing runs (the
//!   capacity is recorded first); start on the new launch template version at that capacity.
//! - `run once` / `update host`: a shell script through SSM Run Command (`AWS-RunShellScript`)
//!   on the role's instance (a host, or one in-service instance of a group), polled until it
//!   ends. A failure stops the rollout with [`AwsError::HookFailed`]: the command, its status,
//!   exit code and output, and what serves.
//!
//! # Crash safety
//!
//! Before a phase starts, the rollout writes it in tags on the resources the step acts on (the
//! blue and green groups, the host, or the ECS service): `iac:rollout` (the rollout's id), `iac:rollout-step`
//! (`i/n`), `iac:rollout-phase`, `iac:rollout-ami`, `iac:rollout-version`, `iac:rollout-roles`,
//! and where needed `iac:rollout-color`, `iac:rollout-previous` (the blue's launch template
//! version and hash), `iac:rollout-capacity`, `iac:rollout-command` and `iac:rollout-reason`.
//! Every phase is idempotent, so [`RolloutOptions::resume`] reads the tags, takes the most
//! advanced phase of the last rollout, and runs it again and what follows (or finishes a
//! rollback); it never ends with two live groups or none. A new rollout refuses to start while
//! another is unfinished.
//!
//! [`RolloutOptions::dry_run`] reads what exists and returns the steps with the resources they
//! would touch, changing nothing. Progress goes to a callback ([`RolloutEvent`]); the result is
//! a [`Summary`] with the AMIs, the groups and the time of every phase.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use aws_sdk_autoscaling::types::{
    AutoScalingGroup as AwsGroup, Filter as GroupFilter, LifecycleState, Tag as GroupTag,
};
use aws_sdk_ec2::types::{Filter, Tag};
use aws_sdk_elasticloadbalancingv2::types::{TargetDescription, TargetHealthStateEnum};
use aws_sdk_ssm::types::CommandInvocationStatus;
use iac_core::model::Resource;
use iac_core::rollout::{Arg, Role, RolloutPlan, RunsOn, Step};
use iac_core::stack::Stack;
use iac_core::value::{Attr, Value};
use iac_core::{LogicalId, naming};
use serde::Serialize;
use serde_json::{Map, Value as Json, json};

use crate::adapter;
use crate::clients::Clients;
use crate::desired;
use crate::engine::{Engine, Options};
use crate::error::AwsError;
use crate::services::autoscaling::retry_if;
use crate::services::{self, Ctx, Timing, ec2};
use crate::state::{Observed, TAG_ENV, TAG_HASH, TAG_ID, TAG_NAME, TAG_STACK, Tags};

/// Tag: the rollout's id (milliseconds since the epoch when it started; later ones are larger).
pub const TAG_ROLLOUT: &str = "iac:rollout";
/// Tag: the step, `i/n` (0-based, of the steps this rollout carries out).
pub const TAG_STEP: &str = "iac:rollout-step";
/// Tag: the phase that was about to start, or `done` / `rolled-back`.
pub const TAG_PHASE: &str = "iac:rollout-phase";
/// Tag: `blue` (the group that served when the switch started) or `green`.
pub const TAG_COLOR: &str = "iac:rollout-color";
/// Tag: the AMI rolled out.
pub const TAG_AMI: &str = "iac:rollout-ami";
/// Tag: the version rolled out.
pub const TAG_VERSION: &str = "iac:rollout-version";
/// Tag: the roles rolled out, comma-separated (`*`: all).
pub const TAG_ROLES: &str = "iac:rollout-roles";
/// [`TAG_ROLES`] of a rollout of every role (tag values are never empty: moto refuses them).
const ALL_ROLES: &str = "*";
/// Tag on the blue group: `<launch template version>/<launch template iac:hash>` before the switch.
pub const TAG_PREVIOUS: &str = "iac:rollout-previous";
/// Tag on a stopped group: `min/max/desired` before it was stopped.
pub const TAG_CAPACITY: &str = "iac:rollout-capacity";
/// Tag on a hook's resource: `<step>/<SSM command id>`.
pub const TAG_COMMAND: &str = "iac:rollout-command";
/// Tag on an ECS service: the `iac:hash` it had before the deploy (its previous revision is in
/// [`TAG_PREVIOUS`]).
pub const TAG_PREVIOUS_HASH: &str = "iac:rollout-previous-hash";
/// Tag: why the rollout rolled back.
pub const TAG_REASON: &str = "iac:rollout-reason";

const GROUP: &str = "AWS::AutoScaling::AutoScalingGroup";

/// A phase of a step. Phases of one step are recorded in this order, so the largest recorded
/// one is where a resumed rollout goes on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Phase {
    /// Switch: the blue group is found and recorded.
    Prepare,
    /// Switch: a launch template version with the new data.
    LaunchTemplate,
    /// Switch: the green group, at the blue's capacity, in service.
    CreateGreen,
    /// Switch: every green target healthy.
    WaitHealthy,
    /// Switch: the blue's targets deregistered.
    Cutover,
    /// Switch: connection draining of the blue's targets.
    Drain,
    /// Switch: the blue group scaled to zero and deleted.
    RetireBlue,
    /// Stop: scaled to zero.
    Stop,
    /// Start: on the new version at the recorded capacity.
    Start,
    /// A one-off command.
    RunOnce,
    /// A host's containers on the new image.
    UpdateHost,
    /// Deploy: a task definition revision with the new containers.
    Register,
    /// Deploy: the service moved to the new revision.
    Deploy,
    /// Deploy: one steady deployment, every task healthy in the target group.
    WaitSteady,
    /// Deploy: old revisions beyond the kept count deregistered.
    Prune,
    /// The step is finished.
    Done,
    /// Switch: green is being deleted.
    RollBack,
    /// Switch: rolled back; the rollout ended there.
    RolledBack,
}

impl Phase {
    const ALL: [Phase; 18] = [
        Phase::Prepare,
        Phase::LaunchTemplate,
        Phase::CreateGreen,
        Phase::WaitHealthy,
        Phase::Cutover,
        Phase::Drain,
        Phase::RetireBlue,
        Phase::Stop,
        Phase::Start,
        Phase::RunOnce,
        Phase::UpdateHost,
        Phase::Register,
        Phase::Deploy,
        Phase::WaitSteady,
        Phase::Prune,
        Phase::Done,
        Phase::RollBack,
        Phase::RolledBack,
    ];

    /// The tag value.
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Prepare => "prepare",
            Phase::LaunchTemplate => "launch-template",
            Phase::CreateGreen => "create-green",
            Phase::WaitHealthy => "wait-healthy",
            Phase::Cutover => "cutover",
            Phase::Drain => "drain",
            Phase::RetireBlue => "retire-blue",
            Phase::Stop => "stop",
            Phase::Start => "start",
            Phase::RunOnce => "run-once",
            Phase::UpdateHost => "update-host",
            Phase::Register => "register",
            Phase::Deploy => "deploy",
            Phase::WaitSteady => "wait-steady",
            Phase::Prune => "prune",
            Phase::Done => "done",
            Phase::RollBack => "roll-back",
            Phase::RolledBack => "rolled-back",
        }
    }

    /// The phase a tag value names.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == s)
    }
}

impl std::fmt::Display for Phase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a rollout runs.
#[derive(Debug, Clone)]
pub struct RolloutOptions {
    /// The version rolled out (a label in tags and events; default: the AMI id). On resume,
    /// `None` takes the recorded one.
    pub version: Option<String>,
    /// The new AMI (required unless resuming or only ECS services roll out; on resume it must
    /// match the recorded one).
    pub ami: Option<String>,
    /// Values of the stack's other parameters (the launch template's image parameter is set to
    /// the AMI).
    pub params: BTreeMap<String, String>,
    /// Only the steps of these roles (empty: all). On resume the recorded roles are used.
    pub roles: Vec<String>,
    /// Go on with the unfinished rollout recorded in the tags.
    pub resume: bool,
    /// Return the steps and the resources they would touch; change nothing.
    pub dry_run: bool,
    /// How long every green target (or every task of a service's deployment) has to become
    /// healthy.
    pub health_timeout: Duration,
    /// The longest wait for the blue's targets to drain (`None`: the target group's
    /// deregistration delay).
    pub drain_timeout: Option<Duration>,
    /// How long a one-off command or host update may run.
    pub command_timeout: Duration,
    /// Polling, retries, and the wait for groups to be in service.
    pub timing: Timing,
    /// ECS: how many `ACTIVE` revisions of a deployed task definition's family to keep (the
    /// running one included); older ones are deregistered.
    pub keep_revisions: usize,
    /// Test hook: stop at this phase boundary (1-based; each phase has two: right after its
    /// tag is written and right after its action), as if the process were killed there.
    #[cfg(feature = "testing")]
    pub fault_after: Option<usize>,
}

impl Default for RolloutOptions {
    fn default() -> Self {
        Self {
            version: None,
            ami: None,
            params: BTreeMap::new(),
            roles: Vec::new(),
            resume: false,
            dry_run: false,
            health_timeout: Duration::from_mins(10),
            drain_timeout: None,
            command_timeout: Duration::from_mins(30),
            timing: Timing::default(),
            keep_revisions: 5,
            #[cfg(feature = "testing")]
            fault_after: None,
        }
    }
}

/// A progress event, for the caller to print.
#[derive(Debug, Clone, Serialize)]
pub enum RolloutEvent {
    /// The rollout starts (or resumes).
    Started {
        /// Its id.
        rollout: String,
        /// The version.
        version: String,
        /// The AMI.
        ami: String,
        /// Resumed from the tags.
        resumed: bool,
        /// Steps it carries out.
        steps: usize,
    },
    /// A step starts.
    Step {
        /// Position (1-based) among the rollout's steps.
        number: usize,
        /// How many.
        total: usize,
        /// The step.
        step: String,
    },
    /// A phase starts (its tag is written).
    Phase {
        /// The phase.
        phase: Phase,
        /// What it touches.
        touches: Vec<String>,
    },
    /// A phase finished.
    PhaseDone {
        /// The phase.
        phase: Phase,
        /// Its wall time.
        seconds: f64,
    },
    /// Green's targets at one poll.
    Health {
        /// Healthy ones.
        healthy: usize,
        /// How many must be.
        wanted: usize,
        /// `instance: state` of each.
        states: Vec<String>,
    },
    /// The blue's targets still draining.
    Draining {
        /// Their ids.
        targets: Vec<String>,
    },
    /// A one-off command's status.
    Command {
        /// Where it runs.
        instance: String,
        /// SSM's command id.
        command_id: String,
        /// Its status.
        status: String,
    },
    /// Green is not healthy: rolling back.
    RollingBack {
        /// Why.
        reason: String,
    },
}

/// Progress callback.
pub type RolloutProgress<'a> = &'a (dyn Fn(&RolloutEvent) + Sync);

/// One phase carried out (or, in a dry run, planned).
#[derive(Debug, Clone, Serialize)]
pub struct PhaseReport {
    /// The phase.
    pub phase: Phase,
    /// Wall time (0 in a dry run).
    pub seconds: f64,
    /// The resources it touches.
    pub touches: Vec<String>,
}

/// One step carried out (or planned).
#[derive(Debug, Clone, Serialize)]
pub struct StepReport {
    /// Position (1-based) among the rollout's steps.
    pub number: usize,
    /// The step.
    pub step: String,
    /// The role.
    pub role: String,
    /// The group that served before (switch).
    pub from: Option<String>,
    /// The group that serves after (switch).
    pub to: Option<String>,
    /// Its phases.
    pub phases: Vec<PhaseReport>,
}

/// What a rollout did (or, in a dry run, would do).
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// The stack.
    pub stack: String,
    /// The environment.
    pub env: String,
    /// The rollout's id.
    pub rollout: String,
    /// The version.
    pub version: String,
    /// The AMI the first switched or started role ran before.
    pub old_ami: Option<String>,
    /// The AMI rolled out.
    pub new_ami: String,
    /// Resumed from the tags.
    pub resumed: bool,
    /// Nothing was changed.
    pub dry_run: bool,
    /// The steps carried out by this call.
    pub steps: Vec<StepReport>,
    /// Wall time.
    pub seconds: f64,
    /// SDK calls made.
    pub calls: usize,
}

impl std::fmt::Display for Summary {
    /// The steps with their phases, times and the resources they touched (or would touch).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let verb = if self.dry_run { "would roll out" } else { "rolled out" };
        let old = self.old_ami.as_deref().unwrap_or("?");
        // An ECS-only rollout has no AMI.
        let amis = if self.new_ami.is_empty() { String::new() } else { format!(" ({old} -> {})", self.new_ami) };
        writeln!(
            f,
            "{} ({}): {verb} version {}{amis}, rollout {}{}",
            self.stack,
            self.env,
            self.version,
            self.rollout,
            if self.resumed { ", resumed" } else { "" }
        )?;
        for step in &self.steps {
            write!(f, "  {}. {}", step.number, step.step)?;
            if let (Some(from), Some(to)) = (&step.from, &step.to) {
                write!(f, ": {from} -> {to}")?;
            }
            writeln!(f)?;
            for p in step.phases.iter().filter(|p| !(p.phase == Phase::Done && p.touches.is_empty())) {
                if self.dry_run {
                    writeln!(f, "     {:<16}{}", p.phase.as_str(), p.touches.join("; "))?;
                } else {
                    writeln!(f, "     {:<16}{:>7.2} s  {}", p.phase.as_str(), p.seconds, p.touches.join("; "))?;
                }
            }
        }
        if self.dry_run {
            write!(f, "nothing changed ({} SDK calls to read)", self.calls)
        } else {
            write!(f, "{:.2} s, {} SDK calls", self.seconds, self.calls)
        }
    }
}

impl std::fmt::Display for RolloutEvent {
    /// One progress line.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RolloutEvent::Started { rollout, version, ami, resumed, steps } => {
                let how = if *resumed { "resuming" } else { "starting" };
                if ami.is_empty() {
                    write!(f, "{how} rollout {rollout}: version {version}, {steps} steps")
                } else {
                    write!(f, "{how} rollout {rollout}: version {version} on {ami}, {steps} steps")
                }
            }
            RolloutEvent::Step { number, total, step } => write!(f, "step {number}/{total}: {step}"),
            RolloutEvent::Phase { phase, touches } => write!(f, "  {phase}: {}", touches.join("; ")),
            RolloutEvent::PhaseDone { phase, seconds } => write!(f, "  {phase} done in {seconds:.2} s"),
            RolloutEvent::Health { healthy, wanted, states } => {
                write!(f, "  {healthy}/{wanted} healthy: {}", states.join(", "))
            }
            RolloutEvent::Draining { targets } => write!(f, "  draining: {}", targets.join(", ")),
            RolloutEvent::Command { instance, command_id, status } => {
                write!(f, "  command {command_id} on {instance}: {status}")
            }
            RolloutEvent::RollingBack { reason } => write!(f, "  rolling back: {reason}"),
        }
    }
}

/// Carries out `stack`'s rollout plan (or resumes it, or describes it) for a new AMI.
///
/// `stack` is the stack built for the new release (its launch templates and hosts hold the new
/// containers); `clients` reach the account where it runs.
pub async fn rollout(
    clients: &Clients,
    stack: &Stack,
    options: &RolloutOptions,
    progress: RolloutProgress<'_>,
) -> Result<Summary, AwsError> {
    let started = Instant::now();
    let calls_before = clients.calls();
    let plan = stack.rollout().ok_or_else(|| AwsError::NoRolloutPlan { stack: stack.name().to_owned() })?;
    let state_error = |role: &str, message: String| AwsError::RolloutState {
        stack: stack.name().to_owned(),
        role: role.to_owned(),
        message,
    };
    for r in &options.roles {
        if plan.role(r).is_none() {
            let names: Vec<&str> = plan.roles.iter().map(|r| r.name.as_str()).collect();
            return Err(state_error(r, format!("no such role; the roles are: {}", names.join(", "))));
        }
    }
    let ctx = Ctx { clients, stack, timing: options.timing };
    let records = scan(&ctx, plan).await?;

    let (base, start) = begin(stack, plan, options, &records)?;

    let mut params = options.params.clone();
    for role in &plan.roles {
        if let Some(Value::Param(p)) = role.machine(stack).map(|m| &m.image_id)
            && matches!(role.runs_on, RunsOn::Group { .. })
        {
            params.insert(p.to_string(), base.ami.clone());
        }
    }
    let engine =
        Engine::new(clients.clone(), stack.clone(), Options { params, timing: options.timing, ..Options::default() })?;
    let steps: Vec<(usize, Step)> = plan.steps_for(&base.roles).into_iter().map(|(i, s)| (i, s.clone())).collect();
    if steps.len() != base.steps {
        return Err(state_error(
            "-",
            format!(
                "rollout {} recorded {} steps but the stack's plan has {} for roles [{}]; resume with the stack it \
                 started with",
                base.rollout,
                base.steps,
                steps.len(),
                base.roles.join(", ")
            ),
        ));
    }
    let zones = engine.availability_zones().await?;
    engine.account().await?;
    let template = iac_render::cloudformation::template(stack)?;
    let mut run = Run {
        ctx,
        engine,
        template,
        zones,
        plan,
        options,
        base,
        steps,
        progress,
        boundaries: AtomicUsize::new(0),
        reports: Vec::new(),
        old_ami: None,
    };
    progress(&RolloutEvent::Started {
        rollout: run.base.rollout.clone(),
        version: run.base.version.clone(),
        ami: run.base.ami.clone(),
        resumed: options.resume,
        steps: run.steps.len(),
    });
    if options.dry_run {
        run.dry_run(start.0).await?;
    } else {
        run.run(start.0, start.1).await?;
    }
    Ok(Summary {
        stack: stack.name().to_owned(),
        env: stack.env().to_owned(),
        rollout: run.base.rollout.clone(),
        version: run.base.version.clone(),
        old_ami: run.old_ami.clone(),
        new_ami: run.base.ami.clone(),
        resumed: options.resume,
        dry_run: options.dry_run,
        steps: run.reports,
        seconds: started.elapsed().as_secs_f64(),
        calls: clients.calls() - calls_before,
    })
}

/// The rollout to carry out and where to start: a new one, or the unfinished one the tags record
/// (resume).
fn begin(
    stack: &Stack,
    plan: &RolloutPlan,
    options: &RolloutOptions,
    records: &[Record],
) -> Result<(Record, (usize, Option<Phase>)), AwsError> {
    let state_error = |role: &str, message: String| AwsError::RolloutState {
        stack: stack.name().to_owned(),
        role: role.to_owned(),
        message,
    };
    let last = Position::last(records);
    let (base, start) = match (options.resume, last.clone().filter(|p| !p.finished())) {
        (false, Some(p)) => {
            return Err(state_error(
                "-",
                format!(
                    "rollout {} of version {} is unfinished (step {}/{}, phase {}); run `rollout --resume` to finish it \
                     (or roll it back) before starting another",
                    p.record.rollout,
                    p.record.version,
                    p.record.step + 1,
                    p.record.steps,
                    p.phase
                ),
            ));
        }
        (true, None) => {
            let what = match last {
                Some(p) if p.phase == Phase::RolledBack => {
                    format!("the last rollout ({}) rolled back", p.record.rollout)
                }
                Some(p) => format!("the last rollout ({}) finished", p.record.rollout),
                None => "no rollout is recorded in the tags".to_owned(),
            };
            return Err(state_error("-", format!("nothing to resume: {what}; start a new rollout instead")));
        }
        (false, None) => {
            let ami = match options.ami.clone() {
                Some(ami) => ami,
                None if !plan.needs_ami(&options.roles) => String::new(),
                None => return Err(state_error("-", "no AMI given: pass the image to roll out (--ami)".to_owned())),
            };
            if ami.is_empty() && options.version.is_none() {
                return Err(state_error("-", "no version given: pass the release to roll out (--version)".to_owned()));
            }
            let now = u64::try_from(SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis()))
                .unwrap_or(u64::MAX);
            let after = last.as_ref().map_or(0, |p| p.record.rollout.parse::<u64>().unwrap_or(0) + 1);
            let steps = plan.steps_for(&options.roles).len();
            let base = Record {
                rollout: now.max(after).to_string(),
                step: 0,
                steps,
                phase: Phase::Prepare,
                version: options.version.clone().unwrap_or_else(|| ami.clone()),
                ami,
                roles: options.roles.clone(),
            };
            (base, (0, None))
        }
        (true, Some(p)) => {
            let r = &p.record;
            if let Some(ami) = options.ami.as_ref().filter(|a| **a != r.ami) {
                return Err(state_error(
                    "-",
                    format!(
                        "rollout {} is of {}, not {ami}; resume it without --ami (or with the same one)",
                        r.rollout, r.ami
                    ),
                ));
            }
            if let Some(v) = options.version.as_ref().filter(|v| **v != r.version) {
                return Err(state_error(
                    "-",
                    format!(
                        "rollout {} is of version {}, not {v}; resume it with the same version",
                        r.rollout, r.version
                    ),
                ));
            }
            let start = if p.phase == Phase::Done { (r.step + 1, None) } else { (r.step, Some(p.phase)) };
            (r.clone(), start)
        }
    };

    Ok((base, start))
}

mod deploy;
mod dry_run;
mod hooks;
mod live;
mod record;
mod switch;
mod workers;

use live::{Group, Ledger, green_name, groups, instance, service};
use record::{Position, Record, scan};

struct Run<'a> {
    ctx: Ctx<'a>,
    engine: Engine,
    template: Json,
    zones: Vec<String>,
    plan: &'a RolloutPlan,
    options: &'a RolloutOptions,
    base: Record,
    steps: Vec<(usize, Step)>,
    progress: RolloutProgress<'a>,
    boundaries: AtomicUsize,
    reports: Vec<StepReport>,
    old_ami: Option<String>,
}

/// Green did not become healthy: why.
struct Unhealthy(String);

impl Run<'_> {
    fn stack_name(&self) -> String {
        self.ctx.stack.name().to_owned()
    }

    fn state_error(&self, role: &str, message: impl Into<String>) -> AwsError {
        AwsError::RolloutState { stack: self.stack_name(), role: role.to_owned(), message: message.into() }
    }

    fn role(&self, step: &Step) -> Result<Role, AwsError> {
        self.plan
            .role(step.role())
            .cloned()
            .ok_or_else(|| self.state_error(step.role(), format!("`{step}`: the plan has no such role")))
    }

    async fn run(&mut self, first: usize, mut from: Option<Phase>) -> Result<(), AwsError> {
        for k in first..self.steps.len() {
            let step = self.steps[k].1.clone();
            let role = self.role(&step)?;
            (self.progress)(&RolloutEvent::Step { number: k + 1, total: self.steps.len(), step: step.to_string() });
            self.reports.push(StepReport {
                number: k + 1,
                step: step.to_string(),
                role: role.name.clone(),
                from: None,
                to: None,
                phases: Vec::new(),
            });
            self.base.step = k;
            let phase = from.take();
            match &step {
                Step::Switch(_) => Box::pin(self.switch(&role, phase)).await?,
                Step::Stop(_) => Box::pin(self.stop(&role, phase)).await?,
                Step::Deploy(_) => Box::pin(self.deploy(&role, phase)).await?,
                Step::Start(_) => Box::pin(self.start(&role, phase)).await?,
                Step::RunOnce { command, .. } => {
                    let image = role.image(self.ctx.stack).unwrap_or_default();
                    let words: Vec<String> = command
                        .iter()
                        .map(|a| match a {
                            Arg::Lit(s) => iac_render::userdata::shell_quote(s),
                            Arg::Image => iac_render::userdata::shell_quote(&image),
                        })
                        .collect();
                    let script = format!("set -euo pipefail\n{}\n", words.join(" "));
                    let shown: Vec<String> = command
                        .iter()
                        .map(|a| match a {
                            Arg::Lit(s) => s.clone(),
                            Arg::Image => image.clone(),
                        })
                        .collect();
                    Box::pin(self.hook(&role, Phase::RunOnce, &shown.join(" "), &script, phase)).await?;
                }
                Step::UpdateHost(_) => {
                    let Some(host) = role.host_config(self.ctx.stack) else {
                        return Err(self.state_error(&role.name, "the host has no host config to update"));
                    };
                    let script = iac_render::userdata::update_script(host);
                    let images: Vec<String> =
                        host.containers.iter().map(|c| format!("{} {}", c.name, c.image)).collect();
                    let shown = format!("update of the containers ({})", images.join(", "));
                    Box::pin(self.hook(&role, Phase::UpdateHost, &shown, &script, phase)).await?;
                }
            }
        }
        Ok(())
    }

    // ----- recording

    /// A phase boundary: where the test fault hook (feature `testing`) stops the rollout.
    #[cfg_attr(not(feature = "testing"), allow(clippy::unnecessary_wraps))]
    fn boundary(&self, phase: Phase, what: &str) -> Result<(), AwsError> {
        let n = self.boundaries.fetch_add(1, Ordering::Relaxed) + 1;
        #[cfg(feature = "testing")]
        if self.options.fault_after == Some(n) {
            return Err(AwsError::RolloutKilled {
                boundary: n,
                at: format!("step {}/{} phase {phase}, {what}", self.base.step + 1, self.base.steps),
            });
        }
        #[cfg(not(feature = "testing"))]
        let _ = (n, phase, what);
        Ok(())
    }

    /// Writes `phase` (and `extra` tags) on `ledgers`, then reports it: the phase has started.
    async fn enter(
        &mut self,
        phase: Phase,
        ledgers: &[Ledger],
        extra: &[(&str, String)],
        touches: Vec<String>,
    ) -> Result<Instant, AwsError> {
        self.base.phase = phase;
        let mut tags = self.base.tags();
        tags.extend(extra.iter().map(|(k, v)| ((*k).to_owned(), v.clone())));
        for ledger in ledgers {
            self.write_tags(ledger, &tags).await?;
        }
        (self.progress)(&RolloutEvent::Phase { phase, touches: touches.clone() });
        if let Some(r) = self.reports.last_mut() {
            r.phases.push(PhaseReport { phase, seconds: 0.0, touches });
        }
        self.boundary(phase, "its tag written")?;
        Ok(Instant::now())
    }

    /// The phase's action is done.
    fn finish(&mut self, phase: Phase, since: Instant) -> Result<(), AwsError> {
        let seconds = since.elapsed().as_secs_f64();
        if let Some(p) = self.reports.last_mut().and_then(|r| r.phases.iter_mut().rev().find(|p| p.phase == phase)) {
            p.seconds = seconds;
        }
        (self.progress)(&RolloutEvent::PhaseDone { phase, seconds });
        self.boundary(phase, "its action done")
    }

    async fn write_tags(&self, ledger: &Ledger, tags: &Tags) -> Result<(), AwsError> {
        match ledger {
            Ledger::Group(name) => {
                let sdk: Vec<GroupTag> = tags
                    .iter()
                    .map(|(k, v)| {
                        GroupTag::builder()
                            .resource_id(name)
                            .resource_type("auto-scaling-group")
                            .key(k)
                            .value(v)
                            .propagate_at_launch(false)
                            .build()
                    })
                    .collect();
                let req = self.ctx.clients.autoscaling.create_or_update_tags().set_tags(Some(sdk));
                retry_if(&self.ctx, name, "autoscaling:CreateOrUpdateTags", busy, || req.clone().send()).await?;
            }
            Ledger::Instance(id) => {
                let sdk: Vec<Tag> = tags.iter().map(|(k, v)| Tag::builder().key(k).value(v).build()).collect();
                let req = self.ctx.clients.ec2.create_tags().resources(id).set_tags(Some(sdk));
                self.ctx.retry(id, "ec2:CreateTags", &["InvalidInstanceID.NotFound"], || req.clone().send()).await?;
            }
            Ledger::Service(arn) => {
                let sdk: Vec<aws_sdk_ecs::types::Tag> =
                    tags.iter().map(|(k, v)| aws_sdk_ecs::types::Tag::builder().key(k).value(v).build()).collect();
                let req = self.ctx.clients.ecs.tag_resource().resource_arn(arn).set_tags(Some(sdk));
                self.ctx.retry(arn, "ecs:TagResource", &[], || req.clone().send()).await?;
            }
        }
        Ok(())
    }

    // ----- desired state

    /// Everything of the stack that exists, by id (the first of two groups with one id; the
    /// callers put the group they mean in place).
    async fn observe(&self) -> Result<HashMap<LogicalId, Observed>, AwsError> {
        let mut out: HashMap<LogicalId, Observed> = HashMap::new();
        for o in services::discover(&self.ctx).await? {
            let wanted = self.template["Resources"][o.id.as_str()]["Type"].as_str();
            if wanted.is_some_and(|t| t != o.cfn_type) {
                continue;
            }
            out.entry(o.id.clone()).or_insert(o);
        }
        Ok(out)
    }

    fn desired(&self, id: &LogicalId, observed: &HashMap<LogicalId, Observed>) -> Result<Map<String, Json>, AwsError> {
        self.engine.desired(id, observed, &self.zones)
    }

    fn entry(&self, id: &LogicalId) -> Result<&iac_core::model::ResourceEntry, AwsError> {
        self.ctx.stack.resource(id).ok_or_else(|| self.state_error("-", format!("no resource `{id}` in the stack")))
    }

    /// The launch template as the new release wants it (a new version with the full data, made
    /// the default, and the new hash), unless it already is.
    async fn update_launch_template(
        &self,
        lt: &LogicalId,
        observed: &HashMap<LogicalId, Observed>,
    ) -> Result<Observed, AwsError> {
        let Some(current) = observed.get(lt) else {
            return Err(self.state_error("-", format!("launch template `{lt}` does not exist; deploy the stack first")));
        };
        let mut props = self.desired(lt, observed)?;
        if let Some(data) = props.get_mut("LaunchTemplateData").and_then(Json::as_object_mut) {
            data.insert("ImageId".into(), json!(self.base.ami));
        }
        let want = Json::Object(props.clone());
        let hash = desired::hash(&want);
        if desired::changed(&want, &current.props).is_empty() && current.hash.as_deref() == Some(hash.as_str()) {
            return Ok(current.clone());
        }
        let entry = self.entry(lt)?;
        let mut tags = naming::tags(self.ctx.stack, entry);
        tags.push((TAG_HASH.to_owned(), hash.clone()));
        let mut o = services::update(&self.ctx, entry, current, &props, &tags).await?;
        o.hash = Some(hash);
        Ok(o)
    }
}

/// True when `v` is the name of group `id` (a scaling policy of the role's group).
fn refers_to(v: &Value<String>, id: &LogicalId) -> bool {
    matches!(v, Value::Attr(r) if r.id == *id && r.attr == Attr::Name)
}

/// A scaling activity or another update is under way.
fn busy(code: &str, _message: &str) -> bool {
    matches!(code, "ScalingActivityInProgress" | "ResourceInUse" | "ResourceContention")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(rollout: &str, step: usize, steps: usize, phase: Phase) -> Record {
        Record {
            rollout: rollout.into(),
            step,
            steps,
            phase,
            ami: "ami-1".into(),
            version: "2".into(),
            roles: Vec::new(),
        }
    }

    #[test]
    fn phases_round_trip_through_tags() {
        for p in Phase::ALL {
            assert_eq!(Phase::parse(p.as_str()), Some(p));
        }
        let r = Record { roles: vec!["web".into(), "daemons".into()], ..record("17", 1, 3, Phase::Drain) };
        let back = Record::read(&r.tags()).expect("reads back");
        assert_eq!((back.rollout.as_str(), back.step, back.steps, back.phase), ("17", 1, 3, Phase::Drain));
        assert_eq!(back.roles, ["web", "daemons"]);
    }

    #[test]
    fn the_most_advanced_record_of_the_newest_rollout_is_where_resume_goes_on() {
        // An old finished rollout, and a new one whose blue says cutover and green drain.
        let records = vec![
            record("100", 2, 3, Phase::Done),
            record("200", 0, 3, Phase::Cutover),
            record("200", 0, 3, Phase::Drain),
        ];
        let p = Position::last(&records).expect("found");
        assert_eq!((p.record.rollout.as_str(), p.record.step, p.phase), ("200", 0, Phase::Drain));
        assert!(!p.finished());
        // A later step done means the earlier steps are done.
        let p = Position::last(&[record("200", 0, 3, Phase::Done), record("200", 1, 3, Phase::RunOnce)]).unwrap();
        assert_eq!((p.record.step, p.phase), (1, Phase::RunOnce));
        assert!(Position::last(&[record("200", 2, 3, Phase::Done)]).unwrap().finished());
        assert!(Position::last(&[record("200", 0, 3, Phase::RolledBack)]).unwrap().finished());
        // A rollback outranks the forward phases of its step.
        let p = Position::last(&[record("9", 0, 1, Phase::WaitHealthy), record("9", 0, 1, Phase::RollBack)]).unwrap();
        assert_eq!(p.phase, Phase::RollBack);
    }

    #[test]
    fn green_names_fit_the_limit() {
        assert_eq!(green_name("app-prod-web", "1767225600123"), "app-prod-web-1767225600123");
        assert!(green_name(&"x".repeat(300), "1").len() <= 255);
    }
}
