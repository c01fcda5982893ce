//! The engine: discover what exists, plan, apply along the dependency graph in parallel (a
//! bounded number of resources in flight), destroy in reverse order, and report drift.
//!
//! Apply is idempotent and resumable: every resource is tagged when it is created, so a rerun
//! after an interruption discovers what was done and plans only the rest. Stateful resources
//! (RDS) are never replaced or deleted without [`Options::allow_data_loss`], and then only after a
//! final snapshot (taken by the service module). A replacement deletes the old resource first,
//! except for kinds that are replaced beside the old one
//! ([`crate::adapter::Adapter::REPLACE_BESIDE`], ECS task definitions): the new one is created,
//! everything that refers to it is applied, and the old one is deleted at the end of the apply.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use iac_core::diag::has_errors;
use iac_core::graph::Graph;
use iac_core::model::spec;
use iac_core::stack::Stack;
use iac_core::validate::validate;
use iac_core::{CoreError, LogicalId, naming};
use serde::Serialize;
use serde_json::{Map, Value as Json};
use tokio::task::JoinSet;

use crate::clients::Clients;
use crate::desired::{self, Facts};
use crate::error::AwsError;
use crate::plan::{Action, Change, Plan};
use crate::services::{self, Ctx, Timing};
use crate::state::{Observed, TAG_HASH, Tags};

/// How the engine runs.
#[derive(Debug, Clone)]
pub struct Options {
    /// Resources worked on at the same time.
    pub concurrency: usize,
    /// Allow replacing or deleting stateful resources (after a final snapshot).
    pub allow_data_loss: bool,
    /// Values of the stack's parameters (defaults fill the rest).
    pub params: BTreeMap<String, String>,
    /// Polling and retry timing.
    pub timing: Timing,
    /// Test hook: stop (as if killed at a resource boundary) after this many resources are done.
    #[cfg(feature = "testing")]
    pub fault_after: Option<usize>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            concurrency: 8,
            allow_data_loss: false,
            params: BTreeMap::new(),
            timing: Timing::default(),
            #[cfg(feature = "testing")]
            fault_after: None,
        }
    }
}

/// How long what a plan discovered stays good for the apply that follows it (`deploy apply`
/// plans, asks, then applies): older, the apply discovers again.
pub const FRESH: Duration = Duration::from_mins(1);

/// What a plan found: the stack's resources that exist and the region's availability zones.
#[derive(Debug)]
pub struct Discovered {
    observed: HashMap<LogicalId, Observed>,
    zones: Vec<String>,
    at: Instant,
}

/// A progress event, for the caller to print.
#[derive(Debug, Clone, Serialize)]
pub enum Event {
    /// Work on a resource started.
    Started {
        /// Logical id.
        id: String,
        /// `create`, `update`, `replace` or `delete`.
        action: &'static str,
    },
    /// Work on a resource finished.
    Finished {
        /// Logical id.
        id: String,
        /// What was done.
        action: &'static str,
        /// How long it took.
        seconds: f64,
    },
}

/// What an apply or destroy did.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Resources created, updated, replaced or deleted.
    pub changed: usize,
    /// Wall time.
    pub seconds: f64,
    /// Time of each resource's own work, by id.
    pub durations: BTreeMap<String, f64>,
    /// SDK calls made (every attempt, retries included).
    pub calls: usize,
    /// What was kept of the resources that hold data and were deleted or replaced: a final
    /// snapshot, or the resource itself detached from the stack (see [`kept`]).
    pub kept: Vec<String>,
}

/// A property changed outside the tool.
#[derive(Debug, Clone, Serialize)]
pub struct Drift {
    /// Logical id.
    pub id: String,
    /// Properties that differ from the stack.
    pub properties: Vec<String>,
    /// Or: the resource is gone.
    pub missing: bool,
}

/// Progress callback.
pub type Progress<'a> = &'a (dyn Fn(&Event) + Sync);

/// The engine for one stack.
#[derive(Debug, Clone)]
pub struct Engine {
    clients: Clients,
    stack: Arc<Stack>,
    template: Arc<Json>,
    graph: Arc<Graph>,
    options: Options,
    /// Whether the template uses `AWS::AccountId`.
    uses_account: bool,
    /// The account, looked up once (through STS) when the template uses it.
    account: Arc<tokio::sync::OnceCell<String>>,
}

