//! The dependency graph of a stack: edges come from references and explicit `depends_on`.
//!
//! Gives a deterministic topological order (ties broken by insertion order), the reverse order
//! for destroy, a cycle error that names the cycle, the critical path under a cost function
//! (the SDK engine uses estimated creation times), and every edge with why it is there (the
//! attributes referred to, or `depends_on`), which `synth --target graph` draws.

use indexmap::{IndexMap, IndexSet};

use crate::error::CoreError;
use crate::id::LogicalId;
use crate::model::ResourceEntry;
use crate::stack::Stack;
use crate::value::Attr;

/// Why one resource depends on another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Because {
    /// It refers to this attribute of the other.
    Attr(Attr),
    /// It names the other in `depends_on`.
    DependsOn,
}

/// One edge of the graph: `from` depends on `to`, for the reasons in `because` (the attributes
/// in the order `from` first refers to them, then `depends_on`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edge<'a> {
    /// The resource that depends.
    pub from: &'a LogicalId,
    /// The resource it depends on.
    pub to: &'a LogicalId,
    /// Why, never empty.
    pub because: Vec<Because>,
}

/// Dependencies between the resources of one stack.
#[derive(Debug, Clone)]
pub struct Graph {
    /// For each resource (insertion order), the resources it depends on (first-use order).
    deps: IndexMap<LogicalId, IndexSet<LogicalId>>,
    order: Vec<LogicalId>,
}

impl Graph {
    /// Builds the graph. References to unknown ids are ignored here (validation reports them).
    pub fn new(stack: &Stack) -> Result<Self, CoreError> {
        let mut deps: IndexMap<LogicalId, IndexSet<LogicalId>> = IndexMap::new();
        for entry in stack.resources() {
            let mut set = IndexSet::new();
            for r in entry.resource.refs().attrs {
                if r.id != entry.id && stack.resource(&r.id).is_some() {
                    set.insert(r.id);
                }
            }
            for d in &entry.depends_on {
                if stack.resource(d).is_some() {
                    set.insert(d.clone());
                }
            }
            deps.insert(entry.id.clone(), set);
        }
        let order = topo_order(&deps).map_err(|cycle| CoreError::Cycle { stack: stack.name().to_owned(), cycle })?;
        Ok(Self { deps, order })
    }

    /// What `id` depends on directly.
    pub fn dependencies(&self, id: &LogicalId) -> impl Iterator<Item = &LogicalId> {
        self.deps.get(id).into_iter().flatten()
    }

    /// What depends on `id` directly.
    pub fn dependents<'a>(&'a self, id: &'a LogicalId) -> impl Iterator<Item = &'a LogicalId> + 'a {
        self.deps.iter().filter(move |(_, d)| d.contains(id)).map(|(k, _)| k)
    }

    /// Every edge, in stack order of `from` and then first-use order of `to`, with its reasons.
    pub fn edges<'a>(&'a self, stack: &Stack) -> Vec<Edge<'a>> {
        let mut out = Vec::new();
        for (from, deps) in &self.deps {
            let entry = stack.resource(from);
            let refs = entry.map(|e| e.resource.refs().attrs).unwrap_or_default();
            for to in deps {
                let mut because: Vec<Because> = Vec::new();
                for r in refs.iter().filter(|r| &r.id == to) {
                    if !because.contains(&Because::Attr(r.attr)) {
                        because.push(Because::Attr(r.attr));
                    }
                }
                if entry.is_some_and(|e| e.depends_on.contains(to)) {
                    because.push(Because::DependsOn);
                }
                out.push(Edge { from, to, because });
            }
        }
        out
    }

    /// Creation order: every resource after all it depends on.
    pub fn order(&self) -> &[LogicalId] {
        &self.order
    }

    /// Deletion order: the reverse of [`Graph::order`].
    pub fn reverse_order(&self) -> impl Iterator<Item = &LogicalId> {
        self.order.iter().rev()
    }

    /// The longest chain by `cost` (e.g. seconds to create each resource): its total and the
    /// resources on it, first to last. Ties go to the earlier resource.
    pub fn critical_path(&self, stack: &Stack, cost: impl Fn(&ResourceEntry) -> u64) -> (u64, Vec<LogicalId>) {
        let mut finish: IndexMap<&LogicalId, (u64, Option<&LogicalId>)> = IndexMap::new();
        for id in &self.order {
            let own = stack.resource(id).map_or(0, &cost);
            let (start, via) = self
                .dependencies(id)
                .filter_map(|d| finish.get(d).map(|(t, _)| (*t, d)))
                .fold((0, None), |best, (t, d)| if t > best.0 { (t, Some(d)) } else { best });
            finish.insert(id, (start + own, via));
        }
        let Some((mut at, (total, _))) =
            finish.iter().fold(None, |best: Option<(&LogicalId, (u64, Option<&LogicalId>))>, (k, v)| match best {
                Some((_, b)) if b.0 >= v.0 => best,
                _ => Some((k, *v)),
            })
        else {
            return (0, Vec::new());
        };
        let mut path = vec![at.clone()];
        while let Some(Some(prev)) = finish.get(at).map(|(_, via)| *via) {
            path.push(prev.clone());
            at = prev;
        }
        path.reverse();
        (total, path)
    }
}

