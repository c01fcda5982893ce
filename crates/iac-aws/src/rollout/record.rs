//! The rollout's record in the tags: what one resource's tags say, where the last rollout is,
//! and the scan of every role's resources.

#[allow(clippy::wildcard_imports)] // the parent's types and imports
use super::*;

/// What a resource's rollout tags say.
#[derive(Debug, Clone)]
pub(super) struct Record {
    pub(super) rollout: String,
    pub(super) step: usize,
    pub(super) steps: usize,
    pub(super) phase: Phase,
    pub(super) ami: String,
    pub(super) version: String,
    pub(super) roles: Vec<String>,
}

impl Record {
    pub(super) fn read(tags: &[(String, String)]) -> Option<Self> {
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

    pub(super) fn tags(&self) -> Tags {
        let mut tags = vec![
            (TAG_ROLLOUT.to_owned(), self.rollout.clone()),
            (TAG_STEP.to_owned(), format!("{}/{}", self.step, self.steps)),
            (TAG_PHASE.to_owned(), self.phase.as_str().to_owned()),
            (TAG_AMI.to_owned(), self.ami.clone()),
            (TAG_VERSION.to_owned(), self.version.clone()),
            (TAG_ROLES.to_owned(), if self.roles.is_empty() { ALL_ROLES.to_owned() } else { self.roles.join(",") }),
        ];
        // An ECS-only rollout has no AMI (and tag values are never empty: moto refuses them).
        tags.retain(|(k, v)| k != TAG_AMI || !v.is_empty());
        tags
    }

    pub(super) fn is_same_rollout(&self, other: &Record) -> bool {
        self.rollout == other.rollout
    }
}

/// Where the last rollout is: its most advanced record.
#[derive(Debug, Clone)]
pub(super) struct Position {
    pub(super) record: Record,
    pub(super) phase: Phase,
}

impl Position {
    pub(super) fn last(records: &[Record]) -> Option<Self> {
        let key = |r: &Record| (r.rollout.parse::<u64>().unwrap_or(0), r.rollout.clone());
        let newest = records.iter().map(key).max()?;
        let mine: Vec<&Record> = records.iter().filter(|r| key(r) == newest).collect();
        let step = mine.iter().map(|r| r.step).max()?;
        let at_step: Vec<&&Record> = mine.iter().filter(|r| r.step == step).collect();
        let phase = at_step.iter().map(|r| r.phase).max()?;
        let record: Record = (**at_step.iter().find(|r| r.phase == phase)?).clone();
        Some(Self { record, phase })
    }

    pub(super) fn finished(&self) -> bool {
        self.phase == Phase::RolledBack || (self.phase == Phase::Done && self.record.step + 1 >= self.record.steps)
    }
}

/// The rollout records on every resource of the plan's roles.
pub(super) async fn scan(ctx: &Ctx<'_>, plan: &RolloutPlan) -> Result<Vec<Record>, AwsError> {
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
            RunsOn::Service { service: id, .. } => {
                if let Some(s) = service(ctx, id).await? {
                    out.extend(Record::read(&s.tags));
                }
            }
        }
    }
    Ok(out)
}
