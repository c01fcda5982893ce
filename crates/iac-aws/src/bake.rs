//! AMI bake through the SDKs: the same bake the `packer` target renders, run by the engine.
//!
//! [`bake`] runs one of the stack's [`Bake`]s for a version and build:
//!
//! 1. **Reuse.** An image of this account named `<bake>-v<version>-<build>` and tagged
//!    `iac:bake` / `iac:build` for it is the answer (a pending one is waited for): nothing is
//!    launched. An image of that name without those tags is an error (image names are unique in
//!    a region, and it is not this tool's to adopt).
//! 2. **Base image.** The bake's [`BaseImage`]: the newest available image of the owners whose
//!    name matches the pattern, or the given id. Its root device must be the bake's
//!    `root_volume.device_name`, or the builder would boot from an unencrypted volume.
//! 3. **Role.** The builder signals through its own tags, so it needs `ec2:CreateTags` on itself.
//!    Without [`BakeRequest::instance_profile`] the engine creates a temporary role and instance
//!    profile under the IAM path `/iac-bake/` whose only permission is [`builder_policy`]: tag
//!    `iac:bake-status`, and only on instances tagged with this run's `iac:bake-run` token, i.e.
//!    the builder itself. It is deleted at the end, whatever happened. A given profile is used as
//!    it is (for images that need more, e.g. a private registry); its role needs
//!    `builder_policy(bake, None)`.
//! 4. **Launch.** The builder runs with the bake's instance type, IMDSv2 required (hop limit 1),
//!    the encrypted root volume of the bake, no key pair and no security group of its own (the
//!    subnet's VPC default group: it needs no inbound access at all), in the given subnet or the
//!    default VPC. Its user data is [`iac_render::userdata::builder_script`]: the bake script
//!    (packages, Docker, the application images pulled, files, cron, no secret), then a tag
//!    `iac:bake-status=done` on its own instance, or `failed` from an exit trap.
//! 5. **Setup.** The engine polls that tag. `failed`, a builder that stops on its own, and the
//!    timeout all end the bake with the end of the builder's console output in the error.
//! 6. **Image.** `CreateImage` (with a reboot, so the file systems are consistent), tagged
//!    `iac:bake`, `iac:version`, `iac:build`, `iac:base-image` and the stack's tags; wait until
//!    it is available; its snapshots get the same tags.
//! 7. **Cleanup.** The builder is terminated and the temporary role deleted in every outcome:
//!    a guard records each thing as soon as it exists, the normal and the error paths both
//!    run its cleanup, and dropping it with something still recorded (the bake's future was
//!    cancelled, or panicked) spawns the same cleanup on the runtime. A launch whose answer never
//!    came back is found by its `iac:bake-run` tag; `RunInstances` carries the run token as its
//!    client token, so a retried launch never starts a second builder.
//! 8. **Keep images.** With [`BakeRequest::keep_images`], [`keep_images`] runs after a success.
//!
//! [`keep_images`] keeps the newest N images of a bake (by creation date, then version and
//! build) and deregisters the others, then deletes their snapshots. It never removes the images
//! it is told to protect (the one just baked), a pending one, or one that a live instance or
//! the `$Default` / `$Latest` version of a launch template uses.
//!
//! # Local moto server
//!
//! Moto runs no user data, so in the tests the test itself plays the builder and sets the tag
//! through the EC2 API, exactly as the builder's script does. Moto accepts duplicate image
//! names, so reuse is this module's own lookup (owner `self`, the name, the tags), which is also
//! right on AWS. Its `CreateImage` answers HTTP 500 to snapshot tags in `TagSpecifications`, so
//! snapshots are tagged with `CreateTags` once the image is available.

use std::collections::BTreeMap;
use std::future::Future;
use std::time::Duration;

use aws_sdk_ec2::types::{
    BlockDeviceMapping, EbsBlockDevice, Filter, HttpTokensState, IamInstanceProfileSpecification, Image, ImageState,
    Instance, InstanceMetadataEndpointState, InstanceMetadataOptionsRequest, InstanceStateName, InstanceType,
    ResourceType, ShutdownBehavior, TagSpecification, VolumeType,
};
use base64::Engine as _;
use iac_core::Stack;
use iac_core::app::{Bake, BaseImage};
use iac_render::userdata::{self, BAKE_DONE, BAKE_FAILED, BAKE_STATUS_TAG};
use serde::Serialize;
use serde_json::{Value as Json, json};
use tokio::time::Instant;

use crate::clients::Clients;
use crate::error::AwsError;
use crate::services::{Ctx, Timing, absent_on, paged_items, sdk_tags, tag_pairs};
use crate::state::Tags;

/// Tag on builders and images: the bake's name.
pub const TAG_BAKE: &str = "iac:bake";
/// Tag on builders and images: the application version.
pub const TAG_VERSION: &str = "iac:version";
/// Tag on builders and images: the build number of that version.
pub const TAG_BUILD: &str = "iac:build";
/// Tag on the builder: the token of this run, which the temporary role's permission is scoped to.
pub const TAG_RUN: &str = "iac:bake-run";
/// Tag on images: the base image they were baked from.
pub const TAG_BASE: &str = "iac:base-image";
/// IAM path of the temporary builder roles and instance profiles.
pub const ROLE_PATH: &str = "/iac-bake/";
/// Name of the temporary role's inline policy.
const POLICY_NAME: &str = "iac-bake-signal";
/// EC2 takes at most 16 KiB of user data (before base64).
const USER_DATA_LIMIT: usize = 16 * 1024;
/// Lines of console output kept in an error.
const CONSOLE_LINES: usize = 60;

/// How long to wait for each part of a bake, and how SDK calls are retried.
#[derive(Debug, Clone, Copy)]
pub struct BakeTiming {
    /// Between two polls of the builder's tags or the image's state.
    pub poll: Duration,
    /// How long the builder may take to signal (its whole setup).
    pub builder_timeout: Duration,
    /// How long the image may take to become available (and the builder to terminate).
    pub image_timeout: Duration,
    /// First backoff of a retried call.
    pub backoff: Duration,
    /// Attempts of a retried call.
    pub attempts: u32,
}

impl Default for BakeTiming {
    fn default() -> Self {
        Self {
            poll: Duration::from_secs(10),
            builder_timeout: Duration::from_mins(30),
            image_timeout: Duration::from_mins(45),
            backoff: Duration::from_millis(500),
            attempts: 8,
        }
    }
}

impl BakeTiming {
    fn sdk(&self) -> Timing {
        Timing {
            poll: self.poll,
            timeout: self.image_timeout,
            backoff: self.backoff,
            attempts: self.attempts,
            ..Timing::default()
        }
    }
}

