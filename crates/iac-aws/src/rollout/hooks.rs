//! One-off commands and host updates through SSM Run Command.

#[allow(clippy::wildcard_imports)] // the parent's types and imports
use super::*;

impl Run<'_> {
    /// Where a hook of `role` runs and is recorded.
    pub(super) async fn hook_target(&self, role: &Role) -> Result<(Ledger, String, Tags), AwsError> {
        match &role.runs_on {
            RunsOn::Instance(id) => {
                let (iid, tags) = instance(&self.ctx, id).await?.ok_or_else(|| {
                    self.state_error(&role.name, format!("instance `{id}` does not exist; deploy the stack first"))
                })?;
                Ok((Ledger::Instance(iid.clone()), iid, tags))
            }
            RunsOn::Service { .. } => Err(self.state_error(
                &role.name,
                "one-off commands and host updates run through SSM on an instance; an ECS service role has none \
                 (the plan's validation refuses them)",
            )),
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

    pub(super) async fn hook(
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

    pub(super) async fn send(&self, role: &Role, instance: &str, script: &str) -> Result<String, AwsError> {
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
    pub(super) async fn follow(
        &self,
        role: &Role,
        instance: &str,
        command_id: &str,
        shown: &str,
    ) -> Result<(), AwsError> {
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
}