/// Kahn's algorithm, always taking the earliest ready node in insertion order (a min-heap of
/// positions, so thousands of resources take milliseconds). On a cycle, returns one cycle found
/// by walking the remaining nodes.
fn topo_order(deps: &IndexMap<LogicalId, IndexSet<LogicalId>>) -> Result<Vec<LogicalId>, Vec<LogicalId>> {
    use std::cmp::Reverse;
    use std::collections::BinaryHeap;
    let mut waiting: Vec<usize> = deps.values().map(IndexSet::len).collect();
    let mut dependents: Vec<Vec<usize>> = vec![Vec::new(); deps.len()];
    for (i, d) in deps.values().enumerate() {
        for x in d {
            if let Some(j) = deps.get_index_of(x) {
                dependents[j].push(i);
            }
        }
    }
    let mut ready: BinaryHeap<Reverse<usize>> = (0..deps.len()).filter(|&i| waiting[i] == 0).map(Reverse).collect();
    let mut order = Vec::with_capacity(deps.len());
    while let Some(Reverse(i)) = ready.pop() {
        order.push(deps.get_index(i).expect("an index of deps").0.clone());
        for &d in &dependents[i] {
            waiting[d] -= 1;
            if waiting[d] == 0 {
                ready.push(Reverse(d));
            }
        }
    }
    if order.len() < deps.len() {
        let done: IndexSet<&LogicalId> = order.iter().collect();
        return Err(find_cycle(deps, &done));
    }
    Ok(order)
}

fn find_cycle(deps: &IndexMap<LogicalId, IndexSet<LogicalId>>, done: &IndexSet<&LogicalId>) -> Vec<LogicalId> {
    // Every remaining node has an undone dependency; follow them until one repeats.
    let start = deps.keys().find(|k| !done.contains(k)).expect("a node is left when Kahn stops");
    let mut path: Vec<&LogicalId> = vec![start];
    loop {
        let cur = path[path.len() - 1];
        let next = deps[cur].iter().find(|d| !done.contains(d)).expect("remaining nodes have remaining deps");
        if let Some(pos) = path.iter().position(|p| *p == next) {
            let mut cycle: Vec<LogicalId> = path[pos..].iter().map(|x| (*x).clone()).collect();
            cycle.push(next.clone());
            return cycle;
        }
        path.push(next);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The order by definition: repeatedly the first resource in insertion order whose
    /// dependencies are all placed (quadratic; the heap version must agree with it).
    fn by_definition(deps: &IndexMap<LogicalId, IndexSet<LogicalId>>) -> Option<Vec<LogicalId>> {
        let mut done: IndexSet<&LogicalId> = IndexSet::new();
        let mut order = Vec::new();
        while order.len() < deps.len() {
            let (id, _) = deps.iter().find(|(id, d)| !done.contains(id) && d.iter().all(|x| done.contains(x)))?;
            done.insert(id);
            order.push(id.clone());
        }
        Some(order)
    }

    #[test]
    fn heap_order_matches_the_definition_and_cycles_are_found() {
        let id = |i: usize| LogicalId::new(format!("R{i}")).unwrap();
        let mut seed = 0x2545_f491_u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for round in 0..20 {
            let n = 50 + round * 10;
            // Edges in both directions of insertion order, acyclic through a hidden ranking.
            let rank: Vec<u64> = (0..n).map(|_| next()).collect();
            let mut deps: IndexMap<LogicalId, IndexSet<LogicalId>> = IndexMap::new();
            for i in 0..n {
                let mut set = IndexSet::new();
                for _ in 0..(next() % 4) {
                    let j = usize::try_from(next() % n as u64).unwrap();
                    if rank[j] < rank[i] {
                        set.insert(id(j));
                    }
                }
                deps.insert(id(i), set);
            }
            assert_eq!(topo_order(&deps).ok(), by_definition(&deps), "round {round}");
            // Close a cycle: the first resource depends on the last one, which (transitively) may
            // or may not depend on it; make sure with a direct edge back.
            deps[0].insert(id(1));
            deps[1].insert(id(0));
            let cycle = topo_order(&deps).unwrap_err();
            assert!(cycle.len() >= 3 && cycle.first() == cycle.last(), "{cycle:?}");
        }
    }
}
