//! The `rollout` command: a release of a stack's roles, in the order the stack declares
//! ([`iac_core::rollout::RolloutPlan`]): optionally bake the AMI first ([`iac_aws::bake`]), then
//! switch web roles blue/green, stop and start workers and singletons, run one-off commands and
//! host updates through SSM, and deploy ECS service roles on a new task definition revision
//! ([`iac_aws::rollout`]). A rollout of ECS services only needs no AMI.
//!
//! `--version V` is the release: the stack is built from its config with every image of the
//! roles' repository set to tag `V` (so the bake pulls, and the hosts run, that version); the
//! config file itself is not changed. Every phase is recorded in tags on the groups (or the ECS service) before it
//! starts, so after a crash `rollout --resume` finishes or rolls back from where it stopped.
//!
//! Exit codes: 0 done (or, with `--dry-run`, nothing changed), 1 any error, rollback included.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use iac_aws::Clients;
use iac_aws::bake::{BakeEvent, BakeRequest};
use iac_aws::rollout::{RolloutEvent, RolloutOptions};
use iac_aws::services::Timing;
use iac_core::stack::Stack;

use crate::config::ValueChange;
use crate::error::StackError;
use crate::{ConfigSource, Registry};

/// Roll a new AMI out blue/green.
#[derive(Debug, Clone, Parser)]
// No `version` here: `--version` is the release rolled out, not the program's version.
#[command(
    name = "rollout",
    about = "Roll a new version of a stack's roles out: ASG roles blue/green (optionally baking their AMI first), ECS services on a new task definition revision",
    after_help = "Examples:\n  rollout aquamark --env prod --version 1.0.2 --bake --dry-run     # the steps and what they touch\n  rollout aquamark --env prod --version 1.0.2 --bake --keep-images 3\n  rollout aquamark --env prod --version 1.0.2 --ami ami-0123456789abcdef0 --health-timeout 15m\n  rollout aquamark --env prod --resume                               # after a crash or a failed hook\n  rollout concerto --env prod --version v5.0.30 --keep-revisions 5   # ECS: a new task definition revision\n  AWS_ENDPOINT_URL=http://127.0.0.1:5000 rollout aquamark --env dev --version 1.0.2 --ami ami-...\n\nThe order comes from the stack (Aquamark: switch web, migrate on the daemons host, update the\ndaemons). A web role gets a green group on the same target group at the blue's capacity; only when\nevery green target is healthy are the blue's targets drained and the blue deleted. If green is not\nhealthy in time it is deleted and blue serves as before (exit 1). Each phase is recorded in tags on\nthe groups before it starts: --resume finishes or rolls back, never leaving two live groups or none."
)]
pub struct RolloutArgs {
    /// The stack.
    pub stack: String,
    /// The environment.
    #[arg(long, short)]
    pub env: String,
    /// The version released: the tag of the roles' container image (e.g. `1.0.2`). Required
    /// unless resuming.
    #[arg(long, required_unless_present = "resume")]
    pub version: Option<String>,
    /// The AMI to roll out (`ami-...`).
    #[arg(long, conflicts_with = "bake", value_name = "ID")]
    pub ami: Option<String>,
    /// Bake the AMI first (`<bake>-v<version>-<build>`, reused if it exists); give the bake's
    /// name when the stack has several.
    #[arg(long, num_args = 0..=1, default_missing_value = "", value_name = "BAKE")]
    pub bake: Option<String>,
    /// The build number of the baked image.
    #[arg(long, default_value_t = 1)]
    pub build: u32,
    /// The builder's subnet (it needs the internet); default: the default VPC.
    #[arg(long, value_name = "SUBNET_ID")]
    pub builder_subnet: Option<String>,
    /// After a bake, keep this many newest images of the bake and remove the rest (and their
    /// snapshots).
    #[arg(long, value_name = "N")]
    pub keep_images: Option<usize>,
    /// Only the steps of this role (repeatable), e.g. `--tier web`.
    #[arg(long = "tier", value_name = "ROLE")]
    pub tiers: Vec<String>,
    /// Go on with the unfinished rollout recorded in the groups' tags.
    #[arg(long)]
    pub resume: bool,
    /// Print the steps and the resources they would touch; change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// How long every green target has to become healthy, e.g. `10m`, `90s`.
    #[arg(long, default_value = "10m", value_parser = humantime::parse_duration)]
    pub health_timeout: Duration,
    /// The longest wait for the blue's targets to drain (default: the target group's
    /// deregistration delay).
    #[arg(long, value_parser = humantime::parse_duration)]
    pub drain_timeout: Option<Duration>,
    /// How long a one-off command (migration) or host update may run.
    #[arg(long, default_value = "30m", value_parser = humantime::parse_duration)]
    pub command_timeout: Duration,
    /// ECS service roles: how many active task definition revisions to keep (the running one
    /// included); older ones are deregistered after a deploy.
    #[arg(long, default_value_t = 5, value_name = "N")]
    pub keep_revisions: usize,
    /// Between two looks at the groups, the targets' health, the commands and the bake (shorter
    /// against a local endpoint, e.g. `100ms`).
    #[arg(long, default_value = "5s", value_parser = humantime::parse_duration)]
    pub poll: Duration,
    /// A config file instead of the built-in one.
    #[arg(long, value_name = "FILE")]
    pub config: Option<std::path::PathBuf>,
    /// A value of one of the stack's other parameters, e.g. `CertificateArn=arn:...` (repeatable).
    #[arg(long = "param", value_name = "NAME=VALUE")]
    pub params: Vec<String>,
    /// Print the summary as JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

/// The stack for the release: built from its config with the roles' images at `version`.
pub fn release_stack(
    registry: &Registry,
    name: &str,
    env: &str,
    config: Option<&ConfigSource>,
    version: Option<&str>,
) -> Result<(Stack, Vec<ValueChange>), StackError> {
    let stack = registry.build(name, env, config)?;
    let Some(version) = version else { return Ok((stack, Vec::new())) };
    let plan = stack.rollout().ok_or_else(|| {
        StackError::Usage(format!("stack `{name}` declares no rollout plan (roles and steps), so it cannot roll out"))
    })?;
    let repositories: BTreeSet<String> =
        plan.roles.iter().flat_map(|r| r.containers(&stack)).map(|c| c.image.repository.clone()).collect();
    if repositories.is_empty() {
        return Err(StackError::Usage(format!(
            "stack `{name}`: its rollout roles run no containers, so --version has no image to set"
        )));
    }
    let mut source = registry.source(name, env, config)?.clone();
    let mut changes = Vec::new();
    for repository in &repositories {
        let (next, found) = source.with_image_version(repository, version)?;
        source = next;
        changes.extend(found);
    }
    if changes.is_empty() {
        return Ok((stack, changes));
    }
    Ok((registry.build(name, env, Some(&source))?, changes))
}

/// Runs the command; the `Ok` value is the exit code.
pub async fn run(
    registry: &Registry,
    args: &RolloutArgs,
    out: &mut dyn Write,
    err: &mut (dyn Write + Send),
) -> Result<u8, StackError> {
    let io = |e| StackError::Io { action: "cannot write to the terminal", path: "-".into(), source: e };
    let config = args.config.as_deref().map(ConfigSource::read).transpose()?;
    let (stack, changes) = release_stack(registry, &args.stack, &args.env, config.as_ref(), args.version.as_deref())?;
    for (key, old, new) in &changes {
        writeln!(err, "release: {key} = {old} -> {new}").map_err(io)?;
    }
    let mut params = BTreeMap::new();
    for p in &args.params {
        let (k, v) = p.split_once('=').ok_or_else(|| StackError::Usage(format!("--param `{p}` is not NAME=VALUE")))?;
        params.insert(k.to_owned(), v.to_owned());
    }
    let clients = Clients::from_env().await;
    let progress_out = std::sync::Mutex::new(std::io::stderr());
    let say = |line: &dyn std::fmt::Display| {
        let mut w = progress_out.lock().expect("not poisoned");
        let _ = writeln!(w, "{line}");
    };

    check_tiers(&stack, &args.tiers)?;
    let mut ami = args.ami.clone();
    if let Some(bake_name) = &args.bake {
        let bake = pick_bake(&stack, bake_name)?;
        let version = args.version.clone().ok_or_else(|| StackError::Usage("--bake needs --version".into()))?;
        if args.dry_run {
            writeln!(
                err,
                "would bake {} (reused if it exists), then roll it out",
                iac_aws::bake::image_name(&bake, &version, args.build)
            )
            .map_err(io)?;
        } else {
            let mut request = BakeRequest::new(bake.clone(), version, args.build);
            request.subnet_id.clone_from(&args.builder_subnet);
            request.keep_images = args.keep_images;
            request.timing.poll = args.poll;
            let outcome = iac_aws::bake::bake(&clients, &stack, &request, &|e: &BakeEvent| say(&bake_line(e))).await?;
            let phases: Vec<String> =
                outcome.phases.iter().map(|p| format!("{} {:.1} s", p.phase, p.seconds)).collect();
            say(&format!(
                "bake: {} {} ({}; {})",
                outcome.image_id,
                if outcome.reused { "reused" } else { "baked" },
                outcome.name,
                phases.join(", ")
            ));
            ami = Some(outcome.image_id);
        }
    }
    let needs_ami = stack.rollout().is_some_and(|p| p.needs_ami(&args.tiers));
    if ami.is_none() && needs_ami && !args.resume && !args.dry_run {
        return Err(StackError::Usage(
            "give the AMI to roll out with --ami ami-..., or --bake to bake it first (or --resume)".into(),
        ));
    }
    // The rest (the test fault hook, with iac-aws's `testing` feature) keeps its default.
    #[allow(clippy::needless_update)]
    let options = RolloutOptions {
        version: args.version.clone(),
        ami: ami.or_else(|| (needs_ami && args.dry_run && !args.resume).then(|| "<baked image>".to_owned())),
        params,
        roles: args.tiers.clone(),
        resume: args.resume,
        dry_run: args.dry_run,
        health_timeout: args.health_timeout,
        drain_timeout: args.drain_timeout,
        command_timeout: args.command_timeout,
        timing: Timing { poll: args.poll, ..Timing::default() },
        keep_revisions: args.keep_revisions,
        ..RolloutOptions::default()
    };
    let summary = iac_aws::rollout(&clients, &stack, &options, &|e: &RolloutEvent| say(e)).await?;
    if args.json {
        writeln!(out, "{}", serde_json::to_string_pretty(&summary).expect("summary serialises")).map_err(io)?;
    } else {
        writeln!(out, "{summary}").map_err(io)?;
    }
    Ok(0)
}

/// Every `--tier` is one of the stack's rollout roles: checked before a bake, so a typo does not
/// cost one.
fn check_tiers(stack: &Stack, tiers: &[String]) -> Result<(), StackError> {
    let Some(plan) = stack.rollout() else { return Ok(()) };
    let roles: Vec<&str> = plan.roles.iter().map(|r| r.name.as_str()).collect();
    match tiers.iter().find(|t| !roles.contains(&t.as_str())) {
        None => Ok(()),
        Some(t) => Err(StackError::Usage(format!(
            "stack `{}` has no rollout role `{t}` (--tier); its roles: {}",
            stack.name(),
            roles.join(", ")
        ))),
    }
}

/// The bake `--bake` names, or the stack's only one.
fn pick_bake(stack: &Stack, name: &str) -> Result<String, StackError> {
    let names: Vec<&str> = stack.bakes().iter().map(|b| b.name.as_str()).collect();
    match (name, names.as_slice()) {
        ("", [one]) => Ok((*one).to_owned()),
        ("", []) => Err(StackError::Usage(format!(
            "stack `{}` declares no bake; give the AMI with --ami or add a bake (StackBuilder::bake)",
            stack.name()
        ))),
        ("", _) => Err(StackError::Usage(format!(
            "stack `{}` has several bakes ({}); name one: --bake NAME",
            stack.name(),
            names.join(", ")
        ))),
        (n, _) if names.contains(&n) => Ok(n.to_owned()),
        (n, _) => Err(StackError::Usage(format!(
            "stack `{}` has no bake `{n}`; its bakes: {}",
            stack.name(),
            if names.is_empty() { "none".to_owned() } else { names.join(", ") }
        ))),
    }
}

fn bake_line(e: &BakeEvent) -> String {
    format!("bake: {}", serde_json::to_value(e).map_or_else(|_| format!("{e:?}"), |v| compact(&v)))
}

/// `{"Waiting":{"instance_id":"i-1","seconds":30}}` as `Waiting instance_id=i-1 seconds=30`.
fn compact(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Object(m) => m
            .iter()
            .map(|(k, v)| match v {
                serde_json::Value::Object(fields) => {
                    let fields: Vec<String> = fields
                        .iter()
                        .map(|(f, v)| format!("{f}={}", v.as_str().map_or_else(|| v.to_string(), str::to_owned)))
                        .collect();
                    format!("{k} {}", fields.join(" "))
                }
                other => format!("{k} {other}"),
            })
            .collect::<Vec<_>>()
            .join(" "),
        other => other.as_str().map_or_else(|| other.to_string(), str::to_owned),
    }
}

/// The whole command for a binary.
pub fn main(registry: &Registry, args: &RolloutArgs) -> ExitCode {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a tokio runtime");
    let mut out = std::io::stdout();
    let mut err = std::io::stderr();
    match runtime.block_on(run(registry, args, &mut out, &mut err)) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            let _ = writeln!(err, "error: {}", crate::synth::error_chain(&e));
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::{CommandFactory, Parser};

    use super::RolloutArgs;

    #[test]
    fn the_arguments_are_consistent() {
        // clap checks its definition only when parsing: a clash (such as the release's
        // `--version` against clap's own) would make every run of the binary panic.
        RolloutArgs::command().debug_assert();
        let args =
            RolloutArgs::try_parse_from(["rollout", "aquamark", "-e", "dev", "--version", "1.0.2", "--poll", "100ms"])
                .expect("parses");
        assert_eq!((args.version.as_deref(), args.poll), (Some("1.0.2"), std::time::Duration::from_millis(100)));
    }
}
