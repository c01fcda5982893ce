//! `deploy --engine cloudformation`: the same subcommands, flags, exit codes, `--json` and
//! progress as the SDK engine, carried out by CloudFormation ([`iac_aws::cloudformation`]).
//!
//! With `--region a,b,...` the operation runs in each region in turn, one CloudFormation stack
//! per region, and ends with one status line per region. `apply` and `destroy` stop at the first
//! region that fails (the regions after it are named as not attempted), so a bad change reaches
//! one region, not all; `plan` and `drift` look at every region.

use std::collections::BTreeMap;
use std::io::Write;
use std::time::Instant;

use iac_aws::Clients;
use iac_aws::cloudformation::{CfnEngine, CfnEvent, CfnOptions, is_production_env};
use iac_core::Stack;

use crate::deploy::{Command, Common};
use crate::error::StackError;

/// Runs `command` through CloudFormation in each region of `c.regions` (or the environment's);
/// the `Ok` value is the exit code.
pub async fn run(
    command: &Command,
    c: &Common,
    stack: Stack,
    params: BTreeMap<String, String>,
    out: &mut dyn Write,
    err: &mut (dyn Write + Send),
) -> Result<u8, StackError> {
    let io = |e| StackError::Io { action: "cannot write to the terminal", path: "-".into(), source: e };
    let options = CfnOptions {
        allow_data_loss: c.allow_data_loss,
        params,
        production: c.production || is_production_env(stack.env()),
        poll: c.poll,
        ..CfnOptions::default()
    };
    if c.regions.len() <= 1 {
        let clients = match c.regions.first() {
            Some(r) => Clients::from_env_in(r).await,
            None => Clients::from_env().await,
        };
        let engine = CfnEngine::new(clients, stack, options)?;
        return one(&engine, command, c, out, err).await;
    }
    let mut statuses: Vec<String> = Vec::new();
    let mut code = 0;
    let stops = matches!(command, Command::Apply(_) | Command::Destroy(_));
    for (i, region) in c.regions.iter().enumerate() {
        writeln!(err, "== {region} ==").map_err(io)?;
        let engine = CfnEngine::new(Clients::from_env_in(region).await, stack.clone(), options.clone())?;
        match one(&engine, command, c, out, err).await {
            Ok(k) => {
                let what = match (command, k) {
                    (Command::Plan(_) | Command::Drift(_), 0) => "nothing to do",
                    (Command::Plan(_), _) => "changes pending",
                    (Command::Drift(_), _) => "drift found",
                    (Command::Apply(_), 0) => "applied",
                    (Command::Destroy(_), 0) => "destroyed",
                    _ => "not confirmed",
                };
                statuses.push(format!("{region}: {what}"));
                code = code.max(k);
                if stops && k != 0 {
                    statuses.extend(c.regions[i + 1..].iter().map(|r| format!("{r}: not attempted")));
                    break;
                }
            }
            Err(e) => {
                statuses.push(format!("{region}: failed: {}", crate::synth::error_chain(&e)));
                code = 1;
                if stops {
                    statuses.extend(
                        c.regions[i + 1..].iter().map(|r| format!("{r}: not attempted (an earlier region failed)")),
                    );
                    break;
                }
            }
        }
    }
    writeln!(err, "{} ({}) by region:", engine_name(&stack), stack.env()).map_err(io)?;
    for s in &statuses {
        writeln!(err, "  {s}").map_err(io)?;
    }
    Ok(code)
}

fn engine_name(stack: &Stack) -> String {
    format!("{}-{}", stack.name(), stack.env())
}

/// One region.
async fn one(
    engine: &CfnEngine,
    command: &Command,
    c: &Common,
    out: &mut dyn Write,
    err: &mut (dyn Write + Send),
) -> Result<u8, StackError> {
    let io = |e| StackError::Io { action: "cannot write to the terminal", path: "-".into(), source: e };
    let started = Instant::now();
    let progress_out = std::sync::Mutex::new(std::io::stderr());
    let progress = |e: &CfnEvent| {
        let Ok(mut w) = progress_out.lock() else { return };
        let _ = match e {
            CfnEvent::Step(s) => writeln!(w, "  {:>7.1} s  {s}", started.elapsed().as_secs_f64()),
            CfnEvent::Stack(ev) => writeln!(w, "  {}", ev.line()),
        };
    };
    match command {
        Command::Plan(_) => {
            let prepared = engine.plan(&progress).await?;
            engine.discard(&prepared).await?;
            if c.json {
                writeln!(out, "{}", serde_json::to_string_pretty(&prepared.plan).expect("plan serialises"))
                    .map_err(io)?;
            } else {
                writeln!(out, "{}", prepared.plan).map_err(io)?;
            }
            Ok(if prepared.plan.is_empty() { 0 } else { 2 })
        }
        Command::Apply(_) => {
            let prepared = engine.plan(&progress).await?;
            writeln!(err, "{}", prepared.plan).map_err(io)?;
            if prepared.plan.is_empty() {
                engine.discard(&prepared).await?;
                return Ok(0);
            }
            if !c.yes && !crate::deploy::confirm(err, "apply these changes?")? {
                engine.discard(&prepared).await?;
                return Ok(1);
            }
            let report = engine.apply(&prepared, &progress).await?;
            for w in &report.warnings {
                writeln!(err, "warning: {w}").map_err(io)?;
            }
            writeln!(
                err,
                "applied {} changes to {} in {:.1} s: {} ({} stack events, {} AWS calls; {} templates uploaded, {} unchanged)",
                report.changed,
                engine.stack_name(),
                started.elapsed().as_secs_f64(),
                report.status,
                report.events,
                report.calls,
                prepared.uploads.uploaded,
                prepared.uploads.reused
            )
            .map_err(io)?;
            if c.json {
                writeln!(out, "{}", serde_json::to_string_pretty(&report).expect("report serialises")).map_err(io)?;
            }
            Ok(0)
        }
        Command::Destroy(_) => {
            if !c.yes && !crate::deploy::confirm(err, &format!("delete the stack {}?", engine.stack_name()))? {
                return Ok(1);
            }
            let report = engine.destroy(&progress).await?;
            if report.status == "absent" {
                writeln!(err, "{} does not exist: nothing to destroy", engine.stack_name()).map_err(io)?;
            } else {
                writeln!(
                    err,
                    "deleted {} in {:.1} s ({} stack events)",
                    engine.stack_name(),
                    report.seconds,
                    report.events
                )
                .map_err(io)?;
                for k in &report.kept {
                    writeln!(err, "  kept: {k}").map_err(io)?;
                }
            }
            if c.json {
                writeln!(out, "{}", serde_json::to_string_pretty(&report).expect("report serialises")).map_err(io)?;
            }
            Ok(0)
        }
        Command::Drift(_) => {
            let drift = engine.drift(&progress).await?;
            crate::deploy::print_drift(out, &drift, c.json)?;
            Ok(if drift.is_empty() { 0 } else { 2 })
        }
    }
}