impl Engine {
    /// Validates the stack (errors stop here) and prepares its desired state.
    pub fn new(clients: Clients, stack: Stack, options: Options) -> Result<Self, AwsError> {
        let diagnostics = validate(&stack);
        if has_errors(&diagnostics) {
            return Err(CoreError::Invalid { stack: stack.name().to_owned(), diagnostics }.into());
        }
        crate::check_supported(&stack)?;
        stack.check_params(options.params.iter().map(|(k, v)| (k.as_str(), v.as_str())))?;
        let template = iac_render::cloudformation::template(&stack)?;
        let graph = Graph::new(&stack)?;
        let uses_account = uses_account(&template["Resources"]);
        Ok(Self {
            clients,
            stack: Arc::new(stack),
            template: Arc::new(template),
            graph: Arc::new(graph),
            options,
            uses_account,
            account: Arc::new(tokio::sync::OnceCell::new()),
        })
    }

    /// The account id, looked up once per engine through STS `GetCallerIdentity` when the
    /// stack uses `AWS::AccountId` (`None` when it does not: no call is made).
    pub async fn account(&self) -> Result<Option<&str>, AwsError> {
        if !self.uses_account {
            return Ok(None);
        }
        let account = self
            .account
            .get_or_try_init(|| async {
                let sts = &self.clients.sts;
                let out = sts.get_caller_identity().send().await.map_err(|e| AwsError::Account {
                    stack: self.stack.name().to_owned(),
                    source: crate::error::SdkFailure::new(e),
                })?;
                out.account().map(str::to_owned).ok_or_else(|| AwsError::Unexpected {
                    stack: self.stack.name().to_owned(),
                    id: "-".into(),
                    action: "sts:GetCallerIdentity".into(),
                    message: "the answer names no account; `AWS::AccountId` cannot be resolved".into(),
                })
            })
            .await?;
        Ok(Some(account.as_str()))
    }

    /// The stack.
    pub fn stack(&self) -> &Stack {
        &self.stack
    }

    /// The clients (tests read the call counter and inspect AWS through them).
    pub fn clients(&self) -> &Clients {
        &self.clients
    }