/// One bake to run.
#[derive(Debug, Clone)]
pub struct BakeRequest {
    /// The name of one of the stack's bakes, e.g. `aq-web`.
    pub bake: String,
    /// The application version, e.g. `1.0.1` (letters, digits, `.`, `_`, `-`).
    pub version: String,
    /// The build number of that version.
    pub build: u32,
    /// Subnet of the builder; it must reach the internet (a public subnet that assigns public
    /// addresses, or a private one with a NAT gateway). `None`: the default VPC.
    pub subnet_id: Option<String>,
    /// Instance profile (name or ARN) of the builder; `None`: a temporary one (see the module
    /// documentation).
    pub instance_profile: Option<String>,
    /// After a successful bake, keep this many newest images of the bake and remove the rest.
    pub keep_images: Option<usize>,
    /// Waits and retries.
    pub timing: BakeTiming,
}

impl BakeRequest {
    /// A bake of `bake` at `version` and `build`, in the default VPC, with a temporary role.
    pub fn new(bake: impl Into<String>, version: impl Into<String>, build: u32) -> Self {
        Self {
            bake: bake.into(),
            version: version.into(),
            build,
            subnet_id: None,
            instance_profile: None,
            keep_images: None,
            timing: BakeTiming::default(),
        }
    }
}

/// What [`keep_images`] does.
#[derive(Debug, Clone)]
pub struct KeepImages {
    /// The bake whose images are pruned.
    pub bake: String,
    /// How many of the newest to keep.
    pub keep: usize,
    /// Image ids never removed, whatever their age (the one just baked).
    pub protect: Vec<String>,
    /// Waits and retries.
    pub timing: BakeTiming,
}

/// A part of a bake, timed in [`BakeOutcome::phases`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Phase {
    /// Looking for an image of this version and build.
    Reuse,
    /// Finding the base image.
    BaseImage,
    /// Creating the temporary role and instance profile.
    Role,
    /// Starting the builder.
    Launch,
    /// Waiting for the builder's setup to signal.
    Setup,
    /// Creating the image and waiting until it is available.
    Image,
    /// Terminating the builder, deleting the temporary role.
    Cleanup,
    /// Removing older images.
    KeepImages,
}

impl Phase {
    /// The phase's name, e.g. `base-image`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Reuse => "reuse",
            Self::BaseImage => "base-image",
            Self::Role => "role",
            Self::Launch => "launch",
            Self::Setup => "setup",
            Self::Image => "image",
            Self::Cleanup => "cleanup",
            Self::KeepImages => "keep-images",
        }
    }
}

impl std::fmt::Display for Phase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How long a phase took.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct PhaseTime {
    /// The phase.
    pub phase: Phase,
    /// Seconds.
    pub seconds: f64,
}

/// An image [`keep_images`] removed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RemovedImage {
    /// `ami-...`.
    pub image_id: String,
    /// Its name.
    pub name: String,
    /// Its snapshots, deleted with it.
    pub snapshots: Vec<String>,
}

/// What a bake did.
#[derive(Debug, Clone, Serialize)]
pub struct BakeOutcome {
    /// The image, `ami-...`.
    pub image_id: String,
    /// Its name, `<bake>-v<version>-<build>`.
    pub name: String,
    /// An existing image of this version and build was reused: nothing was launched.
    pub reused: bool,
    /// The base image the builder started from (`None` when reused).
    pub base_image: Option<String>,
    /// The builder instance (terminated; `None` when reused).
    pub builder: Option<String>,
    /// Each phase and how long it took, in order.
    pub phases: Vec<PhaseTime>,
    /// Older images removed (with [`BakeRequest::keep_images`]).
    pub removed: Vec<RemovedImage>,
    /// SDK requests sent (retries included).
    pub calls: usize,
}

/// A progress event, for the caller to print.
#[derive(Debug, Clone, Serialize)]
pub enum BakeEvent {
    /// An image of this version and build exists and is the answer.
    Reused {
        /// `ami-...`.
        image_id: String,
        /// Its name.
        name: String,
    },
    /// The base image.
    BaseImage {
        /// `ami-...`.
        image_id: String,
        /// Its name.
        name: String,
    },
    /// The temporary role and instance profile exist.
    RoleCreated {
        /// Their name.
        name: String,
    },
    /// The builder was started.
    BuilderLaunched {
        /// `i-...`.
        instance_id: String,
    },
    /// The builder has not signalled yet.
    Waiting {
        /// `i-...`.
        instance_id: String,
        /// Seconds since the engine started waiting.
        seconds: u64,
    },
    /// The builder signalled that its setup is done.
    BuilderDone {
        /// `i-...`.
        instance_id: String,
    },
    /// `CreateImage` was called.
    ImageCreated {
        /// `ami-...`.
        image_id: String,
        /// Its name.
        name: String,
    },
    /// The image is available.
    ImageAvailable {
        /// `ami-...`.
        image_id: String,
    },
    /// The builder is terminated.
    BuilderTerminated {
        /// `i-...`.
        instance_id: String,
    },
    /// The temporary role and instance profile are deleted.
    RoleDeleted {
        /// Their name.
        name: String,
    },
    /// Something could not be cleaned up (the error says what to do).
    CleanupFailed {
        /// The whole error.
        message: String,
    },
    /// An older image was deregistered and its snapshots deleted.
    ImageRemoved(RemovedImage),
    /// An older image is kept because something uses it.
    ImageInUse {
        /// `ami-...`.
        image_id: String,
        /// Its name.
        name: String,
        /// What uses it, e.g. `instance i-...`.
        by: String,
    },
    /// A phase ended.
    PhaseFinished {
        /// The phase.
        phase: Phase,
        /// How long it took.
        seconds: f64,
        /// It succeeded.
        ok: bool,
    },
}

/// The progress callback of [`bake`] and [`keep_images`].
pub type BakeProgress<'a> = &'a (dyn Fn(&BakeEvent) + Sync);

/// The name of a baked image: `<bake>-v<version>-<build>`.
pub fn image_name(bake: &str, version: &str, build: u32) -> String {
    format!("{bake}-v{version}-{build}")
}

/// The IAM policy the builder's role needs: tag its own instance `iac:bake-status`, nothing
/// else. With `run`, only the instance tagged `iac:bake-run=<run>` (the temporary role of one
/// bake); without, any builder of bake `bake` (for a role made by hand).
pub fn builder_policy(bake: &str, run: Option<&str>) -> Json {
    let (key, value) = match run {
        Some(run) => (TAG_RUN, run),
        None => (TAG_BAKE, bake),
    };
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "SignalBakeStatus",
            "Effect": "Allow",
            "Action": "ec2:CreateTags",
            "Resource": "arn:aws:ec2:*:*:instance/*",
            "Condition": {
                "StringEquals": { format!("ec2:ResourceTag/{key}"): value },
                "ForAllValues:StringEquals": { "aws:TagKeys": [BAKE_STATUS_TAG] }
            }
        }]
    })
}

