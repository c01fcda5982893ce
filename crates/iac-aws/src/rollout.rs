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
//! blue and green groups, or the host): `iac:rollout` (the rollout's id), `iac:rollout-step`
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
use iac_core::model::{Resource, Stack};
use iac_core::rollout::{Arg, Role, RolloutPlan, RunsOn, Step};
use iac_core::value::{Attr, Value};
use iac_core::{LogicalId, naming};
use serde::Serialize;
use serde_json::{Map, Value as Json, json};

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
    /// The step is finished.
    Done,
    /// Switch: green is being deleted.
    RollBack,
    /// Switch: rolled back; the rollout ended there.
    RolledBack,
}

impl Phase {
    const ALL: [Phase; 14] = [
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
    /// The new AMI (required unless resuming; on resume it must match the recorded one).
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
    /// How long every green target has to become healthy.
    pub health_timeout: Duration,
    /// The longest wait for the blue's targets to drain (`None`: the target group's
    /// deregistration delay).
    pub drain_timeout: Option<Duration>,
    /// How long a one-off command or host update may run.
    pub command_timeout: Duration,
    /// Polling, retries, and the wait for groups to be in service.
    pub timing: Timing,
    /// Test hook: stop at this phase boundary (1-based; each phase has two: right after its
    /// tag is written and right after its action), as if the process were killed there.
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
        writeln!(
            f,
            "{} ({}): {verb} version {} ({old} -> {}), rollout {}{}",
            self.stack,
            self.env,
            self.version,
            self.new_ami,
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
                write!(f, "{how} rollout {rollout}: version {version} on {ami}, {steps} steps")
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
            let Some(ami) = options.ami.clone() else {
                return Err(state_error("-", "no AMI given: pass the image to roll out (--ami)".to_owned()));
            };
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

// ---------------------------------------------------------------------------------------------
// The record in the tags

/// What a resource's rollout tags say.
#[derive(Debug, Clone)]
struct Record {
    rollout: String,
    step: usize,
    steps: usize,
    phase: Phase,
    ami: String,
    version: String,
    roles: Vec<String>,
}

impl Record {
    fn read(tags: &[(String, String)]) -> Option<Self> {
        let get = |k: &str| tags.iter().find(|(key, _)| key == k).map(|(_, v)| v.as_str());
        let (step, steps) = get(TAG_STEP)?.split_once('/')?;
        Some(Self {
            rollout: get(TAG_ROLLOUT)?.to_owned(),
            step: step.parse().ok()?,
            steps: steps.parse().ok()?,
            phase: Phase::parse(get(TAG_PHASE)?)?,
            ami: get(TAG_AMI).unwrap_or_default().to_owned(),
            version: get(TAG_VERSION).unwrap_or_default().to_owned(),
            roles: get(TAG_ROLES)
                .unwrap_or_default()
                .split(',')
                .filter(|r| !r.is_empty() && *r != ALL_ROLES)
                .map(str::to_owned)
                .collect(),
        })
    }

    fn tags(&self) -> Tags {
        vec![
            (TAG_ROLLOUT.to_owned(), self.rollout.clone()),
            (TAG_STEP.to_owned(), format!("{}/{}", self.step, self.steps)),
            (TAG_PHASE.to_owned(), self.phase.as_str().to_owned()),
            (TAG_AMI.to_owned(), self.ami.clone()),
            (TAG_VERSION.to_owned(), self.version.clone()),
            (TAG_ROLES.to_owned(), if self.roles.is_empty() { ALL_ROLES.to_owned() } else { self.roles.join(",") }),
        ]
    }

    fn is_same_rollout(&self, other: &Record) -> bool {
        self.rollout == other.rollout
    }
}

/// Where the last rollout is: its most advanced record.
#[derive(Debug, Clone)]
struct Position {
    record: Record,
    phase: Phase,
}

impl Position {
    fn last(records: &[Record]) -> Option<Self> {
        let key = |r: &Record| (r.rollout.parse::<u64>().unwrap_or(0), r.rollout.clone());
        let newest = records.iter().map(key).max()?;
        let mine: Vec<&Record> = records.iter().filter(|r| key(r) == newest).collect();
        let step = mine.iter().map(|r| r.step).max()?;
        let at_step: Vec<&&Record> = mine.iter().filter(|r| r.step == step).collect();
        let phase = at_step.iter().map(|r| r.phase).max()?;
        let record: Record = (**at_step.iter().find(|r| r.phase == phase)?).clone();
        Some(Self { record, phase })
    }

    fn finished(&self) -> bool {
        self.phase == Phase::RolledBack || (self.phase == Phase::Done && self.record.step + 1 >= self.record.steps)
    }
}

/// The rollout records on every resource of the plan's roles.
async fn scan(ctx: &Ctx<'_>, plan: &RolloutPlan) -> Result<Vec<Record>, AwsError> {
    let mut out = Vec::new();
    for role in &plan.roles {
        match &role.runs_on {
            RunsOn::Group { group, .. } => {
                for g in groups(ctx, group).await? {
                    out.extend(Record::read(&g.tags));
                }
            }
            RunsOn::Instance(id) => {
                if let Some((_, tags)) = instance(ctx, id).await? {
                    out.extend(Record::read(&tags));
                }
            }
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// What exists

/// A group of a role, as it is now.
#[derive(Debug, Clone)]
struct Group {
    name: String,
    tags: Tags,
    aws: AwsGroup,
}

impl Group {
    fn tag(&self, key: &str) -> Option<&str> {
        self.tags.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    fn record(&self) -> Option<Record> {
        Record::read(&self.tags)
    }

    fn in_service(&self) -> Vec<String> {
        let mut ids: Vec<String> = self
            .aws
            .instances()
            .iter()
            .filter(|i| i.lifecycle_state() == Some(&LifecycleState::InService))
            .filter_map(|i| i.instance_id().map(str::to_owned))
            .collect();
        ids.sort();
        ids
    }

    fn capacity(&self) -> (i32, i32, i32) {
        (self.aws.min_size().unwrap_or(0), self.aws.max_size().unwrap_or(0), self.aws.desired_capacity().unwrap_or(0))
    }

    fn launch_template_version(&self) -> Option<String> {
        self.aws.launch_template().and_then(|lt| lt.version()).map(str::to_owned)
    }
}

/// The stack's groups carrying `id` (the live one, and during a switch its green twin).
async fn groups(ctx: &Ctx<'_>, id: &LogicalId) -> Result<Vec<Group>, AwsError> {
    let filter = |k: &str, v: &str| GroupFilter::builder().name(format!("tag:{k}")).values(v).build();
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let req = ctx
            .clients
            .autoscaling
            .describe_auto_scaling_groups()
            .filters(filter(TAG_STACK, ctx.stack.name()))
            .filters(filter(TAG_ENV, ctx.stack.env()))
            .filters(filter(TAG_ID, id.as_str()))
            .set_next_token(token.clone());
        let page = ctx.retry(id.as_str(), "autoscaling:DescribeAutoScalingGroups", &[], || req.clone().send()).await?;
        for g in page.auto_scaling_groups() {
            if g.status().is_some_and(|s| s.starts_with("Delete")) {
                continue;
            }
            let tags: Tags = g
                .tags()
                .iter()
                .map(|t| (t.key().unwrap_or_default().to_owned(), t.value().unwrap_or_default().to_owned()))
                .collect();
            out.push(Group { name: g.auto_scaling_group_name().unwrap_or_default().to_owned(), tags, aws: g.clone() });
        }
        token = page.next_token().filter(|t| !t.is_empty()).map(str::to_owned);
        if token.is_none() {
            break;
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// The stack's instance `id` (not terminated) and its tags.
async fn instance(ctx: &Ctx<'_>, id: &LogicalId) -> Result<Option<(String, Tags)>, AwsError> {
    let f = |k: &str, v: &str| Filter::builder().name(format!("tag:{k}")).values(v).build();
    let req = ctx
        .clients
        .ec2
        .describe_instances()
        .filters(f(TAG_STACK, ctx.stack.name()))
        .filters(f(TAG_ENV, ctx.stack.env()))
        .filters(f(TAG_ID, id.as_str()))
        .filters(
            Filter::builder()
                .name("instance-state-name")
                .values("pending")
                .values("running")
                .values("stopping")
                .values("stopped")
                .build(),
        );
    let out = ctx.retry(id.as_str(), "ec2:DescribeInstances", &[], || req.clone().send()).await?;
    let found = out.reservations().iter().flat_map(aws_sdk_ec2::types::Reservation::instances).find_map(|i| {
        let tags: Tags = i
            .tags()
            .iter()
            .map(|t| (t.key().unwrap_or_default().to_owned(), t.value().unwrap_or_default().to_owned()))
            .collect();
        // Instances an ASG launched carry their group's id; the host is the one that is not in a group.
        let in_group = tags.iter().any(|(k, _)| k == "aws:autoscaling:groupName");
        (!in_group).then(|| (i.instance_id().unwrap_or_default().to_owned(), tags))
    });
    Ok(found)
}

/// Where a step's phases are recorded.
#[derive(Debug, Clone)]
enum Ledger {
    Group(String),
    Instance(String),
}

/// A green group name: the stack's name for the group and the rollout's id.
fn green_name(base: &str, rollout: &str) -> String {
    naming::fit(&format!("{base}-{rollout}"), 255)
}

// ---------------------------------------------------------------------------------------------
// The run

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

    fn boundary(&self, phase: Phase, what: &str) -> Result<(), AwsError> {
        let n = self.boundaries.fetch_add(1, Ordering::Relaxed) + 1;
        if self.options.fault_after == Some(n) {
            return Err(AwsError::RolloutKilled {
                boundary: n,
                at: format!("step {}/{} phase {phase}, {what}", self.base.step + 1, self.base.steps),
            });
        }
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

    // ----- switch

    #[allow(clippy::too_many_lines)] // the phases, in order
    async fn switch(&mut self, role: &Role, from: Option<Phase>) -> Result<(), AwsError> {
        let RunsOn::Group { group: group_id, launch_template: lt_id, target_group: Some(tg_id) } = &role.runs_on else {
            return Err(self.state_error(&role.name, "a switch needs a group behind a target group (Role::web)"));
        };
        let from = from.unwrap_or(Phase::Prepare);
        let (mut blue, mut green) = self.blue_green(role, group_id).await?;
        let mut observed = self.observe().await?;
        let tg_arn = observed.get(tg_id).map(|o| o.physical_id.clone()).ok_or_else(|| {
            self.state_error(&role.name, format!("target group `{tg_id}` does not exist; deploy the stack first"))
        })?;
        let base_name = self.base_name(group_id);
        let green_name = green_name(&base_name, &self.base.rollout);
        if let Some(r) = self.reports.last_mut() {
            r.from = blue.as_ref().map(|b| b.name.clone());
            r.to = Some(green_name.clone());
        }
        if from >= Phase::RollBack {
            return Box::pin(self.roll_back(role, group_id, blue.as_ref(), green.as_ref(), lt_id, &tg_arn, None)).await;
        }
        if green.is_none() && (Phase::WaitHealthy..=Phase::RetireBlue).contains(&from) {
            if from >= Phase::Cutover {
                return Err(self.state_error(
                    &role.name,
                    format!(
                        "the green group `{green_name}` is gone after the cutover began; restore the blue group's \
                         registration in the target group by hand, then resume"
                    ),
                ));
            }
            // Deleted by hand while the rollout was stopped: make it again.
            return Box::pin(self.switch(role, Some(Phase::CreateGreen))).await;
        }
        let ledgers = |b: &Option<Group>, g: &Option<Group>| -> Vec<Ledger> {
            b.iter().chain(g.iter()).map(|x| Ledger::Group(x.name.clone())).collect()
        };

        if let Some(b) = &blue
            && let Some(v) = b.launch_template_version()
        {
            self.old_ami = self.old_ami.take().or(self.image_of(&observed, lt_id, &v).await?);
        }

        if from <= Phase::Prepare {
            let Some(b) = &blue else {
                return Err(self.state_error(&role.name, "no live group to switch from; deploy the stack first"));
            };
            let lt = observed
                .get(lt_id)
                .ok_or_else(|| self.state_error(&role.name, format!("launch template `{lt_id}` does not exist")))?;
            let previous =
                format!("{}/{}", b.launch_template_version().unwrap_or_default(), lt.hash.clone().unwrap_or_default());
            let touches = vec![format!("blue group {} ({} in service)", b.name, b.in_service().len())];
            let t = self
                .enter(
                    Phase::Prepare,
                    &ledgers(&blue, &green),
                    &[(TAG_COLOR, "blue".to_owned()), (TAG_PREVIOUS, previous)],
                    touches,
                )
                .await?;
            self.finish(Phase::Prepare, t)?;
        }

        if from <= Phase::LaunchTemplate {
            let lt = observed.get(lt_id).map(|o| o.physical_id.clone()).unwrap_or_default();
            let touches = vec![format!("launch template {lt}: a version with {}", self.base.ami)];
            let t = self.enter(Phase::LaunchTemplate, &ledgers(&blue, &green), &[], touches).await?;
            let updated = self.update_launch_template(lt_id, &observed).await?;
            observed.insert(lt_id.clone(), updated);
            self.finish(Phase::LaunchTemplate, t)?;
        }

        if from <= Phase::CreateGreen {
            let Some(b) = blue.clone() else {
                return Err(self.state_error(&role.name, "no live group to take the capacity from"));
            };
            let (min, max, desired) = b.capacity();
            let touches = vec![
                format!("green group {green_name}: {desired} instances (min {min}, max {max})"),
                format!("target group {tg_arn}"),
            ];
            let t = self.enter(Phase::CreateGreen, &ledgers(&blue, &green), &[], touches).await?;
            let entry = self.entry(group_id)?;
            let asg_desired = self.desired(group_id, &observed)?;
            let hash = desired::hash(&Json::Object(asg_desired.clone()));
            let observed_green = if let Some(g) = &green {
                self.wait_in_service(&g.name, usize::try_from(desired).unwrap_or(0)).await?;
                Observed::new(group_id.clone(), GROUP, g.name.clone()).attr("AutoScalingGroupName", g.name.clone())
            } else {
                let mut props = asg_desired.clone();
                props.insert("AutoScalingGroupName".into(), json!(green_name));
                props.insert("MinSize".into(), json!(min.to_string()));
                props.insert("MaxSize".into(), json!(max.to_string()));
                props.insert("DesiredCapacity".into(), json!(desired.to_string()));
                let mut own =
                    vec![(TAG_NAME.to_owned(), base_name.clone()), (TAG_COLOR.to_owned(), "green".to_owned())];
                own.extend(self.base.tags());
                if let Some(list) = props.get_mut("Tags").and_then(Json::as_array_mut) {
                    for (k, v) in &own {
                        list.push(json!({ "Key": k, "Value": v, "PropagateAtLaunch": false }));
                    }
                }
                let mut tags = naming::tags(self.ctx.stack, entry);
                tags.push((TAG_HASH.to_owned(), hash));
                tags.extend(own);
                services::create(&self.ctx, entry, &props, &tags).await?
            };
            // The role's scaling policies, on the green group.
            observed.insert(group_id.clone(), observed_green);
            self.put_policies(group_id, &observed, false).await?;
            self.finish(Phase::CreateGreen, t)?;
            green = self.blue_green(role, group_id).await?.1;
        }

        if from <= Phase::WaitHealthy {
            let Some(g) = green.clone() else {
                return Err(self.state_error(&role.name, format!("the green group `{green_name}` is missing")));
            };
            let wanted = blue.as_ref().map_or_else(|| g.capacity().2, |b| b.capacity().2);
            let touches = vec![format!("target group {tg_arn}: green instances {}", g.in_service().join(", "))];
            let t = self.enter(Phase::WaitHealthy, &ledgers(&blue, &green), &[], touches).await?;
            match self.wait_healthy(&g.name, &tg_arn, usize::try_from(wanted).unwrap_or(0)).await? {
                Ok(()) => self.finish(Phase::WaitHealthy, t)?,
                Err(Unhealthy(reason)) => {
                    return Box::pin(self.roll_back(
                        role,
                        group_id,
                        blue.as_ref(),
                        green.as_ref(),
                        lt_id,
                        &tg_arn,
                        Some(reason),
                    ))
                    .await;
                }
            }
        }

        if from <= Phase::Cutover {
            let touches = blue
                .iter()
                .map(|b| format!("target group {tg_arn}: blue instances {} deregistered", b.in_service().join(", ")))
                .collect();
            let t = self.enter(Phase::Cutover, &ledgers(&blue, &green), &[], touches).await?;
            if let Some(b) = &blue {
                self.detach(b, &tg_arn).await?;
            }
            self.finish(Phase::Cutover, t)?;
        }

        if from <= Phase::Drain {
            let delay = Self::deregistration_delay(&observed, tg_id);
            let wait = self.options.drain_timeout.unwrap_or(delay);
            let touches = vec![format!("target group {tg_arn}: draining, up to {:.1} s", wait.as_secs_f64())];
            let t = self.enter(Phase::Drain, &ledgers(&blue, &green), &[], touches).await?;
            if let Some(b) = &blue {
                self.wait_drained(b, &tg_arn, wait).await?;
            }
            self.finish(Phase::Drain, t)?;
        }

        if from <= Phase::RetireBlue {
            let touches = blue.iter().map(|b| format!("blue group {}: scaled to 0 and deleted", b.name)).collect();
            let t = self.enter(Phase::RetireBlue, &ledgers(&blue, &green), &[], touches).await?;
            if let Some(b) = blue.take() {
                self.retire(group_id, &b).await?;
            }
            self.finish(Phase::RetireBlue, t)?;
        }

        let touches = green.iter().map(|g| format!("group {} serves", g.name)).collect();
        self.enter(Phase::Done, &ledgers(&blue, &green), &[], touches).await?;
        if let Some(r) = self.reports.last_mut() {
            r.to = green.as_ref().map(|g| g.name.clone());
        }
        Ok(())
    }

    /// Puts the stack's scaling policies of `group_id` on the group `observed` holds for it (with
    /// `missing_only`, only those the group lacks).
    async fn put_policies(
        &self,
        group_id: &LogicalId,
        observed: &HashMap<LogicalId, Observed>,
        missing_only: bool,
    ) -> Result<(), AwsError> {
        let policies: Vec<LogicalId> = self
            .ctx
            .stack
            .resources()
            .filter(|e| matches!(&e.resource, Resource::ScalingPolicy(p) if refers_to(&p.auto_scaling_group_name, group_id)))
            .map(|e| e.id.clone())
            .collect();
        let group = observed.get(group_id).map(|o| o.physical_id.clone()).unwrap_or_default();
        for p in policies {
            if missing_only {
                let name = services::autoscaling::policy_name(&self.ctx, &p);
                let req = self
                    .ctx
                    .clients
                    .autoscaling
                    .describe_policies()
                    .auto_scaling_group_name(&group)
                    .policy_names(&name);
                let out =
                    self.ctx.retry(p.as_str(), "autoscaling:DescribePolicies", &[], || req.clone().send()).await?;
                if !out.scaling_policies().is_empty() {
                    continue;
                }
            }
            let props = self.desired(&p, observed)?;
            services::create(&self.ctx, self.entry(&p)?, &props, &Vec::new()).await?;
        }
        Ok(())
    }

    /// The name the stack gives group `id`.
    fn base_name(&self, id: &LogicalId) -> String {
        self.template["Resources"][id.as_str()]["Properties"]["AutoScalingGroupName"]
            .as_str()
            .map_or_else(|| self.ctx.stack.physical_name(id, 255), str::to_owned)
    }

    /// The role's live (blue) group and this rollout's green group.
    async fn blue_green(&self, role: &Role, group_id: &LogicalId) -> Result<(Option<Group>, Option<Group>), AwsError> {
        let mut blue = Vec::new();
        let mut green = None;
        // This rollout's green group is known by its name (tags can be left over from an
        // earlier rollout, or written by a hook that ran on the group).
        let mine = green_name(&self.base_name(group_id), &self.base.rollout);
        for g in groups(&self.ctx, group_id).await? {
            if g.name == mine {
                green = Some(g);
            } else {
                blue.push(g);
            }
        }
        if blue.len() > 1 {
            let names: Vec<&str> = blue.iter().map(|g| g.name.as_str()).collect();
            return Err(self.state_error(
                &role.name,
                format!(
                    "two live groups carry `{group_id}`: {}; a rollout was left half-way outside this tool. Delete the \
                     one that does not serve, then run again",
                    names.join(", ")
                ),
            ));
        }
        Ok((blue.pop(), green))
    }

    /// The image of version `version` of launch template `lt`.
    async fn image_of(
        &self,
        observed: &HashMap<LogicalId, Observed>,
        lt: &LogicalId,
        version: &str,
    ) -> Result<Option<String>, AwsError> {
        let Some(o) = observed.get(lt) else { return Ok(None) };
        let req = self
            .ctx
            .clients
            .ec2
            .describe_launch_template_versions()
            .launch_template_id(&o.physical_id)
            .versions(version);
        let out = self.ctx.retry(lt.as_str(), "ec2:DescribeLaunchTemplateVersions", &[], || req.clone().send()).await?;
        Ok(out
            .launch_template_versions()
            .first()
            .and_then(|v| v.launch_template_data())
            .and_then(|d| d.image_id())
            .map(str::to_owned))
    }

    async fn describe(&self, name: &str) -> Result<Option<AwsGroup>, AwsError> {
        let req = self.ctx.clients.autoscaling.describe_auto_scaling_groups().auto_scaling_group_names(name);
        let out = self.ctx.retry(name, "autoscaling:DescribeAutoScalingGroups", &[], || req.clone().send()).await?;
        Ok(out.auto_scaling_groups().iter().find(|g| !g.status().is_some_and(|s| s.starts_with("Delete"))).cloned())
    }

    async fn wait_in_service(&self, name: &str, wanted: usize) -> Result<(), AwsError> {
        self.ctx
            .wait_for(name, &format!("{wanted} instances InService"), || async move {
                let Some(g) = self.describe(name).await? else {
                    return Err(
                        self.state_error("-", format!("group `{name}` disappeared while waiting for its instances"))
                    );
                };
                let n =
                    g.instances().iter().filter(|i| i.lifecycle_state() == Some(&LifecycleState::InService)).count();
                Ok((n >= wanted).then_some(()))
            })
            .await
    }

    /// Target states in `tg` (all registered targets, or those of `ids`).
    async fn target_states(&self, tg: &str, ids: Option<&[String]>) -> Result<Vec<(String, String, String)>, AwsError> {
        let mut req = self.ctx.clients.elbv2.describe_target_health().target_group_arn(tg);
        for id in ids.unwrap_or_default() {
            req = req.targets(TargetDescription::builder().id(id).build());
        }
        let out = self.ctx.retry(tg, "elasticloadbalancing:DescribeTargetHealth", &[], || req.clone().send()).await?;
        Ok(out
            .target_health_descriptions()
            .iter()
            .map(|d| {
                let id = d.target().and_then(|t| t.id()).unwrap_or_default().to_owned();
                let health = d.target_health();
                let state = health.and_then(|h| h.state()).map_or("unknown", TargetHealthStateEnum::as_str).to_owned();
                let reason = health.and_then(|h| h.reason()).map(|r| r.as_str().to_owned()).unwrap_or_default();
                (id, state, reason)
            })
            .collect())
    }

    /// Waits until `wanted` green instances are in service and every one is `healthy` in `tg`
    /// (registering any the group's attachment has not); `Err(Unhealthy)` when the health
    /// timeout passes first.
    async fn wait_healthy(&self, green: &str, tg: &str, wanted: usize) -> Result<Result<(), Unhealthy>, AwsError> {
        let deadline = Instant::now() + self.options.health_timeout;
        loop {
            let ids = self.describe(green).await?.map_or_else(Vec::new, |g| {
                let mut ids: Vec<String> = g
                    .instances()
                    .iter()
                    .filter(|i| i.lifecycle_state() == Some(&LifecycleState::InService))
                    .filter_map(|i| i.instance_id().map(str::to_owned))
                    .collect();
                ids.sort();
                ids
            });
            let registered: Vec<String> =
                self.target_states(tg, None).await?.into_iter().map(|(id, _, _)| id).collect();
            let missing: Vec<&String> = ids.iter().filter(|id| !registered.contains(id)).collect();
            if !missing.is_empty() {
                let mut req = self.ctx.clients.elbv2.register_targets().target_group_arn(tg);
                for id in &missing {
                    req = req.targets(TargetDescription::builder().id(*id).build());
                }
                self.ctx
                    .retry(tg, "elasticloadbalancing:RegisterTargets", &["InvalidTarget"], || req.clone().send())
                    .await?;
            }
            let states = if ids.is_empty() { Vec::new() } else { self.target_states(tg, Some(&ids)).await? };
            let healthy = states.iter().filter(|(_, s, _)| s == "healthy").count();
            let shown: Vec<String> = states
                .iter()
                .map(|(id, s, r)| if r.is_empty() { format!("{id}: {s}") } else { format!("{id}: {s} ({r})") })
                .collect();
            (self.progress)(&RolloutEvent::Health { healthy, wanted, states: shown.clone() });
            if ids.len() >= wanted && healthy == ids.len() && healthy >= wanted {
                return Ok(Ok(()));
            }
            if Instant::now() >= deadline {
                let seen = if shown.is_empty() { "no instance in service".to_owned() } else { shown.join(", ") };
                return Ok(Err(Unhealthy(format!(
                    "{healthy} of {wanted} green targets healthy after {:.1} s ({seen})",
                    self.options.health_timeout.as_secs_f64()
                ))));
            }
            tokio::time::sleep(self.options.timing.poll).await;
        }
    }

    /// Takes `group` out of `tg`: detached (AWS deregisters its instances, draining them) and its
    /// registered instances deregistered.
    async fn detach(&self, group: &Group, tg: &str) -> Result<(), AwsError> {
        let asg = &self.ctx.clients.autoscaling;
        if self.describe(&group.name).await?.is_some_and(|g| g.target_group_arns().iter().any(|t| t == tg)) {
            let req =
                asg.detach_load_balancer_target_groups().auto_scaling_group_name(&group.name).target_group_arns(tg);
            retry_if(&self.ctx, &group.name, "autoscaling:DetachLoadBalancerTargetGroups", busy, || req.clone().send())
                .await?;
        }
        let mine: Vec<String> =
            group.aws.instances().iter().filter_map(|i| i.instance_id().map(str::to_owned)).collect();
        let registered: Vec<String> = self
            .target_states(tg, None)
            .await?
            .into_iter()
            .filter(|(id, s, _)| mine.contains(id) && s != "draining")
            .map(|(id, _, _)| id)
            .collect();
        if !registered.is_empty() {
            let mut req = self.ctx.clients.elbv2.deregister_targets().target_group_arn(tg);
            for id in &registered {
                req = req.targets(TargetDescription::builder().id(id).build());
            }
            self.ctx.retry(tg, "elasticloadbalancing:DeregisterTargets", &[], || req.clone().send()).await?;
        }
        Ok(())
    }

    fn deregistration_delay(observed: &HashMap<LogicalId, Observed>, tg: &LogicalId) -> Duration {
        let seconds = observed
            .get(tg)
            .and_then(|o| o.props.get("TargetGroupAttributes"))
            .and_then(Json::as_array)
            .and_then(|attrs| {
                attrs.iter().find(|a| a["Key"] == "deregistration_delay.timeout_seconds").and_then(
                    |a| match &a["Value"] {
                        Json::String(s) => s.parse().ok(),
                        Json::Number(n) => n.as_u64(),
                        _ => None,
                    },
                )
            })
            .unwrap_or(300);
        Duration::from_secs(seconds)
    }

    /// Waits until none of `group`'s instances is in `tg` any more, or `wait` passes (then the
    /// load balancer has closed their connections anyway).
    async fn wait_drained(&self, group: &Group, tg: &str, wait: Duration) -> Result<(), AwsError> {
        let deadline = Instant::now() + wait;
        let mine: Vec<String> =
            group.aws.instances().iter().filter_map(|i| i.instance_id().map(str::to_owned)).collect();
        loop {
            let left: Vec<String> = self
                .target_states(tg, None)
                .await?
                .into_iter()
                .filter(|(id, _, _)| mine.contains(id))
                .map(|(id, _, _)| id)
                .collect();
            if left.is_empty() || Instant::now() >= deadline {
                return Ok(());
            }
            (self.progress)(&RolloutEvent::Draining { targets: left });
            tokio::time::sleep(self.options.timing.poll).await;
        }
    }

    /// Scales `group` to zero, waits until its instances are gone, and deletes it.
    async fn retire(&self, id: &LogicalId, group: &Group) -> Result<(), AwsError> {
        if self.describe(&group.name).await?.is_some() {
            let req = self
                .ctx
                .clients
                .autoscaling
                .update_auto_scaling_group()
                .auto_scaling_group_name(&group.name)
                .min_size(0)
                .desired_capacity(0);
            retry_if(&self.ctx, &group.name, "autoscaling:UpdateAutoScalingGroup", busy, || req.clone().send()).await?;
            self.wait_empty(&group.name).await?;
        }
        services::delete(&self.ctx, &Observed::new(id.clone(), GROUP, group.name.clone())).await
    }

    async fn wait_empty(&self, name: &str) -> Result<(), AwsError> {
        self.ctx
            .wait_for(name, "scaled to 0", || async move {
                Ok(self.describe(name).await?.is_none_or(|g| g.instances().is_empty()).then_some(()))
            })
            .await
    }

    /// Green is not healthy (or a rollback was under way): green deleted, the launch template's
    /// default data the blue's again, blue left as it was.
    #[allow(clippy::too_many_arguments)] // the switch's state, handed over as it is
    async fn roll_back(
        &mut self,
        role: &Role,
        group_id: &LogicalId,
        blue: Option<&Group>,
        green: Option<&Group>,
        lt_id: &LogicalId,
        tg: &str,
        reason: Option<String>,
    ) -> Result<(), AwsError> {
        // The tags as they are now (the prepare phase wrote the blue's previous launch template).
        let (now_blue, now_green) = self.blue_green(role, group_id).await?;
        let blue = now_blue.as_ref().or(blue);
        let green = now_green.as_ref().or(green);
        let Some(blue) = blue.cloned() else {
            return Err(self.state_error(
                &role.name,
                "rolling back, but the blue group is gone; resume cannot restore it: redeploy the stack",
            ));
        };
        let reason = reason
            .or_else(|| blue.tag(TAG_REASON).map(str::to_owned))
            .unwrap_or_else(|| "green was not healthy".to_owned());
        (self.progress)(&RolloutEvent::RollingBack { reason: reason.clone() });
        let ledgers: Vec<Ledger> = std::iter::once(&blue).chain(green).map(|g| Ledger::Group(g.name.clone())).collect();
        let touches = green.iter().map(|g| format!("green group {}: deleted", g.name)).collect();
        let short: String = reason.chars().take(250).collect();
        let t = self.enter(Phase::RollBack, &ledgers, &[(TAG_REASON, short)], touches).await?;
        if let Some(g) = green {
            self.detach(g, tg).await?;
            self.retire(group_id, g).await?;
        }
        Box::pin(self.restore_launch_template(lt_id, &blue)).await?;
        // Policies are named per group on AWS, but region-wide on moto, where green's took the
        // blue's: put back any the blue lacks (an identical policy is no change on AWS).
        let mut observed = self.observe().await?;
        observed.insert(group_id.clone(), Observed::new(group_id.clone(), GROUP, blue.name.clone()));
        self.put_policies(group_id, &observed, true).await?;
        self.finish(Phase::RollBack, t)?;
        self.enter(Phase::RolledBack, &[Ledger::Group(blue.name.clone())], &[], Vec::new()).await?;
        Err(AwsError::RolledBack { stack: self.stack_name(), role: role.name.clone(), blue: blue.name.clone(), reason })
    }

    /// Makes the blue's launch template version's data the default again (as a new version, so
    /// the latest version is the data that serves and a later `apply` cannot move the group to
    /// the failed image), with the launch template's hash from before the switch.
    async fn restore_launch_template(&self, lt_id: &LogicalId, blue: &Group) -> Result<(), AwsError> {
        let Some((version, hash)) = blue.tag(TAG_PREVIOUS).and_then(|p| p.split_once('/')) else {
            return Ok(());
        };
        let observed = self.observe().await?;
        let Some(lt) = observed.get(lt_id) else { return Ok(()) };
        let ec2c = &self.ctx.clients.ec2;
        let id = lt_id.as_str();
        let req = ec2c.describe_launch_template_versions().launch_template_id(&lt.physical_id).versions(version);
        let out = self.ctx.retry(id, "ec2:DescribeLaunchTemplateVersions", &[], || req.clone().send()).await?;
        let Some(data) = out.launch_template_versions().first().and_then(|v| v.launch_template_data()) else {
            return Ok(());
        };
        let blue_data = ec2::lt_json(data);
        let latest_is_blue = lt.props.get("LaunchTemplateData") == Some(&blue_data)
            && lt.attrs.get("LatestVersionNumber") == lt.attrs.get("DefaultVersionNumber");
        if !latest_is_blue {
            let blue_map = blue_data.as_object().cloned().unwrap_or_default();
            let request = ec2::lt_request(&self.ctx, id, &blue_map)?;
            let out = self
                .ctx
                .retry(id, "ec2:CreateLaunchTemplateVersion", &[], || {
                    ec2c.create_launch_template_version()
                        .launch_template_id(&lt.physical_id)
                        .launch_template_data(request.clone())
                        .send()
                })
                .await?;
            let number = out
                .launch_template_version()
                .and_then(aws_sdk_ec2::types::LaunchTemplateVersion::version_number)
                .unwrap_or(1)
                .to_string();
            self.ctx
                .retry(id, "ec2:ModifyLaunchTemplate", &[], || {
                    ec2c.modify_launch_template().launch_template_id(&lt.physical_id).default_version(&number).send()
                })
                .await?;
        }
        if !hash.is_empty() {
            let req =
                ec2c.create_tags().resources(&lt.physical_id).tags(Tag::builder().key(TAG_HASH).value(hash).build());
            self.ctx.retry(id, "ec2:CreateTags", &[], || req.clone().send()).await?;
        }
        Ok(())
    }

    // ----- stop and start

    async fn live_group(&self, role: &Role) -> Result<(LogicalId, LogicalId, Group), AwsError> {
        let RunsOn::Group { group, launch_template, .. } = &role.runs_on else {
            return Err(self.state_error(&role.name, "stop and start need a group (Role::workers or Role::singleton)"));
        };
        let (blue, green) = self.blue_green(role, group).await?;
        let live = green.or(blue).ok_or_else(|| {
            self.state_error(&role.name, format!("no group carries `{group}`; deploy the stack first"))
        })?;
        Ok((group.clone(), launch_template.clone(), live))
    }

    async fn stop(&mut self, role: &Role, from: Option<Phase>) -> Result<(), AwsError> {
        let (_, _, group) = self.live_group(role).await?;
        let ledger = [Ledger::Group(group.name.clone())];
        if from.unwrap_or(Phase::Stop) <= Phase::Stop {
            let resumed = group.record().is_some_and(|r| r.is_same_rollout(&self.base) && r.step == self.base.step);
            let capacity = match group.tag(TAG_CAPACITY) {
                Some(c) if resumed => c.to_owned(),
                _ => {
                    let (min, max, desired) = group.capacity();
                    format!("{min}/{max}/{desired}")
                }
            };
            let touches = vec![format!("group {}: scaled from {capacity} (min/max/desired) to 0", group.name)];
            let t = self.enter(Phase::Stop, &ledger, &[(TAG_CAPACITY, capacity)], touches).await?;
            let req = self
                .ctx
                .clients
                .autoscaling
                .update_auto_scaling_group()
                .auto_scaling_group_name(&group.name)
                .min_size(0)
                .desired_capacity(0);
            retry_if(&self.ctx, &group.name, "autoscaling:UpdateAutoScalingGroup", busy, || req.clone().send()).await?;
            self.wait_empty(&group.name).await?;
            self.finish(Phase::Stop, t)?;
        }
        self.enter(Phase::Done, &ledger, &[], Vec::new()).await?;
        Ok(())
    }

    async fn start(&mut self, role: &Role, from: Option<Phase>) -> Result<(), AwsError> {
        let (group_id, lt_id, group) = self.live_group(role).await?;
        let ledger = [Ledger::Group(group.name.clone())];
        if from.unwrap_or(Phase::Start) <= Phase::Start {
            let capacity: Vec<i32> = group
                .tag(TAG_CAPACITY)
                .map(|c| c.split('/').filter_map(|x| x.parse().ok()).collect())
                .unwrap_or_default();
            let [min, max, desired] = capacity[..] else {
                return Err(self.state_error(
                    &role.name,
                    format!(
                        "group `{}` has no recorded capacity: start it only after this rollout stopped it",
                        group.name
                    ),
                ));
            };
            let running = group.aws.instances().len();
            if role.kind == iac_core::rollout::RoleKind::Singleton && running > 0 {
                // Running after a stop: someone started it, unless this very phase did before a kill.
                let started_by_us = group.record().is_some_and(|r| {
                    r.is_same_rollout(&self.base) && r.step == self.base.step && r.phase == Phase::Start
                });
                if !started_by_us {
                    return Err(self.state_error(
                        &role.name,
                        format!(
                            "singleton group `{}` still runs {running} instance(s); it must be stopped first so that \
                             two never run at once",
                            group.name
                        ),
                    ));
                }
            }
            let touches =
                vec![format!("group {}: the new version, to {min}/{max}/{desired} (min/max/desired)", group.name)];
            let t = self.enter(Phase::Start, &ledger, &[], touches).await?;
            let mut observed = self.observe().await?;
            if let Some(v) = group.launch_template_version() {
                self.old_ami = self.old_ami.take().or(self.image_of(&observed, &lt_id, &v).await?);
            }
            let lt = self.update_launch_template(&lt_id, &observed).await?;
            observed.insert(lt_id.clone(), lt);
            let current = Observed::new(group_id.clone(), GROUP, group.name.clone());
            observed.insert(group_id.clone(), current.clone());
            let want = self.desired(&group_id, &observed)?;
            let hash = desired::hash(&Json::Object(want.clone()));
            let mut props = want;
            props.insert("MinSize".into(), json!(min.to_string()));
            props.insert("MaxSize".into(), json!(max.to_string()));
            props.insert("DesiredCapacity".into(), json!(desired.to_string()));
            let entry = self.entry(&group_id)?;
            let mut tags = naming::tags(self.ctx.stack, entry);
            tags.push((TAG_HASH.to_owned(), hash));
            services::update(&self.ctx, entry, &current, &props, &tags).await?;
            self.finish(Phase::Start, t)?;
        }
        self.enter(Phase::Done, &ledger, &[], Vec::new()).await?;
        Ok(())
    }

    // ----- hooks

    /// Where a hook of `role` runs and is recorded.
    async fn hook_target(&self, role: &Role) -> Result<(Ledger, String, Tags), AwsError> {
        match &role.runs_on {
            RunsOn::Instance(id) => {
                let (iid, tags) = instance(&self.ctx, id).await?.ok_or_else(|| {
                    self.state_error(&role.name, format!("instance `{id}` does not exist; deploy the stack first"))
                })?;
                Ok((Ledger::Instance(iid.clone()), iid, tags))
            }
            RunsOn::Group { .. } => {
                let (_, _, group) = self.live_group(role).await?;
                let Some(first) = group.in_service().into_iter().next() else {
                    return Err(self.state_error(
                        &role.name,
                        format!("group `{}` has no instance in service to run the command on", group.name),
                    ));
                };
                Ok((Ledger::Group(group.name.clone()), first, group.tags.clone()))
            }
        }
    }

    async fn hook(
        &mut self,
        role: &Role,
        phase: Phase,
        shown: &str,
        script: &str,
        from: Option<Phase>,
    ) -> Result<(), AwsError> {
        let (ledger, instance, tags) = self.hook_target(role).await?;
        let ledgers = [ledger];
        if from.unwrap_or(phase) <= phase {
            let touches = vec![format!("instance {instance}: {shown}")];
            let t = self.enter(phase, &ledgers, &[], touches).await?;
            // A command sent before a stop is followed, not sent twice.
            let sent = Record::read(&tags).and_then(|record| {
                let (step, id) = tags.iter().find(|(k, _)| k == TAG_COMMAND)?.1.split_once('/')?;
                (record.is_same_rollout(&self.base) && step == self.base.step.to_string()).then(|| id.to_owned())
            });
            let command_id = if let Some(id) = sent {
                id
            } else {
                let id = self.send(role, &instance, script).await?;
                self.write_tags(&ledgers[0], &vec![(TAG_COMMAND.to_owned(), format!("{}/{id}", self.base.step))])
                    .await?;
                id
            };
            if let Err(e) = self.follow(role, &instance, &command_id, shown).await {
                // Failed: a resume sends it again instead of following this one.
                self.write_tags(&ledgers[0], &vec![(TAG_COMMAND.to_owned(), "-".to_owned())]).await?;
                return Err(e);
            }
            self.finish(phase, t)?;
        }
        self.enter(Phase::Done, &ledgers, &[], Vec::new()).await?;
        Ok(())
    }

    async fn send(&self, role: &Role, instance: &str, script: &str) -> Result<String, AwsError> {
        let comment: String = format!(
            "iac rollout {} of {} {}: step {} ({})",
            self.base.rollout,
            self.ctx.stack.name(),
            self.ctx.stack.env(),
            self.base.step + 1,
            role.name
        )
        .chars()
        .take(100)
        .collect();
        let req = self
            .ctx
            .clients
            .ssm
            .send_command()
            .document_name("AWS-RunShellScript")
            .instance_ids(instance)
            .parameters("commands", vec![script.to_owned()])
            .comment(comment)
            .timeout_seconds(
                i32::try_from(self.options.command_timeout.as_secs().clamp(30, 2_592_000)).unwrap_or(3600),
            );
        let out = self.ctx.retry(&role.name, "ssm:SendCommand", &["InvalidInstanceId"], || req.clone().send()).await?;
        out.command()
            .and_then(|c| c.command_id())
            .map(str::to_owned)
            .ok_or_else(|| self.ctx.fail(&role.name, "ssm:SendCommand", "the answer has no command id"))
    }

    /// Polls the command until it ends; anything but `Success` stops the rollout.
    async fn follow(&self, role: &Role, instance: &str, command_id: &str, shown: &str) -> Result<(), AwsError> {
        let deadline = Instant::now() + self.options.command_timeout;
        let mut last = String::new();
        loop {
            let req = self.ctx.clients.ssm.get_command_invocation().command_id(command_id).instance_id(instance);
            let out = self
                .ctx
                .retry(&role.name, "ssm:GetCommandInvocation", &["InvocationDoesNotExist"], || req.clone().send())
                .await?;
            let status = out.status().cloned().unwrap_or(CommandInvocationStatus::Pending);
            if status.as_str() != last {
                last = status.as_str().to_owned();
                (self.progress)(&RolloutEvent::Command {
                    instance: instance.to_owned(),
                    command_id: command_id.to_owned(),
                    status: last.clone(),
                });
            }
            let ended = !matches!(
                status,
                CommandInvocationStatus::Pending
                    | CommandInvocationStatus::InProgress
                    | CommandInvocationStatus::Delayed
            );
            if ended || Instant::now() >= deadline {
                if status == CommandInvocationStatus::Success {
                    return Ok(());
                }
                let status_text = if ended {
                    status.as_str().to_owned()
                } else {
                    format!("still {} after the command timeout", status.as_str())
                };
                let output = [out.standard_error_content(), out.standard_output_content()]
                    .into_iter()
                    .flatten()
                    .map(str::trim)
                    .find(|s| !s.is_empty())
                    .map(|s| {
                        let tail: Vec<char> = s.chars().rev().take(500).collect();
                        format!(": {}", tail.into_iter().rev().collect::<String>())
                    })
                    .unwrap_or_default();
                let switched: Vec<String> = self.steps[..self.base.step]
                    .iter()
                    .filter(|(_, s)| matches!(s, Step::Switch(_)))
                    .map(|(_, s)| s.role().to_owned())
                    .collect();
                let serving = if switched.is_empty() {
                    "no role was switched yet: the old version serves".to_owned()
                } else {
                    format!("the new version serves (the switch of {} finished)", switched.join(", "))
                };
                return Err(AwsError::HookFailed {
                    stack: self.stack_name(),
                    role: role.name.clone(),
                    step: format!("{}/{} ({})", self.base.step + 1, self.base.steps, self.steps[self.base.step].1),
                    command: shown.to_owned(),
                    instance: instance.to_owned(),
                    status: status_text,
                    exit_code: out.response_code(),
                    output,
                    serving,
                });
            }
            tokio::time::sleep(self.options.timing.poll).await;
        }
    }

    // ----- dry run

    #[allow(clippy::too_many_lines)] // one arm per kind of step
    async fn dry_run(&mut self, first: usize) -> Result<(), AwsError> {
        let observed = self.observe().await?;
        for k in first..self.steps.len() {
            let step = self.steps[k].1.clone();
            let role = self.role(&step)?;
            let mut phases: Vec<(Phase, Vec<String>)> = Vec::new();
            let (mut from, mut to) = (None, None);
            match (&step, &role.runs_on) {
                (Step::Switch(_), RunsOn::Group { group, launch_template, target_group }) => {
                    let (blue, _) = self.blue_green(&role, group).await?;
                    let Some(blue) = blue else {
                        return Err(
                            self.state_error(&role.name, "no live group to switch from; deploy the stack first")
                        );
                    };
                    let green = green_name(&self.base_name(group), &self.base.rollout);
                    let lt = observed.get(launch_template).map(|o| o.physical_id.clone()).unwrap_or_default();
                    let tg = target_group
                        .as_ref()
                        .and_then(|t| observed.get(t))
                        .map(|o| o.physical_id.clone())
                        .unwrap_or_default();
                    let (min, max, desired) = blue.capacity();
                    let blue_ids = blue.in_service().join(", ");
                    if let Some(v) = blue.launch_template_version() {
                        self.old_ami = self.old_ami.take().or(self.image_of(&observed, launch_template, &v).await?);
                    }
                    phases = vec![
                        (Phase::Prepare, vec![format!("blue group {} ({blue_ids})", blue.name)]),
                        (
                            Phase::LaunchTemplate,
                            vec![format!(
                                "launch template {lt}: a version with {} (blue uses version {})",
                                self.base.ami,
                                blue.launch_template_version().unwrap_or_default()
                            )],
                        ),
                        (
                            Phase::CreateGreen,
                            vec![
                                format!("green group {green}: {desired} instances (min {min}, max {max})"),
                                format!("target group {tg}"),
                            ],
                        ),
                        (
                            Phase::WaitHealthy,
                            vec![format!(
                                "target group {tg}: green targets healthy within {:.1} s",
                                self.options.health_timeout.as_secs_f64()
                            )],
                        ),
                        (Phase::Cutover, vec![format!("target group {tg}: blue instances {blue_ids} deregistered")]),
                        (Phase::Drain, vec![format!("target group {tg}")]),
                        (Phase::RetireBlue, vec![format!("blue group {}: scaled to 0 and deleted", blue.name)]),
                    ];
                    from = Some(blue.name.clone());
                    to = Some(green);
                }
                (Step::Stop(_), _) => {
                    let (_, _, g) = self.live_group(&role).await?;
                    let (min, max, desired) = g.capacity();
                    phases = vec![(Phase::Stop, vec![format!("group {}: from {min}/{max}/{desired} to 0", g.name)])];
                }
                (Step::Start(_), RunsOn::Group { launch_template, .. }) => {
                    let (_, _, g) = self.live_group(&role).await?;
                    let lt = observed.get(launch_template).map(|o| o.physical_id.clone()).unwrap_or_default();
                    phases = vec![(
                        Phase::Start,
                        vec![
                            format!("launch template {lt}: a version with {}", self.base.ami),
                            format!("group {}: the new version at its recorded capacity", g.name),
                        ],
                    )];
                }
                (Step::RunOnce { command, .. }, _) => {
                    let (_, instance, _) = self.hook_target(&role).await?;
                    let image = role.image(self.ctx.stack).unwrap_or_default();
                    let words: Vec<String> = command
                        .iter()
                        .map(|a| match a {
                            Arg::Lit(s) => s.clone(),
                            Arg::Image => image.clone(),
                        })
                        .collect();
                    phases = vec![(Phase::RunOnce, vec![format!("instance {instance}: {}", words.join(" "))])];
                }
                (Step::UpdateHost(_), _) => {
                    let (_, instance, _) = self.hook_target(&role).await?;
                    let images: Vec<String> = role
                        .host_config(self.ctx.stack)
                        .map(|h| h.containers.iter().map(|c| format!("{} {}", c.name, c.image)).collect())
                        .unwrap_or_default();
                    phases = vec![(Phase::UpdateHost, vec![format!("instance {instance}: {}", images.join(", "))])];
                }
                _ => {}
            }
            self.reports.push(StepReport {
                number: k + 1,
                step: step.to_string(),
                role: role.name.clone(),
                from,
                to,
                phases: phases
                    .into_iter()
                    .map(|(phase, touches)| PhaseReport { phase, seconds: 0.0, touches })
                    .collect(),
            });
        }
        Ok(())
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
