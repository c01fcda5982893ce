//! Snapshots of every stack, environment and target: reviewed like code. Update with
//! `INSTA_UPDATE=always cargo test -p tests --test snapshots` and review the diff.

#[test]
fn every_stack_env_and_target() {
    let rendered = tests::render_all();
    assert!(!rendered.is_empty());
    for r in &rendered {
        for f in &r.files {
            let name = format!("{}__{}__{}", r.stack, r.env, f.path.display().to_string().replace('/', "__"));
            insta::assert_snapshot!(name, &f.contents);
        }
    }
}

#[test]
fn output_is_deterministic() {
    let a = tests::render_all();
    let b = tests::render_all();
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(x.files, y.files, "{}/{} rendered differently twice", x.stack, x.env);
    }
}
