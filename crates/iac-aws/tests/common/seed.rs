//! Parts of the real seed stacks for the SDK engine's tests: the resources named and everything
//! they refer to (transitively), with the seed stack's name, environment, tags and parameters,
//! so a test deploys the seed's own resources without the kinds another adapter serves.

use iac_core::graph::Graph;
use iac_core::model::ResourceEntry;
use iac_core::{LogicalId, Stack, StackBuilder};

/// Seed stack `name`/`env` from its registry.
pub fn stack(name: &str, env: &str) -> Stack {
    stacks::registry().build(name, env, None).unwrap_or_else(|e| panic!("{name}/{env} builds: {e}"))
}

/// The resources `ids` of `seed` and everything they depend on, in the seed's order; `edit`
/// changes entries on the way (a config change, as a new version of the stack would make).
pub fn part(seed: &Stack, ids: &[&str], edit: impl Fn(&mut ResourceEntry)) -> Stack {
    let graph = Graph::new(seed).expect("the seed has a graph");
    let mut keep: Vec<LogicalId> = ids.iter().map(|i| LogicalId::new(*i).expect("id")).collect();
    let mut i = 0;
    while i < keep.len() {
        let deps: Vec<LogicalId> = graph.dependencies(&keep[i]).cloned().collect();
        for d in deps {
            if !keep.contains(&d) {
                keep.push(d);
            }
        }
        i += 1;
    }
    let mut b = StackBuilder::new(seed.name(), seed.env());
    for (k, v) in seed.tags() {
        b.tag(k.clone(), v.clone());
    }
    for (id, p) in seed.parameters() {
        b.parameter(id.as_str(), p.clone());
    }
    for e in seed.resources().filter(|e| keep.contains(&e.id)) {
        let mut e = e.clone();
        edit(&mut e);
        b.add_entry(e);
    }
    b.build().expect("the part builds")
}