    fn ctx(&self) -> Ctx<'_> {
        Ctx { clients: &self.clients, stack: &self.stack, timing: self.options.timing }
    }

    /// What desired properties are resolved against: this stack and its parameters, in this
    /// region, with `zones` and the resources `observed`.
    fn facts<'a>(&'a self, zones: &'a [String], observed: &'a HashMap<LogicalId, Observed>) -> Facts<'a> {
        Facts {
            stack: &self.stack,
            params: &self.options.params,
            region: &self.clients.region,
            account: self.account.get().map(String::as_str),
            zones,
            observed,
        }
    }

    fn props(&self, id: &LogicalId) -> &Json {
        &self.template["Resources"][id.as_str()]["Properties"]
    }

    /// Everything of this stack and environment that exists, by logical id. A resource of the
    /// stack is matched by id *and* type (instances an ASG launched carry the ASG's id through
    /// tag propagation, but are not the ASG); two matches for one id are an error, never a
    /// silent pick.
    pub async fn discover(&self) -> Result<HashMap<LogicalId, Observed>, AwsError> {
        let found = services::discover(&self.ctx()).await?;
        let mut out: HashMap<LogicalId, Observed> = HashMap::new();
        for o in found {
            let wanted = self.template["Resources"][o.id.as_str()]["Type"].as_str();
            if wanted.is_some_and(|t| t != o.cfn_type) {
                continue;
            }
            if let Some(other) = out.get(&o.id) {
                let what = if o.cfn_type == "AWS::AutoScaling::AutoScalingGroup" {
                    "a blue/green rollout is under way or was stopped half-way: finish it with `rollout --resume` \
                     (which ends with one group)"
                } else {
                    "delete or re-tag the stray one"
                };
                return Err(AwsError::Resolve {
                    stack: self.stack.name().to_owned(),
                    id: o.id.to_string(),
                    property: "iac:id".into(),
                    message: format!(
                        "two resources carry this id: {} and {}; {what}",
                        other.physical_id, o.physical_id
                    ),
                });
            }
            out.insert(o.id.clone(), o);
        }
        Ok(out)
    }

    async fn zones(&self) -> Result<Vec<String>, AwsError> {
        let out = self
            .ctx()
            .retry("-", "ec2:DescribeAvailabilityZones", &[], || self.clients.ec2.describe_availability_zones().send())
            .await?;
        let mut zones: Vec<String> =
            out.availability_zones().iter().filter_map(|z| z.zone_name().map(str::to_owned)).collect();
        zones.sort();
        Ok(zones)
    }

    /// What the plan found, when it is fresh ([`FRESH`]); otherwise everything is discovered
    /// again. With the region's zones.
    async fn found(&self, plan: &Plan) -> Result<(HashMap<LogicalId, Observed>, Vec<String>), AwsError> {
        if let Some(d) = plan.discovered.as_deref().filter(|d| d.at.elapsed() <= FRESH) {
            Ok((d.observed.clone(), d.zones.clone()))
        } else {
            tokio::try_join!(self.discover(), self.zones())
        }
    }

    /// The stack's resources, those with the longest chain of dependents first (then in
    /// dependency order): when more are ready than `--concurrency` allows, the ones the most
    /// work waits on start first, so the apply follows the critical path.
    fn by_height(&self) -> Vec<LogicalId> {
        let order = self.graph.order();
        let mut height: HashMap<&LogicalId, usize> = HashMap::new();
        for id in order.iter().rev() {
            let h = 1 + self.graph.dependents(id).filter_map(|d| height.get(d)).max().copied().unwrap_or(0);
            height.insert(id, h);
        }
        let mut sorted: Vec<(usize, usize, &LogicalId)> =
            order.iter().enumerate().map(|(i, id)| (usize::MAX - height[id], i, id)).collect();
        sorted.sort_unstable();
        sorted.into_iter().map(|(_, _, id)| id.clone()).collect()
    }

    /// The plan: one decision per resource of the stack, then deletions of what is tagged as
    /// this stack's but no longer in it.
    pub async fn plan(&self) -> Result<Plan, AwsError> {
        let (observed, zones) = tokio::try_join!(self.discover(), self.zones())?;
        self.account().await?;
        let facts = self.facts(&zones, &observed);
        let mut changes = Vec::new();
        for entry in self.stack.resources() {
            let desired = desired::resolve(&facts, entry.id.as_str(), self.props(&entry.id), false)?;
            // Every property must be one the kind's adapter handles: refused here, before
            // anything is applied, never dropped.
            services::check(&self.stack, entry, desired.as_object().unwrap_or(&Map::new()))?;
            let cfn_type =
                self.template["Resources"][entry.id.as_str()]["Type"].as_str().unwrap_or_default().to_owned();
            let current = observed.get(&entry.id);
            let action = match current {
                None => Action::Create,
                Some(o) => decide(&desired, o),
            };
            let data_loss = entry.resource.is_stateful() && matches!(action, Action::Replace { .. });
            changes.push(Change {
                id: entry.id.to_string(),
                cfn_type,
                physical_id: current.map(|o| o.physical_id.clone()),
                nested: None,
                action,
                data_loss,
            });
        }
        // A replaced resource gets a new identity: what refers to it is applied again.
        let replaced: HashSet<String> =
            changes.iter().filter(|c| matches!(c.action, Action::Replace { .. })).map(|c| c.id.clone()).collect();
        for c in &mut changes {
            let Ok(id) = LogicalId::new(c.id.as_str()) else { continue };
            if c.action == Action::Unchanged && self.graph.dependencies(&id).any(|d| replaced.contains(d.as_str())) {
                c.action = Action::Update { changes: vec!["(a dependency is replaced)".into()] };
            }
        }
        let mut orphans: Vec<&Observed> = observed.values().filter(|o| self.stack.resource(&o.id).is_none()).collect();
        orphans.sort_by_key(|o| (type_rank(&o.cfn_type), o.id.clone()));
        for o in orphans {
            changes.push(Change {
                id: o.id.to_string(),
                cfn_type: o.cfn_type.clone(),
                physical_id: Some(o.physical_id.clone()),
                nested: None,
                action: Action::Delete,
                data_loss: is_stateful_type(&o.cfn_type),
            });
        }
        Ok(Plan {
            stack: self.stack.name().to_owned(),
            env: self.stack.env().to_owned(),
            changes,
            notes: Vec::new(),
            discovered: Some(Arc::new(Discovered { observed, zones, at: Instant::now() })),
        })
    }

    fn refuse_data_loss(&self, plan: &Plan, action: &'static str) -> Result<(), AwsError> {
        let ids: Vec<String> = plan.changes.iter().filter(|c| c.data_loss).map(|c| c.id.clone()).collect();
        if ids.is_empty() || self.options.allow_data_loss {
            Ok(())
        } else {
            Err(AwsError::DataLoss { stack: self.stack.name().to_owned(), action, ids })
        }
    }

    /// Carries out `plan` along the graph, `concurrency` resources at a time.
    pub async fn apply(&self, plan: &Plan, progress: Progress<'_>) -> Result<Report, AwsError> {
        self.refuse_data_loss(plan, "replace or delete")?;
        let started_at = Instant::now();
        let calls_before = self.clients.calls();
        let (found, zones) = self.found(plan).await?;
        let observed = Arc::new(Mutex::new(found));
        // Replaced resources kept until the end (see `Adapter::REPLACE_BESIDE`).
        let retired: Arc<Mutex<Vec<Observed>>> = Arc::new(Mutex::new(Vec::new()));
        let zones = Arc::new(zones);
        self.account().await?;
        let actions: HashMap<&str, &Action> = plan.changes.iter().map(|c| (c.id.as_str(), &c.action)).collect();

        let mut done: HashSet<LogicalId> = HashSet::new();
        let mut running: HashSet<LogicalId> = HashSet::new();
        let mut durations = BTreeMap::new();
        let mut changed = 0;
        let mut tasks: JoinSet<ApplyTask> = JoinSet::new();
        let order = self.by_height();
        loop {
            for id in &order {
                if done.contains(id) || running.contains(id) || tasks.len() >= self.options.concurrency.max(1) {
                    continue;
                }
                if !self.graph.dependencies(id).all(|d| done.contains(d)) {
                    continue;
                }
                let action = actions.get(id.as_str()).copied().cloned().unwrap_or(Action::Create);
                if action == Action::Unchanged {
                    done.insert(id.clone());
                    continue;
                }
                let verb = verb(&action);
                progress(&Event::Started { id: id.to_string(), action: verb });
                running.insert(id.clone());
                let engine = self.clone();
                let id = id.clone();
                let observed = Arc::clone(&observed);
                let zones = Arc::clone(&zones);
                let retired = Arc::clone(&retired);
                tasks.spawn(async move {
                    let t = Instant::now();
                    let result = Box::pin(engine.apply_one(&id, &action, &observed, &zones, &retired)).await;
                    (id, verb, t.elapsed().as_secs_f64(), result)
                });
            }
            if tasks.is_empty() {
                if done.len() >= order.len() {
                    break;
                }
                // Everything left is unchanged (marked above) or waiting: loop again.
                if order.iter().all(|id| done.contains(id) || running.contains(id)) {
                    break;
                }
                continue;
            }
            let Some(joined) = tasks.join_next().await else { break };
            let (id, verb, seconds, result) = joined.expect("engine tasks do not panic");
            running.remove(&id);
            match result {
                Ok(Some(o)) => {
                    observed.lock().expect("not poisoned").insert(id.clone(), o);
                }
                Ok(None) => {}
                Err(e) => {
                    // Let the others finish what they started, then report.
                    while let Some(j) = tasks.join_next().await {
                        if let Ok((oid, _, _, Ok(Some(o)))) = j {
                            observed.lock().expect("not poisoned").insert(oid, o);
                        }
                    }
                    return Err(e);
                }
            }
            progress(&Event::Finished { id: id.to_string(), action: verb, seconds });
            durations.insert(id.to_string(), seconds);
            done.insert(id);
            changed += 1;
            #[cfg(feature = "testing")]
            if self.options.fault_after.is_some_and(|n| changed >= n) {
                // Stop at a resource boundary: what is in flight finishes, nothing new starts.
                // (A kill in the middle of a create call can leave a second copy once the rerun
                // creates it again; discovery then stops with an error naming both.)
                while tasks.join_next().await.is_some() {}
                return Err(AwsError::FaultInjected(changed));
            }
        }
        // Replaced resources whose successors were created beside them: everything that
        // referred to them has been applied by now.
        let old: Vec<Observed> = std::mem::take(&mut *retired.lock().expect("not poisoned"));
        self.delete_retired(&old, progress).await?;
        // Resources tagged as ours but gone from the stack, dependents first.
        for c in plan.changes.iter().filter(|c| c.action == Action::Delete) {
            let Ok(id) = LogicalId::new(c.id.as_str()) else { continue };
            let current = observed.lock().expect("not poisoned").get(&id).cloned();
            if let Some(current) = current {
                progress(&Event::Started { id: c.id.clone(), action: "delete" });
                let t = Instant::now();
                services::delete(&self.ctx(), &current).await?;
                progress(&Event::Finished { id: c.id.clone(), action: "delete", seconds: t.elapsed().as_secs_f64() });
                changed += 1;
            }
        }
        Ok(Report {
            changed,
            seconds: started_at.elapsed().as_secs_f64(),
            durations,
            calls: self.clients.calls() - calls_before,
            kept: plan.kept(),
        })
    }

    /// Deletes the resources a replacement left beside their successors
    /// ([`crate::adapter::Adapter::REPLACE_BESIDE`]), once their dependants have moved.
    async fn delete_retired(&self, old: &[Observed], progress: Progress<'_>) -> Result<(), AwsError> {
        for o in old {
            progress(&Event::Started { id: o.id.to_string(), action: "delete" });
            let t = Instant::now();
            services::delete(&self.ctx(), o).await?;
            progress(&Event::Finished { id: o.id.to_string(), action: "delete", seconds: t.elapsed().as_secs_f64() });
        }
        Ok(())
    }

    async fn apply_one(
        &self,
        id: &LogicalId,
        action: &Action,
        observed: &Mutex<HashMap<LogicalId, Observed>>,
        zones: &[String],
        retired: &Mutex<Vec<Observed>>,
    ) -> Result<Option<Observed>, AwsError> {
        let snapshot = observed.lock().expect("not poisoned").clone();
        let facts = self.facts(zones, &snapshot);
        let desired = desired::resolve(&facts, id.as_str(), self.props(id), true)?;
        let hash = desired::hash(&desired);
        let entry = self.stack.resource(id).expect("planned resources are in the stack");
        let mut tags: Tags = naming::tags(&self.stack, entry);
        tags.push((TAG_HASH.to_owned(), hash.clone()));
        let props = desired.as_object().cloned().unwrap_or_default();
        let ctx = self.ctx();
        let current = snapshot.get(id);
        let mut result = match (action, current) {
            (Action::Update { .. }, Some(c)) => services::update(&ctx, entry, c, &props, &tags).await?,
            (Action::Replace { .. }, Some(c)) if services::replaces_beside(c) => {
                // The new one first; the old one goes once its dependants have moved.
                let new = services::create(&ctx, entry, &props, &tags).await?;
                retired.lock().expect("not poisoned").push(c.clone());
                new
            }
            (Action::Replace { .. }, Some(c)) => {
                services::delete(&ctx, c).await?;
                services::create(&ctx, entry, &props, &tags).await?
            }
            _ => services::create(&ctx, entry, &props, &tags).await?,
        };
        result.hash = Some(hash);
        Ok(Some(result))
    }

    /// Deletes everything of the stack that exists, dependents first, `concurrency` at a time.
    pub async fn destroy(&self, progress: Progress<'_>) -> Result<Report, AwsError> {
        let started_at = Instant::now();
        let calls_before = self.clients.calls();
        let observed = self.discover().await?;
        // A resource of the stack answers for itself (a read replica holds no data of its own);
        // an orphan by its type.
        let stateful: Vec<String> = observed
            .values()
            .filter(|o| {
                self.stack.resource(&o.id).map_or_else(|| is_stateful_type(&o.cfn_type), |e| e.resource.is_stateful())
            })
            .map(|o| o.id.to_string())
            .collect();
        if !stateful.is_empty() && !self.options.allow_data_loss {
            return Err(AwsError::DataLoss { stack: self.stack.name().to_owned(), action: "delete", ids: stateful });
        }
        let mut durations = BTreeMap::new();
        let mut changed = 0;
        let mut kept_list: Vec<String> = Vec::new();
        // Orphans (tagged, no longer in the stack) first, by type rank; then the stack in reverse.
        let mut orphans: Vec<&Observed> = observed.values().filter(|o| self.stack.resource(&o.id).is_none()).collect();
        orphans.sort_by_key(|o| (type_rank(&o.cfn_type), o.id.clone()));
        for o in orphans {
            progress(&Event::Started { id: o.id.to_string(), action: "delete" });
            let t = Instant::now();
            services::delete(&self.ctx(), o).await?;
            progress(&Event::Finished { id: o.id.to_string(), action: "delete", seconds: t.elapsed().as_secs_f64() });
            kept_list.extend(kept(&o.id, &o.cfn_type, &o.physical_id));
            changed += 1;
        }
        let mut gone: HashSet<LogicalId> =
            self.graph.order().iter().filter(|id| !observed.contains_key(*id)).cloned().collect();
        let mut running: HashSet<LogicalId> = HashSet::new();
        let mut tasks: JoinSet<(LogicalId, f64, Result<(), AwsError>)> = JoinSet::new();
        let order: Vec<LogicalId> = self.graph.reverse_order().cloned().collect();
        loop {
            for id in &order {
                if gone.contains(id) || running.contains(id) || tasks.len() >= self.options.concurrency.max(1) {
                    continue;
                }
                if !self.graph.dependents(id).all(|d| gone.contains(d)) {
                    continue;
                }
                let Some(current) = observed.get(id).cloned() else { continue };
                progress(&Event::Started { id: id.to_string(), action: "delete" });
                running.insert(id.clone());
                let engine = self.clone();
                let id = id.clone();
                tasks.spawn(async move {
                    let t = Instant::now();
                    let r = services::delete(&engine.ctx(), &current).await;
                    (id, t.elapsed().as_secs_f64(), r)
                });
            }
            let Some(joined) = tasks.join_next().await else { break };
            let (id, seconds, result) = joined.expect("engine tasks do not panic");
            if let Err(e) = result {
                while tasks.join_next().await.is_some() {}
                return Err(e);
            }
            running.remove(&id);
            progress(&Event::Finished { id: id.to_string(), action: "delete", seconds });
            if let Some(o) = observed.get(&id) {
                kept_list.extend(kept(&o.id, &o.cfn_type, &o.physical_id));
            }
            durations.insert(id.to_string(), seconds);
            gone.insert(id);
            changed += 1;
        }
        Ok(Report {
            changed,
            seconds: started_at.elapsed().as_secs_f64(),
            durations,
            calls: self.clients.calls() - calls_before,
            kept: kept_list,
        })
    }

    /// Properties that differ between AWS and the stack, for resources that exist.
    pub async fn drift(&self) -> Result<Vec<Drift>, AwsError> {
        let observed = self.discover().await?;
        let zones = self.zones().await?;
        self.account().await?;
        let facts = self.facts(&zones, &observed);
        let mut out = Vec::new();
        for entry in self.stack.resources() {
            match observed.get(&entry.id) {
                None => out.push(Drift { id: entry.id.to_string(), properties: Vec::new(), missing: true }),
                Some(o) => {
                    let desired = desired::resolve(&facts, entry.id.as_str(), self.props(&entry.id), false)?;
                    let properties = desired::changed(&desired, &o.props);
                    if !properties.is_empty() {
                        out.push(Drift { id: entry.id.to_string(), properties, missing: false });
                    }
                }
            }
        }
        Ok(out)
    }

    /// The desired properties of `id`, resolved against `observed` (the inventory test compares
    /// these with what AWS reports).
    pub fn desired(
        &self,
        id: &LogicalId,
        observed: &HashMap<LogicalId, Observed>,
        zones: &[String],
    ) -> Result<Map<String, Json>, AwsError> {
        let facts = self.facts(zones, observed);
        Ok(desired::resolve(&facts, id.as_str(), self.props(id), true)?.as_object().cloned().unwrap_or_default())
    }

    /// The availability zones the engine resolves `Fn::GetAZs` with.
    pub async fn availability_zones(&self) -> Result<Vec<String>, AwsError> {
        self.zones().await
    }

    /// The sum of all resources' own durations and the critical path under them.
    pub fn critical_path(&self, durations: &BTreeMap<String, f64>) -> (Duration, Vec<LogicalId>) {
        let (micros, path) = self.graph.critical_path(&self.stack, |e| {
            durations
                .get(e.id.as_str())
                .map_or(0, |s| u64::try_from(Duration::from_secs_f64(*s).as_micros()).unwrap_or(u64::MAX))
        });
        (Duration::from_micros(micros), path)
    }
}

