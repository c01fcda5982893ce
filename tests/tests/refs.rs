//! `HasRefs` has two hand-written walks per kind (`collect_refs` and `rewrite_refs`); a field
//! added to one and forgotten in the other breaks stack copies silently. Every resource and app
//! of every registered stack must give the same references both ways.

use iac_core::value::{HasRefs, RefMut, Refs};

#[test]
fn collect_and_rewrite_visit_the_same_references() {
    let registry = stacks::registry();
    let mut checked = 0;
    for def in registry.stacks() {
        for (env, _) in &def.envs {
            let stack = registry.build(def.name, env, None).expect("stack builds");
            for entry in stack.resources() {
                let mut collected = Refs::default();
                entry.resource.collect_refs(&mut collected);
                let mut resource = entry.resource.clone();
                let (mut attrs, mut params) = (Vec::new(), Vec::new());
                resource.rewrite_refs(&mut |r| match r {
                    RefMut::Attr(a) => attrs.push(a.clone()),
                    RefMut::Param(p) => params.push(p.clone()),
                });
                assert_eq!(collected.attrs, attrs, "{}/{env}/{}: attribute references differ", def.name, entry.id);
                assert_eq!(collected.params, params, "{}/{env}/{}: parameter references differ", def.name, entry.id);
                checked += 1;
            }
            for app in stack.apps() {
                let mut collected = Refs::default();
                app.collect_refs(&mut collected);
                let mut app = app.clone();
                let mut n = 0;
                app.rewrite_refs(&mut |_| n += 1);
                assert_eq!(collected.attrs.len() + collected.params.len(), n, "{}/{env}: app {}", def.name, app.name);
            }
        }
    }
    assert!(checked > 300, "only {checked} resources checked");
}
