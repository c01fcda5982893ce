//! The `deploy` command: plan, apply, destroy and drift of a registered stack straight through
//! the AWS SDKs (no CloudFormation, no state file), or with `--engine cloudformation` through
//! CloudFormation change sets ([`iac_aws::cloudformation`]). Clients come from the environment,
//! so `AWS_PROFILE`, `AWS_REGION` and `AWS_ENDPOINT_URL` (a local moto server) work as usual;
//! `--region a,b` runs the CloudFormation engine in each region in turn.
//!
//! Exit codes: 0 success (for `plan` and `drift`: nothing to do), 2 changes pending or drift
//! found, 1 any error.

use std::collections::BTreeMap;
use std::io::{BufRead, Write};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use iac_aws::engine::Event;
use iac_aws::{Clients, Engine, Options};

use crate::error::StackError;
use crate::{ConfigSource, Registry};

/// Examples and the guarantees, after the options of `deploy -h`.
const AFTER_HELP: &str = "Examples:\n  deploy plan aquamark --env prod                          # what would change (exit 2 if anything)\n  deploy plan aquamark --env prod --json                   # the same for tools\n  deploy apply aquamark --env prod --param WebImageId=ami-0abc --param CertificateArn=arn:aws:acm:...\n  deploy destroy aquamark --env dev --yes --allow-data-loss   # the database is snapshotted first\n  AWS_ENDPOINT_URL=http://127.0.0.1:5000 deploy apply aquamark --env dev --yes   # against moto\n  deploy --engine cloudformation plan aquamark --env prod  # a change set, shown the same way\n  deploy --engine cloudformation apply aquamark --env prod --region us-east-1,eu-west-1 --yes\n\nState lives in AWS as iac:stack / iac:env / iac:id / iac:hash tags. A database is never replaced or\ndeleted without --allow-data-loss, and then only after a final snapshot. Exit codes: 0 success\n(plan/drift: nothing to do), 2 changes pending or drift found, 1 error.";

/// `deploy --help`: the examples, then every resource kind the engine deploys.
fn long_help() -> String {
    format!("{AFTER_HELP}\n\n{}", iac_aws::supported_kinds_help())
}