/// The trust policy of the temporary role: EC2 instances may assume it.
fn trust_policy() -> Json {
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": { "Service": "ec2.amazonaws.com" },
            "Action": "sts:AssumeRole"
        }]
    })
}

/// Runs bake `request.bake` of `stack` (see the module documentation for the steps).
pub async fn bake(
    clients: &Clients,
    stack: &Stack,
    request: &BakeRequest,
    progress: BakeProgress<'_>,
) -> Result<BakeOutcome, AwsError> {
    let def = stack.bakes().iter().find(|b| b.name == request.bake).ok_or_else(|| AwsError::BakeNotFound {
        stack: stack.name().to_owned(),
        bake: request.bake.clone(),
        known: stack.bakes().iter().map(|b| b.name.clone()).collect(),
    })?;
    let calls = clients.calls();
    let run = Run {
        ctx: Ctx { clients, stack, timing: request.timing.sdk() },
        bake: def,
        request,
        name: image_name(&def.name, &request.version, request.build),
        label: format!("bake:{}", def.name),
        progress,
    };
    run.check_request()?;
    let mut phases = Phases { done: Vec::new(), progress };

    let (image_id, reused, base_image, builder) =
        if let Some(image_id) = Box::pin(phases.time(Phase::Reuse, run.existing())).await? {
            progress(&BakeEvent::Reused { image_id: image_id.clone(), name: run.name.clone() });
            (image_id, true, None, None)
        } else {
            let base = Box::pin(phases.time(Phase::BaseImage, run.base_image())).await?;
            let user_data = run.user_data()?;
            let mut leftovers = Leftovers::new(clients, stack, request.timing.sdk(), &def.name);
            let made = Box::pin(run.build(&base, &user_data, &mut leftovers, &mut phases)).await;
            let builder = leftovers.items.instance.clone();
            let cleaned = Box::pin(phases.time(Phase::Cleanup, leftovers.clean(progress))).await;
            match (made, cleaned) {
                (Ok(image_id), Ok(())) => (image_id, false, Some(base.id), builder),
                (Ok(_), Err(e)) | (Err(e), _) => return Err(e),
            }
        };
    let removed = match request.keep_images {
        Some(keep) => {
            let keep =
                KeepImages { bake: def.name.clone(), keep, protect: vec![image_id.clone()], timing: request.timing };
            Box::pin(phases.time(Phase::KeepImages, prune(&run.ctx, &keep, progress))).await?
        }
        None => Vec::new(),
    };
    Ok(BakeOutcome {
        image_id,
        name: run.name,
        reused,
        base_image,
        builder,
        phases: phases.done,
        removed,
        calls: clients.calls().saturating_sub(calls),
    })
}

/// Keeps the newest `request.keep` images of bake `request.bake` and removes the others
/// (deregistered, then their snapshots deleted), except protected and used ones (see the module
/// documentation). Returns what was removed, oldest last.
pub async fn keep_images(
    clients: &Clients,
    stack: &Stack,
    request: &KeepImages,
    progress: BakeProgress<'_>,
) -> Result<Vec<RemovedImage>, AwsError> {
    let ctx = Ctx { clients, stack, timing: request.timing.sdk() };
    prune(&ctx, request, progress).await
}

/// Times phases and reports each as it ends.
struct Phases<'p> {
    done: Vec<PhaseTime>,
    progress: BakeProgress<'p>,
}

impl Phases<'_> {
    async fn time<T>(&mut self, phase: Phase, work: impl Future<Output = Result<T, AwsError>>) -> Result<T, AwsError> {
        let start = Instant::now();
        let out = work.await;
        let seconds = start.elapsed().as_secs_f64();
        self.done.push(PhaseTime { phase, seconds });
        (self.progress)(&BakeEvent::PhaseFinished { phase, seconds, ok: out.is_ok() });
        out
    }
}

/// The base image chosen for the builder.
struct Base {
    id: String,
    name: String,
}

/// One bake in progress.
struct Run<'a> {
    ctx: Ctx<'a>,
    bake: &'a Bake,
    request: &'a BakeRequest,
    /// The image's name.
    name: String,
    /// `bake:<name>`, the "resource" of SDK errors.
    label: String,
    progress: BakeProgress<'a>,
}