/// What an apply task hands back: the resource, the verb, its seconds and what it observed.
type ApplyTask = (LogicalId, &'static str, f64, Result<Option<Observed>, AwsError>);

/// Whether `v` (the template's resources) uses `AWS::AccountId` anywhere.
fn uses_account(v: &Json) -> bool {
    match v {
        Json::Object(o) => o.iter().any(|(k, x)| (k == "Ref" && x == "AWS::AccountId") || uses_account(x)),
        Json::Array(a) => a.iter().any(uses_account),
        _ => false,
    }
}

fn decide(desired: &Json, o: &Observed) -> Action {
    let hash = desired::hash(desired);
    let changes = desired::changed(desired, &o.props);
    // The hash is written when a resource is created; a process killed between the create call
    // and its follow-up calls leaves the right hash on a half-configured resource, so what is
    // read back must agree too.
    if changes.is_empty() && (o.hash.is_none() || o.hash.as_deref() == Some(hash.as_str())) {
        return Action::Unchanged;
    }
    // The kind's replacement triggers (its spec) decide; the first changed one gives the reason.
    let spec = spec::by_cloudformation_type(&o.cfn_type);
    if let Some(trigger) = changes.iter().find_map(|c| spec.and_then(|s| s.replacement(c))) {
        return Action::Replace { reason: trigger.reason() };
    }
    if changes.is_empty() {
        // Something not read back changed (a tag, a nested setting): re-apply in place.
        return Action::Update { changes: vec!["(properties not read back)".into()] };
    }
    Action::Update { changes }
}

fn verb(action: &Action) -> &'static str {
    match action {
        Action::Create => "create",
        Action::Update { .. } => "update",
        Action::Replace { .. } => "replace",
        Action::Delete => "delete",
        Action::Unchanged => "unchanged",
    }
}