/// Deploy a stack straight through the AWS SDKs.
#[derive(Debug, Clone, Parser)]
#[command(
    name = "deploy",
    version,
    about = "Plan, apply, destroy and check drift of a stack straight through the AWS SDKs",
    after_help = AFTER_HELP,
    after_long_help = long_help()
)]
pub struct DeployArgs {
    /// The engine: `sdk` (straight through the AWS SDKs) or `cloudformation` (change sets).
    #[arg(long, global = true, value_enum, default_value_t = EngineKind::Sdk)]
    pub engine: EngineKind,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Which engine deploys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum EngineKind {
    /// Straight through the AWS SDKs; state in `iac:*` tags.
    Sdk,
    /// Through CloudFormation change sets, in a stack `<stack>-<env>`.
    Cloudformation,
}

/// The subcommands.
#[derive(Debug, Clone, Subcommand)]
pub enum Command {
    /// Show what apply would do.
    #[command(after_long_help = iac_aws::supported_kinds_help())]
    Plan(Common),
    /// Create and update resources to match the stack.
    Apply(Common),
    /// Delete every resource of the stack.
    Destroy(Common),
    /// Show properties changed outside the tool.
    Drift(Common),
}

/// Options shared by every subcommand.
#[derive(Debug, Clone, clap::Args)]
#[expect(clippy::struct_excessive_bools, reason = "each is a command-line flag")]
pub struct Common {
    /// The stack.
    pub stack: String,
    /// The environment.
    #[arg(long, short)]
    pub env: String,
    /// A config file instead of the built-in one.
    #[arg(long, value_name = "FILE")]
    pub config: Option<std::path::PathBuf>,
    /// A parameter value, e.g. `WebImageId=ami-0123456789abcdef0` (repeatable).
    #[arg(long = "param", value_name = "NAME=VALUE")]
    pub params: Vec<String>,
    /// Do not ask before changing anything.
    #[arg(long, short)]
    pub yes: bool,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
    /// Allow replacing or deleting what holds data: databases, caches and volumes keep a final
    /// snapshot; buckets and file systems are kept, detached from the stack.
    #[arg(long)]
    pub allow_data_loss: bool,
    /// Resources worked on at once (SDK engine).
    #[arg(long, default_value_t = 8)]
    pub concurrency: usize,
    /// How many copies of the environment (the `scale` stack), as for `synth`.
    #[arg(long, value_name = "N")]
    pub copies: Option<u32>,
    /// Regions to deploy to in turn, e.g. `us-east-1,eu-west-1` (CloudFormation engine; default:
    /// the environment's region). Each region's status is printed; the worst exit code wins.
    #[arg(long = "region", value_name = "REGION", value_delimiter = ',')]
    pub regions: Vec<String>,
    /// Treat the environment as production (termination protection; CloudFormation engine).
    /// `prod` and `production` always are.
    #[arg(long)]
    pub production: bool,
    /// Between two looks at a change set or stack (CloudFormation engine).
    #[arg(long, default_value = "5s", value_parser = humantime::parse_duration, value_name = "DURATION")]
    pub poll: std::time::Duration,
}

/// Runs the command; the `Ok` value is the exit code.
pub async fn run(
    registry: &Registry,
    args: &DeployArgs,
    out: &mut dyn Write,
    err: &mut (dyn Write + Send),
) -> Result<u8, StackError> {
    let io = |e| StackError::Io { action: "cannot write to the terminal", path: "-".into(), source: e };
    let (Command::Plan(c) | Command::Apply(c) | Command::Destroy(c) | Command::Drift(c)) = &args.command;
    let config = c.config.as_deref().map(ConfigSource::read).transpose()?;
    let stack = registry.build_with(&c.stack, &c.env, config.as_ref(), &crate::BuildOptions { copies: c.copies })?;
    let mut params = BTreeMap::new();
    for p in &c.params {
        let (k, v) = p.split_once('=').ok_or_else(|| StackError::Usage(format!("--param `{p}` is not NAME=VALUE")))?;
        params.insert(k.to_owned(), v.to_owned());
    }
    if args.engine == EngineKind::Cloudformation {
        return crate::deploy_cfn::run(&args.command, c, stack, params, out, err).await;
    }
    let options =
        Options { concurrency: c.concurrency, allow_data_loss: c.allow_data_loss, params, ..Options::default() };
    let engine = Engine::new(Clients::from_env().await, stack, options)?;
    let progress_out = std::sync::Mutex::new(std::io::stderr());
    let progress = |e: &Event| {
        let mut w = progress_out.lock().expect("not poisoned");
        let _ = match e {
            Event::Started { id, action } => writeln!(w, "  {action:>8} {id} ..."),
            Event::Finished { id, action, seconds } => writeln!(w, "  {action:>8} {id} done in {seconds:.1} s"),
        };
    };
    match &args.command {
        Command::Plan(_) => {
            let plan = engine.plan().await?;
            if c.json {
                writeln!(out, "{}", serde_json::to_string_pretty(&plan).expect("plan serialises")).map_err(io)?;
            } else {
                writeln!(out, "{plan}").map_err(io)?;
            }
            Ok(if plan.is_empty() { 0 } else { 2 })
        }
        Command::Apply(_) => {
            let plan = engine.plan().await?;
            writeln!(err, "{plan}").map_err(io)?;
            if plan.is_empty() {
                return Ok(0);
            }
            if !c.yes && !confirm(err, "apply these changes?")? {
                return Ok(1);
            }
            let report = engine.apply(&plan, &progress).await?;
            writeln!(
                err,
                "applied {} changes in {:.1} s with {} AWS calls",
                report.changed, report.seconds, report.calls
            )
            .map_err(io)?;
            for note in &report.kept {
                writeln!(err, "kept {note}").map_err(io)?;
            }
            if c.json {
                writeln!(out, "{}", serde_json::to_string_pretty(&report).expect("report serialises")).map_err(io)?;
            }
            Ok(0)
        }
        Command::Destroy(_) => {
            if !c.yes && !confirm(err, &format!("delete every resource of {} ({})?", c.stack, c.env))? {
                return Ok(1);
            }
            let report = engine.destroy(&progress).await?;
            writeln!(err, "deleted {} resources in {:.1} s", report.changed, report.seconds).map_err(io)?;
            for note in &report.kept {
                writeln!(err, "kept {note}").map_err(io)?;
            }
            Ok(0)
        }
        Command::Drift(_) => {
            let drift = engine.drift().await?;
            print_drift(out, &drift, c.json)?;
            Ok(if drift.is_empty() { 0 } else { 2 })
        }
    }
}

/// Prints drift in the format both engines share: `no drift`, or one line per resource.
pub(crate) fn print_drift(out: &mut dyn Write, drift: &[iac_aws::engine::Drift], json: bool) -> Result<(), StackError> {
    let io = |e| StackError::Io { action: "cannot write to the terminal", path: "-".into(), source: e };
    if json {
        writeln!(out, "{}", serde_json::to_string_pretty(&drift).expect("drift serialises")).map_err(io)?;
    } else if drift.is_empty() {
        writeln!(out, "no drift").map_err(io)?;
    } else {
        for d in drift {
            if d.missing {
                writeln!(out, "  {}: missing", d.id).map_err(io)?;
            } else {
                writeln!(out, "  {}: {}", d.id, d.properties.join(", ")).map_err(io)?;
            }
        }
    }
    Ok(())
}

pub(crate) fn confirm(err: &mut (dyn Write + Send), question: &str) -> Result<bool, StackError> {
    let io = |e| StackError::Io { action: "cannot ask for confirmation on", path: "stdin".into(), source: e };
    write!(err, "{question} [y/N] ").map_err(io)?;
    err.flush().map_err(io)?;
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).map_err(io)?;
    Ok(matches!(line.trim(), "y" | "Y" | "yes"))
}

/// The whole command for a binary.
pub fn main(registry: &Registry, args: &DeployArgs) -> ExitCode {
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