impl Run<'_> {
    fn config_error(&self, property: &str, message: impl Into<String>) -> AwsError {
        AwsError::BakeConfig {
            stack: self.ctx.stack.name().to_owned(),
            bake: self.bake.name.clone(),
            property: property.to_owned(),
            message: message.into(),
        }
    }

    /// What AWS would refuse later, refused before anything is created.
    fn check_request(&self) -> Result<(), AwsError> {
        let version = &self.request.version;
        if version.is_empty()
            || version.len() > 64
            || !version.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        {
            return Err(self.config_error(
                "version",
                format!(
                    "`{version}` cannot be part of an image name; use 1 to 64 letters, digits, `.`, `_` or `-`, \
                     e.g. 1.0.1"
                ),
            ));
        }
        if self.name.len() > 128 {
            return Err(self.config_error(
                "version",
                format!(
                    "the image name {} is longer than the 128 characters EC2 allows; shorten the version",
                    self.name
                ),
            ));
        }
        if self.request.instance_profile.as_deref() == Some("") {
            return Err(self.config_error(
                "instance_profile",
                "is empty; give a profile name or ARN, or none for a temporary one",
            ));
        }
        Ok(())
    }

    /// The builder's user data, base64-encoded.
    fn user_data(&self) -> Result<String, AwsError> {
        let script = userdata::builder_script(self.ctx.stack, self.bake)?;
        if script.len() > USER_DATA_LIMIT {
            return Err(self.config_error(
                "host",
                format!(
                    "the builder's user data is {} bytes and EC2 takes at most {USER_DATA_LIMIT}; move large \
                     files into a package or download them in a step",
                    script.len()
                ),
            ));
        }
        Ok(base64::engine::general_purpose::STANDARD.encode(script))
    }

    /// The stack's tags and the bake's own, for the builder and the image.
    fn tags(&self, extra: &[(&str, &str)]) -> Tags {
        let mut tags: Tags = self.ctx.stack.tags().iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        tags.push((TAG_BAKE.to_owned(), self.bake.name.clone()));
        tags.push((TAG_VERSION.to_owned(), self.request.version.clone()));
        tags.push((TAG_BUILD.to_owned(), self.request.build.to_string()));
        tags.extend(extra.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
        tags
    }

    /// An image of this version and build, if one exists (a pending one is waited for).
    async fn existing(&self) -> Result<Option<String>, AwsError> {
        let ec2 = &self.ctx.clients.ec2;
        let images = paged_items(
            &self.ctx,
            &self.label,
            "ec2:DescribeImages",
            |token| {
                ec2.describe_images().owners("self").filters(filter("name", &self.name)).set_next_token(token).send()
            },
            |o| (o.images(), o.next_token()),
        )
        .await?;
        let build = self.request.build.to_string();
        let ours: Vec<&Image> = images
            .iter()
            .filter(|i| {
                let tags = tag_pairs(i.tags());
                tag(&tags, TAG_BAKE) == Some(self.bake.name.as_str()) && tag(&tags, TAG_BUILD) == Some(build.as_str())
            })
            .collect();
        let in_state = |state: &ImageState| ours.iter().find(|i| i.state() == Some(state)).copied();
        if let Some(image) = in_state(&ImageState::Available) {
            return Ok(image.image_id().map(str::to_owned));
        }
        if let Some(image) = in_state(&ImageState::Pending) {
            let id = image.image_id().unwrap_or_default().to_owned();
            self.wait_available(&id).await?;
            return Ok(Some(id));
        }
        if let Some(image) = ours.first() {
            let id = image.image_id().unwrap_or_default();
            return Err(AwsError::BakeImage {
                stack: self.ctx.stack.name().to_owned(),
                bake: self.bake.name.clone(),
                image: id.to_owned(),
                name: self.name.clone(),
                state: image.state().map_or("unknown", ImageState::as_str).to_owned(),
                reason: format!(
                    "an earlier bake of this version and build failed; deregister it \
                     (aws ec2 deregister-image --image-id {id}) or bake with the next build number"
                ),
            });
        }
        if let Some(image) = images.first() {
            return Err(self.config_error(
                "build",
                format!(
                    "an image named {} ({}) exists that this bake did not make (it lacks the tags {TAG_BAKE}={} \
                     and {TAG_BUILD}={build}); image names are unique in a region: bake with another build \
                     number, or deregister that image",
                    self.name,
                    image.image_id().unwrap_or_default(),
                    self.bake.name,
                ),
            ));
        }
        Ok(None)
    }

    /// The newest available image matching the bake's base.
    async fn base_image(&self) -> Result<Base, AwsError> {
        let ec2 = &self.ctx.clients.ec2;
        let (images, looked_for) = match &self.bake.base {
            BaseImage::Id(id) => {
                let out = self
                    .ctx
                    .retry(&self.label, "ec2:DescribeImages", &[], || {
                        let call = ec2.describe_images().image_ids(id).send();
                        async move { absent_on(call.await, &["InvalidAMIID.NotFound", "InvalidAMIID.Unavailable"]) }
                    })
                    .await?;
                (out.map(|o| o.images().to_vec()).unwrap_or_default(), format!("with id {id}"))
            }
            BaseImage::Lookup { owners, name } => {
                let images = paged_items(
                    &self.ctx,
                    &self.label,
                    "ec2:DescribeImages",
                    |token| {
                        ec2.describe_images()
                            .set_owners(Some(owners.clone()))
                            .filters(filter("name", name))
                            .filters(filter("state", "available"))
                            .set_next_token(token)
                            .send()
                    },
                    |o| (o.images(), o.next_token()),
                )
                .await?;
                (images, format!("of owners [{}] named like `{name}`", owners.join(", ")))
            }
        };
        let newest = images
            .iter()
            .filter(|i| i.state() == Some(&ImageState::Available))
            .max_by(|a, b| (a.creation_date(), a.image_id()).cmp(&(b.creation_date(), b.image_id())))
            .ok_or_else(|| AwsError::BaseImageNotFound {
                stack: self.ctx.stack.name().to_owned(),
                bake: self.bake.name.clone(),
                filter: looked_for,
            })?;
        let id = newest.image_id().unwrap_or_default().to_owned();
        let name = newest.name().unwrap_or_default().to_owned();
        let want = &self.bake.root_volume.device_name;
        if let Some(root) = newest.root_device_name()
            && root != want
        {
            return Err(self.config_error(
                "root_volume.device_name",
                format!(
                    "is {want} but the base image {id} ({name}) boots from {root}: the builder would get a second \
                     volume and boot from an unencrypted one; set it to {root}"
                ),
            ));
        }
        (self.progress)(&BakeEvent::BaseImage { image_id: id.clone(), name: name.clone() });
        Ok(Base { id, name })
    }

    /// Role, builder, setup, image: everything that leaves something behind, recorded in
    /// `left` as soon as it exists.
    async fn build(
        &self,
        base: &Base,
        user_data: &str,
        left: &mut Leftovers,
        phases: &mut Phases<'_>,
    ) -> Result<String, AwsError> {
        let run = run_token(&self.name);
        let profile = match &self.request.instance_profile {
            Some(profile) => profile.clone(),
            None => Box::pin(phases.time(Phase::Role, self.temporary_role(&run, left))).await?,
        };
        let instance = Box::pin(phases.time(Phase::Launch, self.launch(base, user_data, &profile, &run, left))).await?;
        Box::pin(phases.time(Phase::Setup, self.wait_for_builder(&instance))).await?;
        Box::pin(phases.time(Phase::Image, self.image(&instance, base))).await
    }

    async fn temporary_role(&self, run: &str, left: &mut Leftovers) -> Result<String, AwsError> {
        let iam = &self.ctx.clients.iam;
        let name = iac_core::naming::fit(&format!("iac-bake-{}-{}", self.bake.name, &run[run.len() - 8..]), 64);
        let mut tags = Vec::new();
        for (k, v) in self.tags(&[(TAG_RUN, run)]) {
            let t = aws_sdk_iam::types::Tag::builder()
                .key(k)
                .value(v)
                .build()
                .map_err(|e| self.ctx.fail(&self.label, "iam:CreateRole", e))?;
            tags.push(t);
        }
        let trust = trust_policy().to_string();
        let description =
            format!("Temporary role of the builder of {} (iac-rs bake); deleted after the bake", self.name);
        self.ctx
            .retry(&self.label, "iam:CreateRole", &[], || {
                iam.create_role()
                    .path(ROLE_PATH)
                    .role_name(&name)
                    .assume_role_policy_document(&trust)
                    .description(&description)
                    .set_tags(Some(tags.clone()))
                    .send()
            })
            .await?;
        left.items.role = Some(name.clone());
        let policy = builder_policy(&self.bake.name, Some(run)).to_string();
        self.ctx
            .retry(&self.label, "iam:PutRolePolicy", &["NoSuchEntity"], || {
                iam.put_role_policy().role_name(&name).policy_name(POLICY_NAME).policy_document(&policy).send()
            })
            .await?;
        self.ctx
            .retry(&self.label, "iam:CreateInstanceProfile", &[], || {
                iam.create_instance_profile().path(ROLE_PATH).instance_profile_name(&name).send()
            })
            .await?;
        left.items.profile = Some(name.clone());
        self.ctx
            .retry(&self.label, "iam:AddRoleToInstanceProfile", &["NoSuchEntity"], || {
                iam.add_role_to_instance_profile().instance_profile_name(&name).role_name(&name).send()
            })
            .await?;
        (self.progress)(&BakeEvent::RoleCreated { name: name.clone() });
        Ok(name)
    }

    async fn launch(
        &self,
        base: &Base,
        user_data: &str,
        profile: &str,
        run: &str,
        left: &mut Leftovers,
    ) -> Result<String, AwsError> {
        let ec2 = &self.ctx.clients.ec2;
        let builder_name = format!("{} builder", self.name);
        let tags = self.tags(&[("Name", &builder_name), (TAG_RUN, run)]);
        let volume = &self.bake.root_volume;
        let root = BlockDeviceMapping::builder()
            .device_name(&volume.device_name)
            .ebs(
                EbsBlockDevice::builder()
                    .volume_size(i32::try_from(volume.size_gib).unwrap_or(i32::MAX))
                    .volume_type(VolumeType::from(volume.volume_type.as_str()))
                    .encrypted(volume.encrypted)
                    .delete_on_termination(true)
                    .build(),
            )
            .build();
        let profile_spec = if profile.starts_with("arn:") {
            IamInstanceProfileSpecification::builder().arn(profile).build()
        } else {
            IamInstanceProfileSpecification::builder().name(profile).build()
        };
        let request = ec2
            .run_instances()
            .min_count(1)
            .max_count(1)
            .client_token(iac_core::naming::fit(run, 64))
            .image_id(&base.id)
            .instance_type(InstanceType::from(self.bake.instance_type.as_str()))
            .set_subnet_id(self.request.subnet_id.clone())
            .iam_instance_profile(profile_spec)
            .user_data(user_data)
            .block_device_mappings(root)
            .metadata_options(
                InstanceMetadataOptionsRequest::builder()
                    .http_endpoint(InstanceMetadataEndpointState::Enabled)
                    .http_tokens(HttpTokensState::Required)
                    .http_put_response_hop_limit(1)
                    .build(),
            )
            .instance_initiated_shutdown_behavior(ShutdownBehavior::Terminate)
            .tag_specifications(tag_spec(ResourceType::Instance, &tags))
            .tag_specifications(tag_spec(ResourceType::Volume, &tags));
        // A fresh instance profile is "invalid" to EC2 until IAM has propagated it.
        let retry: &[&str] = if left.items.profile.is_some() { &["InvalidParameterValue"] } else { &[] };
        // Until the answer names the instance, the run token finds it (a launch cut off by a
        // cancellation or a lost answer); the client token keeps retries from launching twice.
        left.items.launching = Some(run.to_owned());
        let out = self.ctx.retry(&self.label, "ec2:RunInstances", retry, || request.clone().send()).await?;
        let instance_id = out
            .instances()
            .first()
            .and_then(Instance::instance_id)
            .ok_or_else(|| self.ctx.fail(&self.label, "ec2:RunInstances", "the answer holds no instance"))?
            .to_owned();
        left.items.instance = Some(instance_id.clone());
        left.items.launching = None;
        (self.progress)(&BakeEvent::BuilderLaunched { instance_id: instance_id.clone() });
        Ok(instance_id)
    }

    /// Polls the builder's status tag until it says done; failed, a stopped builder and the
    /// timeout are errors with the console output.
    async fn wait_for_builder(&self, instance_id: &str) -> Result<(), AwsError> {
        let timeout = self.request.timing.builder_timeout;
        let start = Instant::now();
        loop {
            if let Some(x) = describe_instance(&self.ctx, &self.label, instance_id).await? {
                let tags = tag_pairs(x.tags());
                match tag(&tags, BAKE_STATUS_TAG) {
                    Some(BAKE_DONE) => {
                        (self.progress)(&BakeEvent::BuilderDone { instance_id: instance_id.to_owned() });
                        return Ok(());
                    }
                    Some(BAKE_FAILED) => {
                        return Err(self.failed(instance_id, "signalled that its setup failed".into()).await);
                    }
                    _ => {}
                }
                let state = x.state().and_then(|s| s.name());
                if let Some(
                    s @ (InstanceStateName::ShuttingDown
                    | InstanceStateName::Terminated
                    | InstanceStateName::Stopping
                    | InstanceStateName::Stopped),
                ) = state
                {
                    let why = x.state_reason().and_then(|r| r.message()).unwrap_or("no reason given");
                    let reason = format!("is {} before it signalled ({why})", s.as_str());
                    return Err(self.failed(instance_id, reason).await);
                }
            }
            let elapsed = start.elapsed();
            if elapsed >= timeout {
                return Err(AwsError::BakeTimeout {
                    stack: self.ctx.stack.name().to_owned(),
                    bake: self.bake.name.clone(),
                    instance: instance_id.to_owned(),
                    seconds: timeout.as_secs(),
                    console: self.console(instance_id).await,
                });
            }
            (self.progress)(&BakeEvent::Waiting { instance_id: instance_id.to_owned(), seconds: elapsed.as_secs() });
            tokio::time::sleep(self.request.timing.poll.min(timeout.saturating_sub(elapsed))).await;
        }
    }

    async fn failed(&self, instance_id: &str, reason: String) -> AwsError {
        AwsError::BakeFailed {
            stack: self.ctx.stack.name().to_owned(),
            bake: self.bake.name.clone(),
            instance: instance_id.to_owned(),
            reason,
            console: self.console(instance_id).await,
        }
    }

    /// The last lines of the builder's console output, or why there are none.
    async fn console(&self, instance_id: &str) -> String {
        let ec2 = &self.ctx.clients.ec2;
        let out = self
            .ctx
            .retry(&self.label, "ec2:GetConsoleOutput", &[], || {
                ec2.get_console_output().instance_id(instance_id).send()
            })
            .await;
        match out {
            Ok(out) => match out.output().filter(|o| !o.is_empty()) {
                Some(text) => last_lines(&decode_console(text), CONSOLE_LINES),
                None => "(empty: EC2 shows the console output a few minutes after boot)".to_owned(),
            },
            Err(e) => format!("(unavailable: {e})"),
        }
    }

    /// Creates the image of the builder, waits until it is available and tags its snapshots.
    async fn image(&self, instance_id: &str, base: &Base) -> Result<String, AwsError> {
        let ec2 = &self.ctx.clients.ec2;
        let tags = self.tags(&[("Name", &self.name), (TAG_BASE, &base.id)]);
        let description = format!(
            "{} of {} ({}), version {} build {}, from {} ({}); baked by iac-rs",
            self.bake.name,
            self.ctx.stack.name(),
            self.ctx.stack.env(),
            self.request.version,
            self.request.build,
            base.id,
            base.name
        );
        let out = self
            .ctx
            .retry(&self.label, "ec2:CreateImage", &[], || {
                ec2.create_image()
                    .instance_id(instance_id)
                    .name(&self.name)
                    .description(&description)
                    .no_reboot(false)
                    .tag_specifications(tag_spec(ResourceType::Image, &tags))
                    .send()
            })
            .await?;
        let image_id = out
            .image_id()
            .ok_or_else(|| self.ctx.fail(&self.label, "ec2:CreateImage", "the answer holds no image id"))?
            .to_owned();
        (self.progress)(&BakeEvent::ImageCreated { image_id: image_id.clone(), name: self.name.clone() });
        let image = self.wait_available(&image_id).await?;
        let snapshots = snapshots_of(&image);
        if !snapshots.is_empty() {
            let sdk = sdk_tags::<aws_sdk_ec2::types::Tag>(&tags);
            self.ctx
                .retry(&self.label, "ec2:CreateTags", &["InvalidSnapshot.NotFound"], || {
                    ec2.create_tags().set_resources(Some(snapshots.clone())).set_tags(Some(sdk.clone())).send()
                })
                .await?;
        }
        (self.progress)(&BakeEvent::ImageAvailable { image_id: image_id.clone() });
        Ok(image_id)
    }

    /// Polls the image until it is available (a failed one is an error).
    async fn wait_available(&self, image_id: &str) -> Result<Image, AwsError> {
        let ec2 = &self.ctx.clients.ec2;
        let timeout = self.request.timing.image_timeout;
        let start = Instant::now();
        let error = |state: &str, reason: String| AwsError::BakeImage {
            stack: self.ctx.stack.name().to_owned(),
            bake: self.bake.name.clone(),
            image: image_id.to_owned(),
            name: self.name.clone(),
            state: state.to_owned(),
            reason,
        };
        loop {
            let out = self
                .ctx
                .retry(&self.label, "ec2:DescribeImages", &[], || {
                    let call = ec2.describe_images().image_ids(image_id).send();
                    async move { absent_on(call.await, &["InvalidAMIID.NotFound"]) }
                })
                .await?;
            let image = out.and_then(|o| o.images().iter().find(|i| i.image_id() == Some(image_id)).cloned());
            if let Some(image) = image {
                match image.state() {
                    Some(ImageState::Available) => return Ok(image),
                    Some(ImageState::Pending | ImageState::Transient) | None => {}
                    Some(state) => {
                        let why = image.state_reason().and_then(|r| r.message()).unwrap_or("no reason given");
                        return Err(error(
                            state.as_str(),
                            format!(
                                "{why}; deregister it (aws ec2 deregister-image --image-id {image_id}) and bake again"
                            ),
                        ));
                    }
                }
            }
            let elapsed = start.elapsed();
            if elapsed >= timeout {
                return Err(error(
                    &format!("still not available after {} s", timeout.as_secs()),
                    "bake again with the same version and build: it waits for this image instead of making another"
                        .to_owned(),
                ));
            }
            tokio::time::sleep(self.request.timing.poll.min(timeout.saturating_sub(elapsed))).await;
        }
    }
}

