//! Sample values for tests of the reference walks (feature `testing`).
//!
//! `#[derive(Refs)]` writes a [`Sample`] impl beside the walks, from the same fields: every
//! [`Value`] is a fresh attribute reference, every [`SecretRef`] lives in a secret named by one,
//! every `Option` is `Some`, every collection has one element, and the samples of a type show
//! every variant of every enum inside it. A test then checks that the walks find exactly the
//! references a sample was given ([`Slots::given`]): a field the walks skip is a missing one.

use std::collections::{BTreeMap, BTreeSet};
use std::hash::{BuildHasher, Hash};

use indexmap::IndexMap;

use crate::id::LogicalId;
use crate::value::{Attr, AttrRef, SecretRef, Value};

/// Types with sample values.
pub trait Sample: Sized {
    /// How many samples show every variant of every enum in the type (1 without enums).
    fn variants() -> usize;
    /// Sample `n` (below [`Sample::variants`]), with a fresh reference from `slots` in every
    /// place that can hold one.
    fn sample(n: usize, slots: &mut Slots) -> Self;
}

/// Hands out the references of samples: `Ref1`, `Ref2`..., one per slot, and remembers them.
#[derive(Debug, Default)]
pub struct Slots {
    given: Vec<AttrRef>,
}

impl Slots {
    /// A fresh reference.
    pub fn attr(&mut self) -> AttrRef {
        let id = LogicalId::new(format!("Ref{}", self.given.len() + 1)).expect("a valid logical id");
        let r = AttrRef { id, attr: Attr::Id };
        self.given.push(r.clone());
        r
    }

    /// Every reference handed out, in order.
    pub fn given(&self) -> &[AttrRef] {
        &self.given
    }
}

/// Every sample of `T`, each with the references it holds.
pub fn samples<T: Sample>() -> Vec<(T, Vec<AttrRef>)> {
    (0..T::variants())
        .map(|n| {
            let mut slots = Slots::default();
            let value = T::sample(n, &mut slots);
            (value, slots.given)
        })
        .collect()
}

fn nth<T: Sample>(n: usize, slots: &mut Slots) -> T {
    T::sample(n % T::variants(), slots)
}

impl<T> Sample for Value<T> {
    fn variants() -> usize {
        1
    }
    fn sample(_: usize, slots: &mut Slots) -> Self {
        Value::Attr(slots.attr())
    }
}

impl Sample for SecretRef {
    fn variants() -> usize {
        1
    }
    fn sample(_: usize, slots: &mut Slots) -> Self {
        SecretRef::secrets_manager(Value::Attr(slots.attr()))
    }
}

macro_rules! leaf_samples {
    ($($t:ty => $v:expr),* $(,)?) => {$(
        impl Sample for $t {
            fn variants() -> usize { 1 }
            fn sample(_: usize, _: &mut Slots) -> Self { $v }
        }
    )*};
}
leaf_samples! {
    String => "sample".to_owned(),
    bool => true,
    u8 => 1,
    u16 => 1,
    u32 => 1,
    u64 => 1,
    usize => 1,
    i32 => 1,
    i64 => 1,
    f64 => 1.0,
    serde_json::Value => serde_json::Value::Null,
}

impl<T: Sample> Sample for Vec<T> {
    fn variants() -> usize {
        T::variants()
    }
    fn sample(n: usize, slots: &mut Slots) -> Self {
        vec![T::sample(n, slots)]
    }
}

impl<T: Sample> Sample for Option<T> {
    fn variants() -> usize {
        T::variants()
    }
    fn sample(n: usize, slots: &mut Slots) -> Self {
        Some(T::sample(n, slots))
    }
}

impl<T: Sample> Sample for Box<T> {
    fn variants() -> usize {
        T::variants()
    }
    fn sample(n: usize, slots: &mut Slots) -> Self {
        Box::new(T::sample(n, slots))
    }
}

impl<A: Sample, B: Sample> Sample for (A, B) {
    fn variants() -> usize {
        A::variants().max(B::variants())
    }
    fn sample(n: usize, slots: &mut Slots) -> Self {
        (nth(n, slots), nth(n, slots))
    }
}

impl<A: Sample, B: Sample, C: Sample> Sample for (A, B, C) {
    fn variants() -> usize {
        A::variants().max(B::variants()).max(C::variants())
    }
    fn sample(n: usize, slots: &mut Slots) -> Self {
        (nth(n, slots), nth(n, slots), nth(n, slots))
    }
}

impl<K: Sample + Hash + Eq, V: Sample, S: BuildHasher + Default> Sample for IndexMap<K, V, S> {
    fn variants() -> usize {
        K::variants().max(V::variants())
    }
    fn sample(n: usize, slots: &mut Slots) -> Self {
        let mut map = IndexMap::default();
        map.insert(nth(n, slots), nth(n, slots));
        map
    }
}

impl<K: Sample + Ord, V: Sample> Sample for BTreeMap<K, V> {
    fn variants() -> usize {
        K::variants().max(V::variants())
    }
    fn sample(n: usize, slots: &mut Slots) -> Self {
        BTreeMap::from([(nth(n, slots), nth(n, slots))])
    }
}

impl<T: Sample + Ord> Sample for BTreeSet<T> {
    fn variants() -> usize {
        T::variants()
    }
    fn sample(n: usize, slots: &mut Slots) -> Self {
        BTreeSet::from([T::sample(n, slots)])
    }
}