/// What deleting (or replacing) resource `id` of `cfn_type`, physically `physical`, kept, by its
/// kind's spec ([`spec::Keep`]); `None` for kinds that hold no data. Every stateful adapter
/// names its final snapshot `<physical>-final-<unix seconds>` (an EBS snapshot carries it as its
/// `Name` tag), and a retained resource loses its `iac:stack`/`iac:env`/`iac:id`/`iac:hash`
/// tags for `iac:retained` = `<stack>/<env>/<id>`.
pub fn kept(id: &LogicalId, cfn_type: &str, physical: &str) -> Option<String> {
    let kind = spec::by_cloudformation_type(cfn_type)?;
    match kind.data {
        spec::Data::None => None,
        spec::Data::Holds { keep: spec::Keep::Snapshot } => {
            Some(format!("{id}: {} `{physical}`: final snapshot `{physical}-final-<unix seconds>`", kind.label))
        }
        spec::Data::Holds { keep: spec::Keep::Retain } => Some(format!(
            "{id}: {} `{physical}`: kept with its data, detached from the stack (tag `{}`)",
            kind.label,
            crate::state::TAG_RETAINED
        )),
    }
}

/// True when a resource of this CloudFormation type holds data (its kind's spec).
fn is_stateful_type(cfn_type: &str) -> bool {
    spec::by_cloudformation_type(cfn_type).is_some_and(|k| matches!(k.data, spec::Data::Holds { .. }))
}

/// Deletion order of orphans, whose dependencies are no longer in the stack: dependents first
/// (the kinds' [`spec::KindSpec::teardown`] ranks; unknown types last).
fn type_rank(cfn_type: &str) -> u8 {
    spec::by_cloudformation_type(cfn_type).map_or(u8::MAX, |k| k.teardown)
}