/// What a bake has created that must not outlive it. Each item is recorded as soon as it
/// exists; `clean` removes them on every path, and dropping the guard with items
/// still recorded (a cancelled or panicking bake) spawns the same cleanup on the runtime.
struct Leftovers {
    clients: Clients,
    stack: Stack,
    timing: Timing,
    bake: String,
    items: Items,
}

/// The things to remove.
#[derive(Debug, Default)]
struct Items {
    /// The builder instance.
    instance: Option<String>,
    /// The run token of a launch whose answer has not come back (yet).
    launching: Option<String>,
    /// The temporary instance profile.
    profile: Option<String>,
    /// The temporary role.
    role: Option<String>,
}

impl Items {
    fn is_empty(&self) -> bool {
        self.instance.is_none() && self.launching.is_none() && self.profile.is_none() && self.role.is_none()
    }
}

impl Leftovers {
    fn new(clients: &Clients, stack: &Stack, timing: Timing, bake: &str) -> Self {
        Self { clients: clients.clone(), stack: stack.clone(), timing, bake: bake.to_owned(), items: Items::default() }
    }

    /// Terminates the builder (and waits until it is), then deletes the temporary profile and
    /// role. Tries everything; the first failure is returned, each is reported.
    async fn clean(&mut self, progress: BakeProgress<'_>) -> Result<(), AwsError> {
        let ctx = Ctx { clients: &self.clients, stack: &self.stack, timing: self.timing };
        clean_items(&ctx, &self.bake, &mut self.items, progress).await
    }
}

