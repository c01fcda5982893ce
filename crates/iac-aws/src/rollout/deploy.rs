//! The deploy of an ECS service role: a task definition revision with the new containers, the
//! service moved to it, the wait for a steady and healthy deployment, old revisions pruned; and
//! the rollback to the previous revision.

use aws_sdk_ecs::types::{DeploymentRolloutState, SortOrder, TaskDefinitionStatus};

#[allow(clippy::wildcard_imports)] // the parent's types and imports
use super::*;
use crate::rollout::live::LiveService;
use crate::services::ecs::{family_of, revision_of};

impl Run<'_> {
    #[allow(clippy::too_many_lines)] // the phases, in order
    pub(super) async fn deploy(&mut self, role: &Role, from: Option<Phase>) -> Result<(), AwsError> {
        let RunsOn::Service { service: service_id, task_definition: definition_id, target_group: tg_id } =
            &role.runs_on
        else {
            return Err(self.state_error(&role.name, "a deploy needs an ECS service role (Role::service)"));
        };
        let from = from.unwrap_or(Phase::Prepare);
        let live = self.live_service(role, service_id).await?;
        let mut observed = self.observe().await?;
        let tg_arn = observed.get(tg_id).map(|o| o.physical_id.clone()).ok_or_else(|| {
            self.state_error(&role.name, format!("target group `{tg_id}` does not exist; deploy the stack first"))
        })?;
        let ledger = [Ledger::Service(live.arn.clone())];
        if let Some(r) = self.reports.last_mut() {
            r.from = Some(live.task_definition());
        }
        if from >= Phase::RollBack {
            return Box::pin(self.roll_back_service(role, &live, None)).await;
        }

        if from <= Phase::Prepare {
            let previous = live.task_definition();
            let hash = live.tag(TAG_HASH).unwrap_or("none").to_owned();
            let touches = vec![format!("service {}: runs {previous}", live.name)];
            let t = self
                .enter(Phase::Prepare, &ledger, &[(TAG_PREVIOUS, previous), (TAG_PREVIOUS_HASH, hash)], touches)
                .await?;
            self.finish(Phase::Prepare, t)?;
        }

        // Registering is idempotent (a revision with the desired hash is reused), so a resumed
        // deploy finds the revision it made.
        let mut revision = None;
        if from <= Phase::WaitSteady {
            let touches = vec![format!("task definition `{definition_id}`: a revision with {}", self.images(role))];
            let t = if from <= Phase::Register {
                Some(self.enter(Phase::Register, &ledger, &[], touches).await?)
            } else {
                None
            };
            let registered = self.register(definition_id, &observed).await?;
            observed.insert(definition_id.clone(), registered.clone());
            if let Some(t) = t {
                self.finish(Phase::Register, t)?;
            }
            if let Some(r) = self.reports.last_mut() {
                r.to = Some(registered.physical_id.clone());
            }
            revision = Some(registered.physical_id);
        }

        if let Some(new) = revision.as_ref().filter(|_| from <= Phase::Deploy) {
            let props = Json::Object(self.desired(service_id, &observed)?);
            let hash = desired::hash(&props);
            let touches = vec![format!("service {}: {} -> {new}", live.name, live.task_definition())];
            let t = self.enter(Phase::Deploy, &ledger, &[(TAG_HASH, hash)], touches).await?;
            self.update_service(&live, new).await?;
            self.finish(Phase::Deploy, t)?;
        }

        if let Some(new) = revision.as_ref().filter(|_| from <= Phase::WaitSteady) {
            let touches = vec![format!(
                "service {}: one deployment of {new}, every task healthy in {tg_arn} within {:.1} s",
                live.name,
                self.options.health_timeout.as_secs_f64()
            )];
            let t = self.enter(Phase::WaitSteady, &ledger, &[], touches).await?;
            match self.wait_steady(&live, new, &tg_arn).await? {
                Ok(()) => self.finish(Phase::WaitSteady, t)?,
                Err(Unhealthy(reason)) => return Box::pin(self.roll_back_service(role, &live, Some(reason))).await,
            }
        }

        let running = self.live_service(role, service_id).await?.task_definition();
        if from <= Phase::Prune {
            let keep = self.options.keep_revisions.max(1);
            let touches = vec![format!("task definition family of {running}: keep the {keep} newest active revisions")];
            let t = self.enter(Phase::Prune, &ledger, &[], touches).await?;
            let gone = self.prune(&role.name, &running, keep).await?;
            if let Some(p) = self.reports.last_mut().and_then(|r| r.phases.last_mut()) {
                p.touches.extend(gone.iter().map(|arn| format!("{arn}: deregistered")));
            }
            self.finish(Phase::Prune, t)?;
        }
        self.enter(Phase::Done, &ledger, &[], Vec::new()).await?;
        Ok(())
    }

    /// The role's service as it is now.
    async fn live_service(&self, role: &Role, id: &LogicalId) -> Result<LiveService, AwsError> {
        service(&self.ctx, id).await?.ok_or_else(|| {
            self.state_error(&role.name, format!("ECS service `{id}` does not exist; deploy the stack first"))
        })
    }

    /// `repository:tag` of each of the role's containers in the new release.
    fn images(&self, role: &Role) -> String {
        let images: Vec<String> =
            role.containers(self.ctx.stack).iter().map(|c| format!("{} {}", c.name, c.image)).collect();
        images.join(", ")
    }

    /// The task definition as the new release wants it: a new revision (the engine's own create,
    /// with the new hash), unless the newest one already is.
    async fn register(&self, td: &LogicalId, observed: &HashMap<LogicalId, Observed>) -> Result<Observed, AwsError> {
        let props = self.desired(td, observed)?;
        let hash = desired::hash(&Json::Object(props.clone()));
        if let Some(current) = observed.get(td).filter(|o| o.hash.as_deref() == Some(hash.as_str())) {
            return Ok(current.clone());
        }
        let entry = self.entry(td)?;
        let mut tags = naming::tags(self.ctx.stack, entry);
        tags.push((TAG_HASH.to_owned(), hash.clone()));
        let mut o = services::create(&self.ctx, entry, &props, &tags).await?;
        o.hash = Some(hash);
        Ok(o)
    }

    /// Moves the service to `revision` (a new deployment).
    async fn update_service(&self, live: &LiveService, revision: &str) -> Result<(), AwsError> {
        let req =
            self.ctx.clients.ecs.update_service().cluster(&live.cluster).service(&live.arn).task_definition(revision);
        self.ctx.retry(&live.name, "ecs:UpdateService", &[], || req.clone().send()).await?;
        Ok(())
    }

    /// Waits until the service has one deployment, of `revision`, as many tasks running as
    /// desired, and as many `healthy` targets in `tg` (none in a state but `healthy` or
    /// `draining`); `Err(Unhealthy)` when the circuit breaker fails the deployment or the health
    /// timeout passes first.
    async fn wait_steady(
        &self,
        live: &LiveService,
        revision: &str,
        tg: &str,
    ) -> Result<Result<(), Unhealthy>, AwsError> {
        let deadline = Instant::now() + self.options.health_timeout;
        loop {
            let s = service(&self.ctx, &self.service_id(live)).await?.ok_or_else(|| {
                self.state_error("-", format!("service `{}` disappeared during its deployment", live.name))
            })?;
            let deployments = s.aws.deployments();
            let primary = deployments.iter().find(|d| d.status() == Some("PRIMARY"));
            if let Some(d) = primary.filter(|d| d.rollout_state() == Some(&DeploymentRolloutState::Failed)) {
                return Ok(Err(Unhealthy(format!(
                    "the circuit breaker failed the deployment of {}: {}",
                    d.task_definition().unwrap_or("?"),
                    d.rollout_state_reason().unwrap_or("no reason given")
                ))));
            }
            // The service's task definition is its primary deployment's (moto updates only it).
            if let Some(other) = s.aws.task_definition().filter(|td| *td != revision) {
                return Err(self.state_error(
                    "-",
                    format!(
                        "service `{}` is deploying {other}, not {revision}: another deployment took over; resume once \
                         it has ended",
                        live.name
                    ),
                ));
            }
            let wanted = usize::try_from(s.aws.desired_count()).unwrap_or(0);
            let running = usize::try_from(s.aws.running_count()).unwrap_or(0);
            let states = self.target_states(tg, None).await?;
            let healthy = states.iter().filter(|(_, st, _)| st == "healthy").count();
            let bad = states.iter().filter(|(_, st, _)| st != "healthy" && st != "draining").count();
            let shown: Vec<String> = states
                .iter()
                .map(|(id, st, r)| if r.is_empty() { format!("{id}: {st}") } else { format!("{id}: {st} ({r})") })
                .collect();
            (self.progress)(&RolloutEvent::Health { healthy, wanted, states: shown.clone() });
            if deployments.len() == 1 && running >= wanted && healthy >= wanted && bad == 0 {
                return Ok(Ok(()));
            }
            if Instant::now() >= deadline {
                let seen = if shown.is_empty() { "no target registered".to_owned() } else { shown.join(", ") };
                return Ok(Err(Unhealthy(format!(
                    "not steady after {:.1} s: {} deployments, {running} of {wanted} tasks running, {healthy} of \
                     {wanted} targets healthy ({seen})",
                    self.options.health_timeout.as_secs_f64(),
                    deployments.len()
                ))));
            }
            tokio::time::sleep(self.options.timing.poll).await;
        }
    }

    /// The logical id `live` carries.
    fn service_id(&self, live: &LiveService) -> LogicalId {
        live.tag(TAG_ID).and_then(|id| LogicalId::new(id).ok()).unwrap_or_else(|| {
            self.plan
                .roles
                .iter()
                .find_map(|r| match &r.runs_on {
                    RunsOn::Service { service, .. } => Some(service.clone()),
                    RunsOn::Group { .. } | RunsOn::Instance(_) => None,
                })
                .expect("a deploy runs on a service role")
        })
    }

    /// The `ACTIVE` revisions of `running`'s family, newest first.
    async fn active_revisions(&self, role: &str, running: &str) -> Result<Vec<String>, AwsError> {
        let Some(family) = family_of(running) else {
            return Err(self.state_error(role, format!("`{running}` is not a task definition revision ARN")));
        };
        let ecs = &self.ctx.clients.ecs;
        services::paged_items(
            &self.ctx,
            role,
            "ecs:ListTaskDefinitions",
            |t| {
                ecs.list_task_definitions()
                    .family_prefix(family)
                    .status(TaskDefinitionStatus::Active)
                    .sort(SortOrder::Desc)
                    .set_next_token(t)
                    .send()
            },
            |o| (o.task_definition_arns(), o.next_token()),
        )
        .await
        .map(|arns| {
            // A family prefix also matches longer families.
            let mut arns: Vec<String> = arns.into_iter().filter(|a| family_of(a) == Some(family)).collect();
            arns.sort_by_key(|a| std::cmp::Reverse(revision_of(a).unwrap_or(0)));
            arns
        })
    }

    /// Deregisters the family's `ACTIVE` revisions beyond the `keep` newest, never `running`.
    async fn prune(&self, role: &str, running: &str, keep: usize) -> Result<Vec<String>, AwsError> {
        let old: Vec<String> =
            self.active_revisions(role, running).await?.into_iter().skip(keep).filter(|a| a != running).collect();
        for arn in &old {
            self.deregister(role, arn).await?;
        }
        Ok(old)
    }

    async fn deregister(&self, role: &str, arn: &str) -> Result<(), AwsError> {
        let req = self.ctx.clients.ecs.deregister_task_definition().task_definition(arn);
        self.ctx.retry(role, "ecs:DeregisterTaskDefinition", &[], || req.clone().send()).await?;
        Ok(())
    }

    /// The deployment is not steady and healthy (or a rollback was under way): the service back
    /// on the revision recorded before the deploy, with its hash, and the newer revisions
    /// deregistered.
    async fn roll_back_service(
        &mut self,
        role: &Role,
        live: &LiveService,
        reason: Option<String>,
    ) -> Result<(), AwsError> {
        let now = service(&self.ctx, &self.service_id(live)).await?;
        let live = now.as_ref().unwrap_or(live);
        let Some(previous) = live.tag(TAG_PREVIOUS).map(str::to_owned) else {
            return Err(self.state_error(
                &role.name,
                format!("rolling back, but service `{}` records no previous revision; redeploy the stack", live.name),
            ));
        };
        let reason = reason
            .or_else(|| live.tag(TAG_REASON).map(str::to_owned))
            .unwrap_or_else(|| "the deployment was not steady".to_owned());
        (self.progress)(&RolloutEvent::RollingBack { reason: reason.clone() });
        let ledger = [Ledger::Service(live.arn.clone())];
        let touches = vec![format!("service {}: back to {previous}", live.name)];
        let short: String = reason.chars().take(250).collect();
        let t = self.enter(Phase::RollBack, &ledger, &[(TAG_REASON, short)], touches).await?;
        self.update_service(live, &previous).await?;
        if let Some(hash) = live.tag(TAG_PREVIOUS_HASH).filter(|h| *h != "none") {
            self.write_tags(&ledger[0], &vec![(TAG_HASH.to_owned(), hash.to_owned())]).await?;
        }
        let floor = revision_of(&previous).unwrap_or(i64::MAX);
        for arn in self.active_revisions(&role.name, &previous).await? {
            if revision_of(&arn).is_some_and(|r| r > floor) {
                self.deregister(&role.name, &arn).await?;
            }
        }
        self.finish(Phase::RollBack, t)?;
        self.enter(Phase::RolledBack, &ledger, &[], Vec::new()).await?;
        Err(AwsError::ServiceRolledBack {
            stack: self.stack_name(),
            role: role.name.clone(),
            service: live.name.clone(),
            previous,
            reason,
        })
    }
}
