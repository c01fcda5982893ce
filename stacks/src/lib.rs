//! `stacks`: the seed stacks, their per-environment config, and the `synth` command as a library
//! function over a [`Registry`], so that a user's own crate gets the same CLI for its own stacks:
//!
//! ```no_run
//! use clap::Parser;
//! fn main() -> std::process::ExitCode {
//!     stacks::synth::main(&stacks::registry(), &stacks::synth::SynthArgs::parse())
//! }
//! ```

pub mod alarms;
pub mod aquamark;
pub mod concerto;
pub mod config;
#[cfg(feature = "aws")]
pub mod deploy;
pub mod error;
pub mod ichnaea;
pub mod migration;
pub mod network;
pub mod postback;
#[cfg(feature = "aws")]
pub mod rollout;
pub mod scale;
pub mod synth;
pub mod viewbovis;

pub use config::ConfigSource;
pub use error::StackError;

use iac_core::Stack;

/// Builds a stack for one environment from its config.
pub type BuildFn = fn(env: &str, config: &ConfigSource) -> Result<Stack, StackError>;

/// Options given on the command line that only some stacks take (see
/// [`Registry::with_options`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BuildOptions {
    /// `--copies N`: how many copies of an environment the stack holds (the `scale` stack).
    pub copies: Option<u32>,
}

impl BuildOptions {
    /// The command-line flags these options were given with, e.g. `["--copies"]`.
    pub fn flags(&self) -> Vec<&'static str> {
        let mut out = Vec::new();
        if self.copies.is_some() {
            out.push("--copies");
        }
        out
    }
}

/// Builds a stack that takes [`BuildOptions`].
pub type BuildWithOptionsFn = fn(env: &str, config: &ConfigSource, options: &BuildOptions) -> Result<Stack, StackError>;

/// One stack a registry knows.
#[derive(Debug, Clone)]
pub struct StackDef {
    /// Name, e.g. `aquamark`.
    pub name: &'static str,
    /// One line about it.
    pub description: &'static str,
    /// Environments and their config, in listing order.
    pub envs: Vec<(&'static str, ConfigSource)>,
    /// The builder.
    pub build: BuildFn,
}

/// The stacks a `synth` command knows.
#[derive(Debug, Clone, Default)]
pub struct Registry {
    stacks: Vec<StackDef>,
    /// The stacks that take [`BuildOptions`], by name.
    with_options: Vec<(&'static str, BuildWithOptionsFn)>,
}

impl Registry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a stack.
    #[must_use]
    pub fn with(mut self, def: StackDef) -> Self {
        self.stacks.push(def);
        self
    }

    /// Adds a stack that takes [`BuildOptions`]; `def.build` builds it with the defaults.
    #[must_use]
    pub fn with_options(mut self, def: StackDef, build: BuildWithOptionsFn) -> Self {
        self.with_options.push((def.name, build));
        self.stacks.push(def);
        self
    }

    /// Every stack, in registration order.
    pub fn stacks(&self) -> &[StackDef] {
        &self.stacks
    }

    /// A stack by name, or an error listing the names.
    pub fn get(&self, name: &str) -> Result<&StackDef, StackError> {
        self.stacks.iter().find(|s| s.name == name).ok_or_else(|| StackError::UnknownStack {
            name: name.to_owned(),
            valid: self.stacks.iter().map(|s| s.name.to_owned()).collect(),
        })
    }

    /// Builds `name` for `env` with the registered config (or `config` when given).
    pub fn build(&self, name: &str, env: &str, config: Option<&ConfigSource>) -> Result<Stack, StackError> {
        self.build_with(name, env, config, &BuildOptions::default())
    }

    /// The config a build of `name` in `env` reads: `config` when given, else the registered file
    /// of that environment.
    pub fn source<'a>(
        &'a self,
        name: &str,
        env: &str,
        config: Option<&'a ConfigSource>,
    ) -> Result<&'a ConfigSource, StackError> {
        let def = self.get(name)?;
        let registered = def.envs.iter().find(|(e, _)| *e == env).map(|(_, c)| c);
        config.or(registered).ok_or_else(|| StackError::UnknownEnv {
            stack: name.to_owned(),
            env: env.to_owned(),
            valid: def.envs.iter().map(|(e, _)| (*e).to_owned()).collect(),
        })
    }

    /// [`Registry::build`] with options; a stack that takes none refuses any.
    pub fn build_with(
        &self,
        name: &str,
        env: &str,
        config: Option<&ConfigSource>,
        options: &BuildOptions,
    ) -> Result<Stack, StackError> {
        let def = self.get(name)?;
        let with_options = self.with_options.iter().find(|(n, _)| *n == name).map(|(_, b)| *b);
        if with_options.is_none() && *options != BuildOptions::default() {
            let takers: Vec<&str> = self.with_options.iter().map(|(n, _)| *n).collect();
            return Err(StackError::Usage(format!(
                "stack `{name}` takes no {}; only {} {}",
                options.flags().join(" or "),
                if takers.is_empty() { "no stack".to_owned() } else { takers.join(", ") },
                if takers.len() == 1 { "does" } else { "do" },
            )));
        }
        let source = self.source(name, env, config)?;
        match with_options {
            Some(build) => build(env, source, options),
            None => (def.build)(env, source),
        }
    }
}

macro_rules! config_file {
    ($stack:literal, $env:literal) => {
        (
            $env,
            ConfigSource {
                file: concat!("stacks/config/", $stack, "/", $env, ".toml").to_owned(),
                text: include_str!(concat!("../config/", $stack, "/", $env, ".toml")).to_owned(),
            },
        )
    };
}

/// The seed stacks with their built-in config files (compiled in from `stacks/config/`).
pub fn registry() -> Registry {
    let seeds = Registry::new().with(StackDef {
        name: "aquamark",
        description: "Aquamark survey app: RDS PostgreSQL, baked AMI in an ASG behind an ALB, daemons host, Route53",
        envs: vec![config_file!("aquamark", "dev"), config_file!("aquamark", "prod")],
        build: aquamark::build,
    })
    .with(StackDef {
        name: "concerto",
        description: "Concerto testing platform: ECS Fargate service behind an ALB, /data on EFS, RDS MySQL, scheduled tasks, Route53",
        envs: vec![config_file!("concerto", "dev"), config_file!("concerto", "prod")],
        build: concerto::build,
    })
    .with(StackDef {
        name: "ichnaea",
        description: "Ichnaea location service: web/worker/scheduler roles of one image, RDS MySQL + replica, Redis, S3 + CloudFront",
        envs: vec![config_file!("ichnaea", "dev"), config_file!("ichnaea", "prod")],
        build: ichnaea::build,
    })
    .with(StackDef {
        name: "viewbovis",
        description: "ViewBovis: one private host (app container, Nextstrain, nginx, systemd units), S3 data at boot, on 08:00-22:00",
        envs: vec![config_file!("viewbovis", "prod")],
        build: viewbovis::build,
    })
    .with(StackDef {
        name: "postback",
        description: "Postback: one host (ufw, swap, supervisor: nginx, php-fpm, Redis, Node worker, InfluxDB, collectd) on EC2 or a DigitalOcean droplet",
        envs: vec![config_file!("postback", "aws"), config_file!("postback", "do")],
        build: postback::build,
    });
    let scale = scale::def(&seeds);
    seeds.with_options(scale, scale::build)
}