impl Drop for Leftovers {
    fn drop(&mut self) {
        if self.items.is_empty() {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else { return };
        let mut items = std::mem::take(&mut self.items);
        let (clients, stack, timing, bake) = (self.clients.clone(), self.stack.clone(), self.timing, self.bake.clone());
        runtime.spawn(async move {
            let ctx = Ctx { clients: &clients, stack: &stack, timing };
            // Nobody is left to tell: the bake's caller has gone.
            let _ = clean_items(&ctx, &bake, &mut items, &|_| {}).await;
        });
    }
}

async fn clean_items(ctx: &Ctx<'_>, bake: &str, items: &mut Items, progress: BakeProgress<'_>) -> Result<(), AwsError> {
    let label = format!("bake:{bake}");
    let left_behind = |what: String, e: &AwsError, todo: String| AwsError::BakeLeftBehind {
        stack: ctx.stack.name().to_owned(),
        bake: bake.to_owned(),
        what,
        message: e.to_string(),
        todo,
    };
    let mut first: Option<AwsError> = None;
    if let Some(run) = items.launching.take() {
        match launched(ctx, &label, &run).await {
            Ok(found) => items.instance = items.instance.take().or(found),
            Err(e) => {
                let err = left_behind(
                    format!("a builder tagged {TAG_RUN}={run}"),
                    &e,
                    format!(
                        "find and terminate it: aws ec2 describe-instances --filters Name=tag:{TAG_RUN},Values={run}"
                    ),
                );
                progress(&BakeEvent::CleanupFailed { message: err.to_string() });
                first.get_or_insert(err);
            }
        }
    }
    if let Some(instance_id) = items.instance.take() {
        match terminate(ctx, &label, &instance_id).await {
            Ok(()) => progress(&BakeEvent::BuilderTerminated { instance_id }),
            Err(e) => {
                let err = left_behind(
                    format!("builder instance {instance_id}"),
                    &e,
                    format!("terminate it: aws ec2 terminate-instances --instance-ids {instance_id}"),
                );
                progress(&BakeEvent::CleanupFailed { message: err.to_string() });
                first.get_or_insert(err);
            }
        }
    }
    let name = items.role.clone().or_else(|| items.profile.clone());
    if let Some(name) = name {
        let profile = items.profile.take();
        let role = items.role.take();
        match delete_role(ctx, &label, profile.as_deref(), role.as_deref()).await {
            Ok(()) => progress(&BakeEvent::RoleDeleted { name }),
            Err(e) => {
                let err = left_behind(
                    format!("temporary role and instance profile {name}"),
                    &e,
                    format!(
                        "delete them: aws iam remove-role-from-instance-profile --instance-profile-name {name} \
                         --role-name {name}; aws iam delete-instance-profile --instance-profile-name {name}; \
                         aws iam delete-role-policy --role-name {name} --policy-name {POLICY_NAME}; \
                         aws iam delete-role --role-name {name}"
                    ),
                );
                progress(&BakeEvent::CleanupFailed { message: err.to_string() });
                first.get_or_insert(err);
            }
        }
    }
    first.map_or(Ok(()), Err)
}

/// The builder a launch with run token `run` started, if any.
async fn launched(ctx: &Ctx<'_>, label: &str, run: &str) -> Result<Option<String>, AwsError> {
    let ec2 = &ctx.clients.ec2;
    let reservations = paged_items(
        ctx,
        label,
        "ec2:DescribeInstances",
        |token| ec2.describe_instances().filters(filter(&format!("tag:{TAG_RUN}"), run)).set_next_token(token).send(),
        |o| (o.reservations(), o.next_token()),
    )
    .await?;
    Ok(reservations
        .iter()
        .flat_map(aws_sdk_ec2::types::Reservation::instances)
        .find(|x| x.state().and_then(|s| s.name()) != Some(&InstanceStateName::Terminated))
        .and_then(|x| x.instance_id().map(str::to_owned)))
}

async fn terminate(ctx: &Ctx<'_>, label: &str, instance_id: &str) -> Result<(), AwsError> {
    let ec2 = &ctx.clients.ec2;
    let sent = ctx
        .retry(label, "ec2:TerminateInstances", &[], || {
            let call = ec2.terminate_instances().instance_ids(instance_id).send();
            async move { absent_on(call.await, &["InvalidInstanceID.NotFound"]) }
        })
        .await?;
    if sent.is_none() {
        return Ok(());
    }
    ctx.wait_for(label, "terminated", || async {
        let x = describe_instance(ctx, label, instance_id).await?;
        let state = x.as_ref().and_then(|x| x.state()).and_then(|s| s.name());
        Ok(matches!(state, None | Some(InstanceStateName::Terminated)).then_some(()))
    })
    .await
}

async fn delete_role(ctx: &Ctx<'_>, label: &str, profile: Option<&str>, role: Option<&str>) -> Result<(), AwsError> {
    const GONE: &[&str] = &["NoSuchEntity"];
    const BUSY: &[&str] = &["DeleteConflict"];
    let iam = &ctx.clients.iam;
    if let Some(profile) = profile {
        if let Some(role) = role {
            ctx.retry(label, "iam:RemoveRoleFromInstanceProfile", &[], || {
                let call =
                    iam.remove_role_from_instance_profile().instance_profile_name(profile).role_name(role).send();
                async move { absent_on(call.await, GONE) }
            })
            .await?;
        }
        ctx.retry(label, "iam:DeleteInstanceProfile", BUSY, || {
            let call = iam.delete_instance_profile().instance_profile_name(profile).send();
            async move { absent_on(call.await, GONE) }
        })
        .await?;
    }
    if let Some(role) = role {
        ctx.retry(label, "iam:DeleteRolePolicy", &[], || {
            let call = iam.delete_role_policy().role_name(role).policy_name(POLICY_NAME).send();
            async move { absent_on(call.await, GONE) }
        })
        .await?;
        ctx.retry(label, "iam:DeleteRole", BUSY, || {
            let call = iam.delete_role().role_name(role).send();
            async move { absent_on(call.await, GONE) }
        })
        .await?;
    }
    Ok(())
}

async fn describe_instance(ctx: &Ctx<'_>, label: &str, instance_id: &str) -> Result<Option<Instance>, AwsError> {
    let ec2 = &ctx.clients.ec2;
    let out = ctx
        .retry(label, "ec2:DescribeInstances", &[], || {
            let call = ec2.describe_instances().instance_ids(instance_id).send();
            async move { absent_on(call.await, &["InvalidInstanceID.NotFound"]) }
        })
        .await?;
    Ok(out.and_then(|o| {
        o.reservations()
            .iter()
            .flat_map(aws_sdk_ec2::types::Reservation::instances)
            .find(|x| x.instance_id() == Some(instance_id))
            .cloned()
    }))
}

/// Removes the older images of `request.bake` (see [`keep_images`]).
async fn prune(ctx: &Ctx<'_>, request: &KeepImages, progress: BakeProgress<'_>) -> Result<Vec<RemovedImage>, AwsError> {
    let label = format!("bake:{}", request.bake);
    let ec2 = &ctx.clients.ec2;
    let mut images = paged_items(
        ctx,
        &label,
        "ec2:DescribeImages",
        |token| {
            ec2.describe_images()
                .owners("self")
                .filters(filter(&format!("tag:{TAG_BAKE}"), &request.bake))
                .filters(filter("name", &format!("{}-v*", request.bake)))
                .set_next_token(token)
                .send()
        },
        |o| (o.images(), o.next_token()),
    )
    .await?;
    images.sort_by_cached_key(|i| std::cmp::Reverse(age_key(i)));
    let old: Vec<&Image> = images
        .iter()
        .skip(request.keep)
        .filter(|i| !matches!(i.state(), Some(ImageState::Pending | ImageState::Transient)))
        .filter(|i| !request.protect.iter().any(|p| Some(p.as_str()) == i.image_id()))
        .collect();
    if old.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<String> = old.iter().filter_map(|i| i.image_id()).map(str::to_owned).collect();
    let in_use = images_in_use(ctx, &label, &ids).await?;
    let mut removed = Vec::new();
    for image in old {
        let image_id = image.image_id().unwrap_or_default().to_owned();
        let name = image.name().unwrap_or_default().to_owned();
        if let Some(by) = in_use.get(&image_id) {
            progress(&BakeEvent::ImageInUse { image_id, name, by: by.clone() });
            continue;
        }
        ctx.retry(&label, "ec2:DeregisterImage", &[], || {
            let call = ec2.deregister_image().image_id(&image_id).send();
            async move { absent_on(call.await, &["InvalidAMIID.NotFound", "InvalidAMIID.Unavailable"]) }
        })
        .await?;
        let snapshots = snapshots_of(image);
        for snapshot in &snapshots {
            // A snapshot stays "in use" by its image for a moment after the deregistration.
            ctx.retry(&label, "ec2:DeleteSnapshot", &["InvalidSnapshot.InUse"], || {
                let call = ec2.delete_snapshot().snapshot_id(snapshot).send();
                async move { absent_on(call.await, &["InvalidSnapshot.NotFound"]) }
            })
            .await?;
        }
        let done = RemovedImage { image_id, name, snapshots };
        progress(&BakeEvent::ImageRemoved(done.clone()));
        removed.push(done);
    }
    Ok(removed)
}

/// Which of `ids` a live instance or the default or latest version of a launch template uses,
/// and what uses it.
async fn images_in_use(ctx: &Ctx<'_>, label: &str, ids: &[String]) -> Result<BTreeMap<String, String>, AwsError> {
    let ec2 = &ctx.clients.ec2;
    let mut used = BTreeMap::new();
    let reservations = paged_items(
        ctx,
        label,
        "ec2:DescribeInstances",
        |token| {
            ec2.describe_instances()
                .filters(Filter::builder().name("image-id").set_values(Some(ids.to_vec())).build())
                .filters(
                    Filter::builder()
                        .name("instance-state-name")
                        .set_values(Some(["pending", "running", "stopping", "stopped"].map(str::to_owned).to_vec()))
                        .build(),
                )
                .set_next_token(token)
                .send()
        },
        |o| (o.reservations(), o.next_token()),
    )
    .await?;
    for x in reservations.iter().flat_map(aws_sdk_ec2::types::Reservation::instances) {
        if let (Some(image), Some(instance)) = (x.image_id(), x.instance_id()) {
            used.entry(image.to_owned()).or_insert_with(|| format!("instance {instance}"));
        }
    }
    let templates = paged_items(
        ctx,
        label,
        "ec2:DescribeLaunchTemplates",
        |token| ec2.describe_launch_templates().set_next_token(token).send(),
        |o| (o.launch_templates(), o.next_token()),
    )
    .await?;
    for template in &templates {
        let Some(template_id) = template.launch_template_id() else { continue };
        let out = ctx
            .retry(label, "ec2:DescribeLaunchTemplateVersions", &[], || {
                ec2.describe_launch_template_versions()
                    .launch_template_id(template_id)
                    .versions("$Default")
                    .versions("$Latest")
                    .send()
            })
            .await?;
        for version in out.launch_template_versions() {
            let image = version.launch_template_data().and_then(|d| d.image_id());
            if let Some(image) = image.filter(|i| ids.iter().any(|id| id == i)) {
                used.entry(image.to_owned()).or_insert_with(|| {
                    format!(
                        "launch template {} version {}",
                        template.launch_template_name().unwrap_or(template_id),
                        version.version_number().unwrap_or_default()
                    )
                });
            }
        }
    }
    Ok(used)
}

/// Newer sorts higher: creation date, then version and build (images made in the same second).
fn age_key(image: &Image) -> (String, Vec<VersionPart>, u64, String) {
    let tags = tag_pairs(image.tags());
    (
        image.creation_date().unwrap_or_default().to_owned(),
        version_parts(tag(&tags, TAG_VERSION).unwrap_or_default()),
        tag(&tags, TAG_BUILD).and_then(|b| b.parse().ok()).unwrap_or_default(),
        image.image_id().unwrap_or_default().to_owned(),
    )
}

/// A piece of a version: numbers compare as numbers and sort before text.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum VersionPart {
    Number(u64),
    Text(String),
}

