//! The tera templates of `templates/`, compiled into the binary and parsed once per process.
//!
//! Parsing a template costs far more than rendering it (a host's boot script: about 100 times
//! more), so they are parsed on first use into one [`tera::Tera`] that every render shares. It
//! holds only the compiled-in text, never anything rendered: the same input gives the same output
//! whichever renders first. A new template file is added to [`TEMPLATES`] and rendered by name.

use std::sync::LazyLock;

use tera::{Context, Tera};

/// The boot script (`userdata.sh.tera`).
pub(crate) const BOOT_SCRIPT: &str = "userdata.sh.tera";
/// The `#cloud-config` document (`cloud-config.yaml.tera`).
pub(crate) const CLOUD_CONFIG: &str = "cloud-config.yaml.tera";
/// A systemd service (`systemd.service.tera`).
pub(crate) const SYSTEMD_SERVICE: &str = "systemd.service.tera";
/// A systemd timer (`systemd.timer.tera`).
pub(crate) const SYSTEMD_TIMER: &str = "systemd.timer.tera";
/// A supervisor program (`supervisor.conf.tera`).
pub(crate) const SUPERVISOR: &str = "supervisor.conf.tera";
/// An nginx site (`nginx-site.conf.tera`).
pub(crate) const NGINX_SITE: &str = "nginx-site.conf.tera";

/// Every template: its name (the file's) and its text.
const TEMPLATES: [(&str, &str); 6] = [
    (BOOT_SCRIPT, include_str!("../templates/userdata.sh.tera")),
    (CLOUD_CONFIG, include_str!("../templates/cloud-config.yaml.tera")),
    (SYSTEMD_SERVICE, include_str!("../templates/systemd.service.tera")),
    (SYSTEMD_TIMER, include_str!("../templates/systemd.timer.tera")),
    (SUPERVISOR, include_str!("../templates/supervisor.conf.tera")),
    (NGINX_SITE, include_str!("../templates/nginx-site.conf.tera")),
];

/// The templates, parsed.
static PARSED: LazyLock<Tera> = LazyLock::new(|| parse().expect("the built-in templates parse (a test checks it)"));

fn parse() -> Result<Tera, tera::Error> {
    let mut tera = Tera::default();
    // Nothing here is HTML: no escaping, as `Tera::one_off(.., false)` did.
    tera.autoescape_on(Vec::new());
    tera.add_raw_templates(TEMPLATES)?;
    Ok(tera)
}

/// Renders the template `name` (one of the constants above) with `ctx`.
pub(crate) fn render(name: &str, ctx: &Context) -> Result<String, tera::Error> {
    PARSED.render(name, ctx)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_parses() {
        let tera = parse().unwrap_or_else(|e| panic!("{e:?}"));
        let mut names: Vec<&str> = tera.get_template_names().collect();
        names.sort_unstable();
        let mut expected: Vec<&str> = TEMPLATES.iter().map(|(n, _)| *n).collect();
        expected.sort_unstable();
        assert_eq!(names, expected);
    }

    #[test]
    fn a_named_template_renders_as_a_one_off_parse_does() {
        let mut ctx = Context::new();
        ctx.insert("stack", "demo");
        ctx.insert("env", "dev");
        ctx.insert("host", "web");
        ctx.insert("name", "report.timer");
        ctx.insert("description", "a <b> & 'c'");
        ctx.insert("on_calendar", &["daily"]);
        ctx.insert("unit", "report.service");
        ctx.insert("persistent", &true);
        let text = TEMPLATES.iter().find(|(n, _)| *n == SYSTEMD_TIMER).map(|(_, t)| *t).unwrap();
        assert_eq!(render(SYSTEMD_TIMER, &ctx).unwrap(), Tera::one_off(text, &ctx, false).unwrap());
        assert!(render(SYSTEMD_TIMER, &ctx).unwrap().contains("a <b> & 'c'"), "nothing is escaped");
    }
}