fn version_parts(version: &str) -> Vec<VersionPart> {
    version
        .split(['.', '-', '_'])
        .map(|p| p.parse().map_or_else(|_| VersionPart::Text(p.to_owned()), VersionPart::Number))
        .collect()
}

fn snapshots_of(image: &Image) -> Vec<String> {
    image
        .block_device_mappings()
        .iter()
        .filter_map(|m| m.ebs().and_then(EbsBlockDevice::snapshot_id))
        .map(str::to_owned)
        .collect()
}

fn filter(name: &str, value: &str) -> Filter {
    Filter::builder().name(name).values(value).build()
}

fn tag_spec(kind: ResourceType, tags: &Tags) -> TagSpecification {
    TagSpecification::builder().resource_type(kind).set_tags(Some(sdk_tags(tags))).build()
}

fn tag<'t>(tags: &'t Tags, key: &str) -> Option<&'t str> {
    tags.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

/// A token unique to this run: the image name and a time-based suffix.
fn run_token(name: &str) -> String {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    let seed = format!("{name}:{}:{}", now.as_nanos(), std::process::id());
    format!("{name}-{:08x}", iac_core::naming::fnv1a(seed.as_bytes()))
}

/// EC2 gives console output base64-encoded.
fn decode_console(text: &str) -> String {
    base64::engine::general_purpose::STANDARD
        .decode(text.trim())
        .map_or_else(|_| text.to_owned(), |bytes| String::from_utf8_lossy(&bytes).into_owned())
}

fn last_lines(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().map(|l| l.trim_end_matches('\r')).collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_names_and_versions() {
        assert_eq!(image_name("aq-web", "1.0.1", 3), "aq-web-v1.0.1-3");
        let mut versions = ["1.10.0", "1.9.2", "1.9.10", "1.9.10-rc1", "2.0"];
        versions.sort_by_key(|v| version_parts(v));
        assert_eq!(versions, ["1.9.2", "1.9.10", "1.9.10-rc1", "1.10.0", "2.0"]);
    }

    #[test]
    fn console_output_is_decoded_and_cut() {
        let text = (1..=100).map(|i| format!("line {i}\r\n")).collect::<Vec<_>>().concat();
        let encoded = base64::engine::general_purpose::STANDARD.encode(&text);
        let out = last_lines(&decode_console(&encoded), 3);
        assert_eq!(out, "line 98\nline 99\nline 100");
        assert_eq!(decode_console("not base64 at all!"), "not base64 at all!");
    }

    #[test]
    fn the_builder_may_tag_only_itself_and_only_its_status() {
        let policy = builder_policy("aq-web", Some("aq-web-v1-1-0000abcd"));
        let statement = &policy["Statement"][0];
        assert_eq!(statement["Action"], "ec2:CreateTags");
        assert_eq!(statement["Condition"]["StringEquals"]["ec2:ResourceTag/iac:bake-run"], "aq-web-v1-1-0000abcd");
        assert_eq!(statement["Condition"]["ForAllValues:StringEquals"]["aws:TagKeys"], json!([BAKE_STATUS_TAG]));
        let by_hand = builder_policy("aq-web", None);
        assert_eq!(by_hand["Statement"][0]["Condition"]["StringEquals"]["ec2:ResourceTag/iac:bake"], "aq-web");
    }

    #[test]
    fn run_tokens_differ_and_fit_a_role_name() {
        let a = run_token("aq-web-v1.0.1-1");
        assert!(a.starts_with("aq-web-v1.0.1-1-"), "{a}");
        let role = iac_core::naming::fit(&format!("iac-bake-{}-{}", "aq-web", &a[a.len() - 8..]), 64);
        assert!(role.len() <= 64 && role.starts_with("iac-bake-aq-web-"), "{role}");
        std::thread::sleep(Duration::from_millis(1));
        assert_ne!(a, run_token("aq-web-v1.0.1-1"));
    }
}
